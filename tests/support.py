"""What tests import: helpers and constants shared by the fixture modules and the tests
(fixtures themselves live in tests/fixtures/, registered by tests/conftest.py)."""
import os
from contextlib import contextmanager

import pytest

from core.config import TestConfig

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@contextmanager
def writing(app):
    """Test set-up that writes: the app's context and one unit of work (the app's own,
    core.database.write_transaction), committed when the block ends."""
    from core.database import write_transaction
    with app.app_context(), write_transaction():
        yield


def missing_part(message: str):
    """A part a test needs (PostgreSQL, Redis, Chromium) is not installed: a failure in CI,
    where a skip would hide it; a skip on a developer's machine."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)
def statements_during(engine, request) -> list[tuple]:
    """(statement, parameters) of each statement `request()` runs (BEGIN left out); the
    request must answer 200."""
    from sqlalchemy import event as sa_event
    seen = []

    def record(_conn, _cursor, statement, parameters, *_args):
        if not statement.startswith("BEGIN"):
            seen.append((statement, parameters))
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        assert request().status_code == 200
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)
    return seen


def query_plan(connection, sql: str, parameters=None) -> str:
    """The plan of `sql` as one string: SQLite's EXPLAIN QUERY PLAN; PostgreSQL's EXPLAIN
    with scans and sorts discouraged (in this transaction), since tiny test tables make a
    scan cheapest — the plan then names the index that can serve the statement."""
    given = (parameters,) if parameters else ()  # none: a literal '%' is no placeholder
    if connection.dialect.name == "postgresql":
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            connection.exec_driver_sql(f"SET LOCAL {setting} = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {sql}", *given)
    else:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", *given)
    return " ".join(str(row[-1]) for row in rows)


DEMO_PASSWORD = "demo-password"
#: reference data kept between tests (seeded once; a test that edits it restores it)
KEPT_TABLES = {"work_day", "alembic_version", "snow_limit", "care_schedule", "reference_version"}

#: a point inside grid 220221101000001 (清河镇第1网格) and one in grid …002
POINT_GRID1 = (43.603, 126.485)
POINT_GRID2 = (43.603, 126.505)
POINT_TOWN2 = (43.705, 126.41)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@contextmanager
def demo_database(url: str, tmp_path, cases: int):
    """An app on the empty database `url`, migrated and holding the demo with `cases` cases,
    inside its app context: the start of the tests that migrate a county's data."""
    from flask_migrate import upgrade

    from core import clock, create_app
    from core.database import write_transaction
    from core.extensions import db
    from demo.seed import seed_demo
    app = create_app(_config(url, tmp_path / "uploads"))
    with app.app_context():
        upgrade()
        with write_transaction():
            seed_demo(clock.utcnow(), password="demo-password", cases=cases)
        yield app
        db.session.remove()
        db.engine.dispose()


def _config(url, upload_dir):
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=upload_dir)
    return config


@contextmanager
def another_app(app, **settings):
    """A second app on `app`'s database and uploads with `settings` changed (those read at
    start-up: LOG_FORMAT, PROXY_FIX_HOPS, METRICS_ENABLED …), its connections closed after."""
    from core import create_app
    from core.extensions import db
    other = create_app({**_config(app.config["SQLALCHEMY_DATABASE_URI"],
                                  app.config["UPLOAD_DIR"]), **settings})
    try:
        yield other
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


class ApiClient:
    def __init__(self, client, token):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, **kwargs):
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path, json=None, headers=None, **kwargs):
        return self.client.post(path, json=json, headers={**self.headers, **(headers or {})},
                                **kwargs)

    def act(self, event_id, action, *, photo: bool = False, **fields):
        """An action on a case; `photo=True` uploads a site photo first and sends it (a grid
        worker's 核查结案 needs one)."""
        if photo:
            fields["photo_ids"] = [*fields.get("photo_ids", ()), self.upload_photo()]
        return self.post(f"/api/v1/events/{event_id}/actions", json={"action": action, **fields})

    def upload_photo(self) -> int:
        import io

        from PIL import Image
        out = io.BytesIO()
        Image.new("RGB", (48, 36), (60, 140, 60)).save(out, "JPEG")
        answer = self.post("/api/v1/uploads", data={"file": (io.BytesIO(out.getvalue()), "site.jpg")},
                           content_type="multipart/form-data")
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["id"]


def rehearsal_given_back(app) -> None:
    """What a rehearsal borrows is back: the engine, the sessions' joining, the writers'
    turn (SQLite: another process could take it now)."""
    import fcntl

    from core import writers
    from core.extensions import db
    with app.app_context():
        assert db.engines[None] is db.engine and hasattr(db.engine, "dispose")
        assert db.session.session_factory.kw.get("join_transaction_mode",
                                                 "conditional_savepoint") != "create_savepoint"
        assert writers.current_turn.get() is None
        if db.engine.dialect.name == "sqlite":
            descriptor = os.open(db.engine.url.database + "-writer", os.O_RDONLY)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if held
            finally:
                os.close(descriptor)
