"""Backup and restore (issue 13): a backup taken while cases and photos come in restores,
into an empty database and upload folder, to exactly the snapshot it took — cases, logs
and photos — and a damaged or misdirected restore writes nothing."""
import json
import os
import threading
import time

import pytest
from sqlalchemy import create_engine, select, text

from core import create_app
from core.extensions import db
from events.models import Attachment, Event, EventLog
from events.storage import get_storage
from tests.support import POINT_GRID1, ApiClient, _config


@pytest.fixture
def empty_target(database_url, request, tmp_path):
    """An empty database of the source's engine, and an app on it with its own uploads."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        drop = None
    else:
        server = database_url.rsplit("/", 1)[0]
        name = f"gridgov_restore_{os.getpid()}"
        admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        url = f"{server}/{name}"

        def drop():
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            admin.dispose()
    app = create_app(_config(url, tmp_path / "restored-uploads"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if drop:
        drop()


def _snapshot(app, numbers=None):
    """Cases, their logs and photos as (comparable) rows."""
    with app.app_context():
        query = select(Event).order_by(Event.number)
        if numbers is not None:
            query = query.where(Event.number.in_(numbers))
        cases = {e.number: (e.id, e.description, e.state, e.version, e.grid_id, e.created_at)
                 for e in db.session.scalars(query)}
        ids = [row[0] for row in cases.values()]
        logs = sorted(db.session.execute(select(
            EventLog.id, EventLog.event_id, EventLog.action, EventLog.to_state, EventLog.created_at)
            .where(EventLog.event_id.in_(ids))).all())
        photos = sorted(db.session.execute(select(
            Attachment.id, Attachment.event_id, Attachment.storage_key, Attachment.sha256)
            .where(Attachment.event_id.in_(ids))).all())
        storage = get_storage(app)
        files = {key: storage.read(key) for _id, _eid, key, _sha in photos}
    return cases, logs, photos, files


def test_a_backup_taken_while_cases_come_in_restores_to_its_snapshot(
        world, token_for, empty_target, tmp_path):
    token = token_for("worker")
    made, stop = [], threading.Event()

    def keep_reporting():
        client = ApiClient(world.test_client(), token)
        while not stop.is_set():
            photo = client.upload_photo()
            answer = client.post("/api/v1/events", json={
                "category_code": "06010", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
                "description": f"备份期间的第{len(made) + 1}个案件", "photo_ids": [photo]})
            made.append(answer.status_code)

    writer = threading.Thread(target=keep_reporting)
    writer.start()
    try:
        while len(made) < 3:
            time.sleep(0.05)
        result = world.test_cli_runner().invoke(args=["backup", "--out", str(tmp_path / "bk")])
        during = len(made)
        while len(made) < during + 3:  # the writer went on after the copy
            time.sleep(0.05)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert set(made) == {201}
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    taken = manifest["tables"]["event"]
    with world.app_context():
        total = db.session.scalar(select(db.func.count()).select_from(Event))
    assert 3 <= taken < total  # a snapshot in the middle of the writes

    restored = empty_target.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
    assert restored.exit_code == 0, restored.output
    cases, logs, photos, files = _snapshot(empty_target)
    assert len(cases) == taken
    # exactly the source's rows for those cases: nothing torn, nothing extra
    assert (cases, logs, photos, files) == _snapshot(world, list(cases))
    assert len(photos) == len(cases) and all(logs_of for logs_of in (
        [log for log in logs if log[1] == case[0]] for case in cases.values()))
    # the restored system answers: the worker's token (hashed in the copy) still works
    listed = ApiClient(empty_target.test_client(), token).get("/api/v1/events?limit=100")
    assert listed.status_code == 200
    assert len(listed.get_json()["items"]) == taken


def test_a_damaged_or_misdirected_restore_writes_nothing(world, empty_target, tmp_path):
    runner = world.test_cli_runner()
    assert runner.invoke(args=["backup", "--out", str(tmp_path / "bk")]).exit_code == 0
    refused = runner.invoke(args=["backup", "--out", str(tmp_path / "bk")])
    assert refused.exit_code != 0 and "not empty" in refused.output
    # into the live database: refused, it has tables
    into_live = runner.invoke(args=["restore", str(tmp_path / "bk")])
    assert into_live.exit_code != 0 and "not empty" in into_live.output
    # a photo damaged on the backup disk: refused before anything is written
    manifest = json.loads((tmp_path / "bk" / "manifest.json").read_text())
    if manifest["uploads"]:
        damaged = tmp_path / "bk" / "uploads" / next(iter(manifest["uploads"]))
        damaged.write_bytes(damaged.read_bytes()[:-1] + b"\x00")
        answer = empty_target.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
        assert answer.exit_code != 0 and "damaged" in answer.output
    (tmp_path / "bk" / "manifest.json").unlink()
    answer = empty_target.test_cli_runner().invoke(args=["restore", str(tmp_path / "bk")])
    assert answer.exit_code != 0 and "not a complete backup" in answer.output
    with empty_target.app_context():
        assert db.inspect(db.engine).get_table_names() == []
    assert not (tmp_path / "restored-uploads").exists() or not any(
        (tmp_path / "restored-uploads").iterdir())
