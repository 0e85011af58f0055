"""Writers on one SQLite file queue for their turn (core.database.WriterQueue, issue 8): a
writer in another process or thread waits until the one before it commits, however long
that takes against the busy timeout, instead of failing with "database is locked" — and a
unit that fails gives its turn up."""
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
    with another_app(world, SQLITE_BUSY_TIMEOUT_MS=BUSY_MS) as app:
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
    with another_app(world, SQLITE_BUSY_TIMEOUT_MS=BUSY_MS) as app:
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


def test_a_queue_file_another_account_made_still_serves(world, tmp_path):
    """The queue opens `<database>-writer` read-only (flock needs no more), so a file made
    by a command run as another account still serves: a read-only file here, and while the
    queue holds its turn no one else can take it."""
    from core.database import WriterQueue
    path = tmp_path / "db.sqlite3-writer"
    path.touch(mode=0o444)
    queue = WriterQueue(str(path))
    with queue.turn():
        fd = os.open(path, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)


def test_without_a_queue_file_writers_fall_back_to_the_busy_timeout(world, tmp_path):
    """A folder the account cannot create the file in: writes go on, ordered by SQLite."""
    from core.database import WriterQueue
    queue = WriterQueue(str(tmp_path / "missing-folder" / "db.sqlite3-writer"))
    entered = []
    with queue.turn():
        entered.append(True)
    assert entered == [True]
