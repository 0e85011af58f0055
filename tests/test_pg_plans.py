"""PostgreSQL keeps the plans of the reads (issue 8): a request's read transaction ends with
COMMIT, so psycopg keeps the statements it prepared (a ROLLBACK makes it forget them all),
and the lists write their page size and a supervisor's subtree into the statement, so the
plan PostgreSQL keeps for a prepared statement is used instead of a new one each time
(core.database._end_read_committing, events.filters._plain_pages, auth.permissions).
Ending reads that way must never keep what a request left pending or a failed read."""
import pytest
from sqlalchemy import event, func, select, text

from core.extensions import db
from grid.models import Region


@pytest.fixture(params=["postgresql"])
def database_url(request):
    return request.getfixturevalue("postgresql_url")


def _connections_used(app) -> list:
    used = []
    with app.app_context():
        event.listen(db.engine, "checkout",
                     lambda dbapi_connection, record, proxy: used.append(dbapi_connection))
    return used


def _prepared(dbapi_connection) -> list[tuple]:
    """(statement, generic plans, custom plans) of what the connection's session prepared."""
    rows = dbapi_connection.execute(
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements").fetchall()
    dbapi_connection.rollback()
    return rows


@pytest.mark.parametrize("username", ["supervisor", "admin", "dispatcher"])
def test_a_roles_list_is_prepared_once_and_its_plan_kept(world, runner, api, username):
    # enough cases that a plan for "LIMIT $1" (PostgreSQL guesses a tenth of them) costs
    # more than one for LIMIT 21, as in a county
    assert runner.invoke(args=["bench-data", "--cases", "3000"]).exit_code == 0
    with world.app_context():
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    caller = api(username)
    used = _connections_used(world)
    for _ in range(12):
        answer = caller.get("/api/v1/events?limit=20")
        assert answer.status_code == 200 and answer.get_json()["items"]
    assert len({id(connection) for connection in used}) == 1
    lists = [(generic, custom) for statement, generic, custom in _prepared(used[-1])
             if "FROM event JOIN category" in statement and "ORDER BY event.created_at DESC"
             in statement]
    # prepared at psycopg's fifth run; PostgreSQL plans a prepared statement's first five
    # runs for their parameters, then keeps one plan. A LIMIT or a subtree sent as a
    # parameter made it plan every run for its parameters (custom plans only)
    assert len(lists) == 1
    generic, custom = lists[0]
    assert generic >= 1, (generic, custom)


def test_a_read_that_left_something_pending_ends_without_storing_it(app):
    """A view that adds a row without write_transaction() has it dropped, as before (the
    COMMIT that ends reads is only for a transaction with nothing pending)."""
    @app.get("/_pending")
    def _pending():
        db.session.scalar(select(func.count()).select_from(Region))  # a read: a transaction
        db.session.add(Region(code="999999999999", name="不该存下", level="town",
                              path="999999999999/"))
        return {"ok": True}
    assert app.test_client().get("/_pending").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Region)
                                 .where(Region.code == "999999999999")) == 0


def _endings(app) -> list[str]:
    """"commit" and "rollback", in order, as the app's connections end their transactions."""
    ended = []
    with app.app_context():
        event.listen(db.engine, "commit", lambda connection: ended.append("commit"))
        event.listen(db.engine, "rollback", lambda connection: ended.append("rollback"))
    return ended


def test_a_plain_read_ends_with_commit_and_a_failed_one_with_rollback(app):
    @app.get("/_read")
    def _read():
        return {"count": db.session.scalar(select(func.count()).select_from(Region))}

    @app.get("/_failed")
    def _failed():
        try:
            db.session.execute(text("SELECT 1 / 0"))
        except Exception:  # noqa: BLE001 — the transaction is now failed, the answer stands
            pass
        return {"ok": True}
    client = app.test_client()
    used = _connections_used(app)
    ended = _endings(app)
    assert client.get("/_read").status_code == 200
    assert ended == ["commit"]  # the prepared statements stay
    del ended[:]
    assert client.get("/_failed").status_code == 200
    assert "commit" not in ended and "rollback" in ended
    del ended[:]
    assert client.get("/_read").status_code == 200  # the same connection serves on
    assert ended == ["commit"]
    assert len({id(connection) for connection in used}) == 1


def test_a_request_that_failed_ends_with_rollback(app):
    @app.get("/_broken")
    def _broken():
        db.session.scalar(select(func.count()).select_from(Region))
        raise RuntimeError("a bug")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    ended = _endings(app)
    assert app.test_client().get("/_broken").status_code == 500
    assert ended == ["rollback"]
