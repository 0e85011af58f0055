"""Writers on one SQLite file queue for their turn (core.writers.WriterQueue, issue 8): a
writer in another process or thread waits in the queue until the one before it commits —
past SQLite's busy timeout, up to the queue's own wait — instead of failing with
"database is locked"; a unit that fails gives its turn up; a stuck writer holds the others
up no longer than the queue's wait, then they get a clean 503 and nothing is written."""
import fcntl
import multiprocessing
import os
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.database import write_transaction
from core.extensions import db
from events import intake
from events.models import Event
from tests.support import POINT_GRID1, another_app, writing

CST = ZoneInfo("Asia/Shanghai")
HOLD_S = 0.25      # how long each writer keeps its turn
BUSY_MS = 40       # far shorter: without the queue, the later writers would give up
WAIT_MS = 10_000   # the queue's own wait


@pytest.fixture(params=["sqlite"])
def database_url(request):
    """The queue is SQLite's (PostgreSQL has row locks): SQLite only."""
    return request.getfixturevalue("sqlite_url")


def _cases(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event))


def _report_slowly(app, label: str) -> None:
    """A grid worker's report whose unit of work keeps the write lock for HOLD_S."""
    from auth.models import User
    with app.app_context(), write_transaction():
        worker = db.session.scalar(select(User).where(User.username == "worker"))
        intake.create_event(worker, datetime(2026, 3, 10, 9, 0, tzinfo=CST),
                            category_code="06010", lat=POINT_GRID1[0], lon=POINT_GRID1[1],
                            description=f"排队写入 {label}")
        time.sleep(HOLD_S)


def _child(app, label: str) -> None:
    with app.app_context():
        db.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    try:
        _report_slowly(app, label)
    except Exception as error:  # noqa: BLE001 — the exit code carries it to the test
        print(f"{label}: {error}", flush=True)
        os._exit(1)
    os._exit(0)


def test_writers_in_other_processes_wait_their_turn(world):
    with another_app(world, SQLITE_BUSY_TIMEOUT_MS=BUSY_MS,
                     SQLITE_WRITER_WAIT_MS=WAIT_MS) as app:
        _report_slowly(app, "parent")  # the parent opened its queue before the fork
        before = _cases(world)
        fork = multiprocessing.get_context("fork")
        children = [fork.Process(target=_child, args=(app, f"process {n}")) for n in range(4)]
        started = time.monotonic()
        for child in children:
            child.start()
        for child in children:
            child.join(60)
        assert [child.exitcode for child in children] == [0, 0, 0, 0]
        # one after another: four turns of HOLD_S each
        assert time.monotonic() - started >= 4 * HOLD_S
    assert _cases(world) == before + 4


def test_threads_of_one_process_wait_their_turn(world):
    """Including the process's first writes, made by four threads at once."""
    with another_app(world, SQLITE_BUSY_TIMEOUT_MS=BUSY_MS,
                     SQLITE_WRITER_WAIT_MS=WAIT_MS) as app:
        before = _cases(world)
        failures = []

        def write(n):
            try:
                _report_slowly(app, f"thread {n}")
            except Exception as error:  # noqa: BLE001
                failures.append(error)
        threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert failures == []
    assert _cases(world) == before + 4


def _turn_is_free(app) -> bool:
    """Whether another process could take the turn now."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///") + "-writer"
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_a_unit_holds_the_turn_only_while_it_runs_and_gives_it_up_when_it_fails(world):
    with writing(world):
        assert _turn_is_free(world)  # nothing written yet: no turn taken
        _report_slowly_inside(world)
        assert not _turn_is_free(world)
    assert _turn_is_free(world)
    before = _cases(world)
    with pytest.raises(RuntimeError):
        with world.app_context(), write_transaction():
            _report_slowly_inside(world)
            raise RuntimeError("half-way")
    assert _turn_is_free(world)
    assert _cases(world) == before  # and nothing of it stored
    _report_slowly(world, "after the failure")
    assert _cases(world) == before + 1


def _report_slowly_inside(app):
    from auth.models import User
    worker = db.session.scalar(select(User).where(User.username == "worker"))
    intake.create_event(worker, datetime(2026, 3, 10, 9, 0, tzinfo=CST), category_code="06010",
                        lat=POINT_GRID1[0], lon=POINT_GRID1[1], description="失败的写入")


def test_a_stuck_writer_holds_the_others_up_only_for_the_queues_wait(world):
    """Another process keeps its turn for 3 s: a report waiting 0.3 s in the queue gets a
    503 with Retry-After and writes nothing; once the turn is free, the retry is stored."""
    from tests.support import ApiClient, POINT_GRID1 as POINT
    with another_app(world, SQLITE_WRITER_WAIT_MS=300) as app:
        _report_slowly(app, "parent")  # the queue opened before the fork
        before = _cases(world)
        token = _token(app)
        fork = multiprocessing.get_context("fork")
        holding = fork.Event()

        def hold():
            with app.app_context():
                db.engine.dispose(close=False)
            with app.app_context(), write_transaction():
                db.session.execute(select(func.count()).select_from(Event))
                holding.set()
                time.sleep(3)
            os._exit(0)
        holder = fork.Process(target=hold)
        holder.start()
        assert holding.wait(30)
        worker = ApiClient(app.test_client(), token)
        body = {"category_code": "06010", "lat": POINT[0], "lon": POINT[1],
                "description": "排队超时"}
        started = time.monotonic()
        refused = worker.post("/api/v1/events", json=body)
        waited = time.monotonic() - started
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "2"
        assert 0.25 <= waited < 2.5  # the queue's wait, not the holder's 3 s
        assert _cases(world) == before
        holder.join(30)
        assert worker.post("/api/v1/events", json=body).status_code == 201
    assert _cases(world) == before + 1


def _token(app) -> str:
    from auth.models import User
    from auth.services import issue_token
    from datetime import timezone
    with app.app_context(), write_transaction():
        worker = db.session.scalar(select(User).where(User.username == "worker"))
        token, row = issue_token(worker, datetime.now(timezone.utc))
        row.expires_at = datetime(2100, 1, 1, tzinfo=timezone.utc)
    return token


def test_a_queue_file_made_read_only_still_serves(world, tmp_path):
    """The queue opens `<database>-writer` read-only (flock needs no more), so a file made
    by a command run as another account serves the web's account too: here a read-only
    file, and while the queue holds the turn no other descriptor can take it."""
    from core.writers import WriterQueue
    path = tmp_path / "db.sqlite3-writer"
    path.touch(mode=0o444)
    queue = WriterQueue(str(path), wait_s=1)
    turn = queue.acquire()
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    finally:
        queue.release(turn)


def test_without_a_queue_file_writers_fall_back_to_the_busy_timeout(world, tmp_path, caplog):
    """A folder the account cannot create the file in: the queue says so in the log and
    lets writers through, ordered by SQLite alone."""
    from core.writers import WriterQueue
    queue = WriterQueue(str(tmp_path / "missing-folder" / "db.sqlite3-writer"), wait_s=1)
    with caplog.at_level("WARNING"):
        assert queue.acquire() is None
    assert "writers do not queue" in caplog.text


def test_a_rehearsal_that_cannot_begin_gives_the_turn_back(world, tmp_path):
    """A writer outside the queue (a `sqlite3` shell) holds the lock: BEGIN IMMEDIATE fails
    after the busy timeout, and the writers' turn taken before it is given back — else the
    forked workers would inherit it, held."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from core.database import rehearsal
    from tests.support import rehearsal_given_back
    with world.app_context():
        path = db.engine.url.database
    shell = sqlite3.connect(path, isolation_level=None)
    shell.execute("BEGIN IMMEDIATE")
    try:
        with another_app(world, SQLITE_BUSY_TIMEOUT_MS=100) as app:
            with pytest.raises(OperationalError):
                with rehearsal(app):
                    pass
            rehearsal_given_back(app)
    finally:
        shell.execute("ROLLBACK")
        shell.close()


def _file_cases(app) -> int:
    """Cases in the database file alone, as if its WAL were gone: what checkpoints copied."""
    import shutil
    import sqlite3
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    copy = f"{path}.file-only"
    shutil.copyfile(path, copy)
    try:
        connection = sqlite3.connect(copy)
        try:
            return connection.execute("SELECT count(*) FROM event").fetchone()[0]
        finally:
            connection.close()
    finally:
        os.remove(copy)


def test_a_process_checkpoints_the_wal_after_giving_its_turn_back(world, monkeypatch):
    """Every SQLITE_CHECKPOINT_EVERY-th unit of a process copies the WAL into the database
    file, and does it after giving the turn back, so no other writer waits for the copy;
    SQLite's own checkpoint inside the commit is left for writes past the queue."""
    import core.writers as writers
    seen = []
    real = writers.checkpoint

    def spying(engine):
        seen.append(_turn_is_free(world))
        real(engine)
    monkeypatch.setattr(writers, "checkpoint", spying)
    with another_app(world, SQLITE_CHECKPOINT_EVERY=3) as app:
        with app.app_context():
            assert db.session.connection().exec_driver_sql(
                "PRAGMA wal_autocheckpoint").scalar() == writers.BACKSTOP_FRAMES
            db.session.rollback()
        _report_slowly(app, "one")
        _report_slowly(app, "two")
        assert seen == []
        in_file = _file_cases(app)
        _report_slowly(app, "three")
        assert seen == [True]  # the third unit checkpointed, outside its turn
        assert in_file < _file_cases(app) == _cases(app)  # all of it now in the file
        for n in range(3):
            _report_slowly(app, f"more {n}")
        assert seen == [True, True]


def test_a_failed_checkpoint_loses_nothing_and_fails_no_request(world, monkeypatch, caplog):
    """The unit before it has committed: a checkpoint that fails is logged, the report is
    stored and answered as usual."""
    from tests.support import ApiClient, POINT_GRID1 as POINT
    import core.writers as writers
    real = writers.checkpoint

    class Gone:
        def connect(self):
            raise OSError("disk gone")
    monkeypatch.setattr(writers, "checkpoint", lambda _engine: real(Gone()))
    with another_app(world, SQLITE_CHECKPOINT_EVERY=1) as app:
        token = _token(app)
        before = _cases(world)
        worker = ApiClient(app.test_client(), token)
        with caplog.at_level("WARNING"):
            answer = worker.post("/api/v1/events", json={
                "category_code": "06010", "lat": POINT[0], "lon": POINT[1],
                "description": "检查点失败"})
        assert answer.status_code == 201
        assert "WAL checkpoint failed" in caplog.text
    assert _cases(world) == before + 1
