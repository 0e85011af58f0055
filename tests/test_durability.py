"""What an acknowledged case is worth (issue 8): a case the API answered 201 for is stored,
once, even when every process of the app server is killed at once while others are being
written; the server then starts again and carries on — no lock left behind, no case lost
or doubled. And SQLite's `synchronous` is the SQLITE_SYNCHRONOUS setting: NORMAL (the
default) survives a process crash, FULL a power cut too (README, "Running")."""
import os
import signal
import sqlite3
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import func, select, text

from core import create_app
from core.extensions import db
from events.models import Event, EventLog
from tests.appservers import AppServer
from tests.support import _config

POINT = {"lat": 43.6050, "lon": 126.4875}  # grid 1 of the demo county


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers of its master)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _report(base: str, token: str, key: str) -> requests.Response:
    return requests.post(f"{base}/api/v1/events", timeout=20,
                         headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
                         json={"category_code": "06010", "description": f"路边垃圾 {key}",
                               **POINT})


def _stored(app) -> dict[str, tuple]:
    """Idempotency key → (id, number, how many `create` log rows) of every stored case."""
    with app.app_context():
        logs = (select(EventLog.event_id, func.count().label("n"))
                .where(EventLog.action == "create").group_by(EventLog.event_id).subquery())
        rows = db.session.execute(
            select(Event.idempotency_key, Event.id, Event.number, logs.c.n)
            .outerjoin(logs, logs.c.event_id == Event.id)).all()
        db.session.remove()
    keys = [row.idempotency_key for row in rows]
    assert len(keys) == len(set(keys)), "a request's case stored twice"
    return {row.idempotency_key: (row.id, row.number, row.n) for row in rows}


def test_every_acknowledged_case_survives_the_servers_crash(world, token_for, database_url,
                                                            tmp_path):
    token = token_for("worker")
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "crash-test",
           "GRIDGOV_INSTANCE": str(tmp_path / "instance"), "UPLOAD_DIR": str(tmp_path / "up")}
    server = AppServer(env, workers=2, log_path=tmp_path / "server.log").start()
    acknowledged, unanswered, refused, lock = {}, [], [], threading.Lock()
    crashed = threading.Event()

    def reporter():
        while not crashed.is_set():
            key = uuid.uuid4().hex
            try:
                answer = _report(server.base, token, key)
            except requests.RequestException:
                unanswered.append(key)  # in flight when the server died: stored or not
                return
            if answer.status_code != 201:  # said by the test below, not lost in a thread
                refused.append((answer.status_code, answer.text))
                return
            with lock:
                acknowledged[key] = (answer.json()["id"], answer.json()["number"])

    threads = [threading.Thread(target=reporter) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        # the whole server at once — master and workers — while reports are being written
        victims = [server.process.pid, *_children(server.process.pid)]
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        crashed.set()
        server.process.wait(timeout=10)
        for thread in threads:
            thread.join(timeout=30)
    finally:
        crashed.set()
        server.stop()
    assert refused == []
    assert len(victims) == 3 and len(acknowledged) >= 40

    stored = _stored(world)
    for key, (ident, number) in acknowledged.items():
        assert stored.get(key) == (ident, number, 1), f"acknowledged case {number} lost"
    # nothing stored that no request asked for; one in flight may or may not have been
    assert set(stored) <= set(acknowledged) | set(unanswered)
    if database_url.startswith("sqlite"):
        path = database_url.removeprefix("sqlite:///")
        check = sqlite3.connect(path)
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        check.close()

    # started again, the server writes at once (no lock or turn outlived the crash), numbers
    # the next case after the last one kept, and shows every acknowledged case
    with AppServer(env, workers=2, log_path=tmp_path / "again.log") as again:
        answer = _report(again.base, token, uuid.uuid4().hex)
        assert answer.status_code == 201, answer.text
        serials = [int(number.rsplit("-", 1)[1]) for _id, number, _n in stored.values()]
        assert int(answer.json()["number"].rsplit("-", 1)[1]) == max(serials) + 1
        for ident, number in acknowledged.values():
            shown = requests.get(f"{again.base}/api/v1/events/{ident}", timeout=10,
                                 headers={"Authorization": f"Bearer {token}"})
            assert shown.status_code == 200 and shown.json()["number"] == number


@pytest.mark.parametrize("setting, pragma", [(None, 1), ("NORMAL", 1), ("FULL", 2)])
def test_sqlite_syncs_its_wal_as_the_setting_says(tmp_path, setting, pragma):
    """1 is NORMAL (the WAL is synced at checkpoints only), 2 is FULL (at every commit)."""
    config = dict(_config(f"sqlite:///{tmp_path / 'sync.sqlite3'}", tmp_path / "uploads"))
    if setting is not None:
        config["SQLITE_SYNCHRONOUS"] = setting
    app = create_app(config)
    with app.app_context():
        assert db.session.execute(text("PRAGMA synchronous")).scalar() == pragma
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        db.session.remove()
        db.engine.dispose()


def test_an_unknown_synchronous_setting_stops_the_start(tmp_path):
    config = dict(_config(f"sqlite:///{tmp_path / 'sync.sqlite3'}", tmp_path / "uploads"))
    config["SQLITE_SYNCHRONOUS"] = "OFF"  # would lose acknowledged cases on a power cut
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS must be one of"):
        create_app(config)
