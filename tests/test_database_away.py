"""When the database goes away under a request (issue 13): the request fails cleanly — a 503
with Retry-After that says so, nothing half-written — and the next request reconnects by
itself."""
import pytest
from sqlalchemy import create_engine, func, select, text

from core.extensions import db
from events.models import Event
from tests.support import POINT_GRID1, ApiClient, another_app
from tests.test_transactions import WriteLockHolder

CREATE = {"category_code": "06010", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
          "description": "数据库不可用时的上报"}


def _cases(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_write_that_cannot_get_the_database_is_a_clean_503(world, token_for):
    token = token_for("worker")
    before = _cases(world)
    with another_app(world, SQLITE_BUSY_TIMEOUT_MS=200) as app:
        worker = ApiClient(app.test_client(), token)
        with WriteLockHolder(world):  # another process holds the write lock past the wait
            refused = worker.post("/api/v1/events", json=CREATE,
                                  headers={"Idempotency-Key": "retry-me-1"})
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "2"
        body = refused.get_json()
        assert body["error"] == "unavailable" and "请稍后重试" in body["message"]
        assert _cases(world) == before  # nothing half-written
        retried = worker.post("/api/v1/events", json=CREATE,
                              headers={"Idempotency-Key": "retry-me-1"})
        assert retried.status_code == 201
        again = worker.post("/api/v1/events", json=CREATE,
                            headers={"Idempotency-Key": "retry-me-1"})
        assert again.get_json()["id"] == retried.get_json()["id"]
    assert _cases(world) == before + 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_connections_cut_by_the_server_are_replaced_by_the_next_request(world, token_for):
    """PostgreSQL restarted (here: every connection of the app terminated): the pool's ping
    finds the dead ones and the next request answers as if nothing happened."""
    token = token_for("worker")
    with another_app(world) as app:
        worker = ApiClient(app.test_client(), token)
        assert worker.get("/api/v1/events?limit=5").status_code == 200
        admin = create_engine(world.config["SQLALCHEMY_DATABASE_URI"])
        with admin.connect() as conn:
            cut = conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
        admin.dispose()
        assert cut >= 1
        assert worker.get("/api/v1/events?limit=5").status_code == 200
        assert worker.post("/api/v1/events", json=CREATE).status_code == 201


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_that_dies_after_the_answer_is_made_keeps_the_answer(world):
    """PostgreSQL restarting just as a read finishes: the end of its transaction fails, the
    answer made before stands (it was a 500)."""
    with another_app(world) as app:
        admin = create_engine(world.config["SQLALCHEMY_DATABASE_URI"])

        @app.get("/read-then-lose-the-connection")
        def _view():
            pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            return {"read": True}

        answer = app.test_client().get("/read-then-lose-the-connection")
        admin.dispose()
        assert answer.status_code == 200 and answer.get_json() == {"read": True}
        assert app.test_client().get("/healthz/web").status_code == 200


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_connection_that_dies_under_a_statement_on_the_driver_is_invalidated(world):
    """core.database.on_driver (a create's writes) meets a dead connection as SQLAlchemy's
    own execution does: SQLAlchemy's error, the connection invalidated so the pool never
    hands it out again, and the session's next statement runs on a new one."""
    from sqlalchemy.exc import DBAPIError

    from core.database import on_driver
    admin = create_engine(world.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with world.app_context():
            connection = db.session.connection()
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            with pytest.raises(DBAPIError) as failed:
                on_driver(connection, "SELECT 1", {})
            assert failed.value.connection_invalidated and connection.invalidated
            db.session.rollback()
            assert db.session.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        admin.dispose()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_connections_are_not_pinged_before_each_request(world, token_for):
    """A SQLite connection is a file this process opened: nothing can cut it, so the
    pool's ping (a SELECT 1 before every checkout, twice a report) is PostgreSQL's only.
    What the driver runs during a report and a case read, traced on the driver itself
    (the ping never reaches SQLAlchemy's statement events)."""
    from sqlalchemy import event as sa_event
    token = token_for("worker")
    traced = []

    def trace(dbapi_connection, _record, _proxy):
        dbapi_connection.set_trace_callback(traced.append)
    with another_app(world) as app:
        with app.app_context():
            engine = db.engine
        sa_event.listen(engine, "checkout", trace)
        try:
            worker = ApiClient(app.test_client(), token)
            created = worker.post("/api/v1/events", json=CREATE)
            assert created.status_code == 201
            assert worker.get(created.headers["Location"]).status_code == 200
        finally:
            sa_event.remove(engine, "checkout", trace)
    assert any(sql.startswith("INSERT INTO event ") for sql in traced)
    assert not [sql for sql in traced if sql.strip().upper() == "SELECT 1"]
