"""Reads on the driver (core.rows.driver_rows, issue 8): the hot reads — a request's caller,
the case page, the lists, a report's duplicate check — run a statement built once on the
driver's cursor, and give what SQLAlchemy's execution gives, on both engines."""
import pytest
from sqlalchemy import event as sa_event, select

from core.extensions import db
from events import intake, services
from events.models import Event, EventLog
from tests.factories import NOW, catalogue, make_town, make_user
from tests.support import writing


def _case_with_history(app) -> int:
    """A case with a photo of its report (a row; no file is read) and a second log row (a
    rejection's note): its id."""
    from events.models import Attachment
    with writing(app):
        catalogue()
        grid = make_town(grids=1).grids[0]
        worker = make_user("rows-reader", "grid_worker", grids=[grid])
        place = dict(lat=grid.centroid_lat, lon=grid.centroid_lon, category_code="06010",
                     description="路边堆放生活垃圾", address="村口")
        dispatcher = make_user("rows-reader-d", "dispatcher", town=grid.town)
        event, _created = intake.create_event(worker, NOW, **place)
        db.session.add(Attachment(
            event=event, log=event.logs[0], uploader_id=worker.id, storage_key="k",
            thumb_key="t", sha256="0" * 64, content_type="image/jpeg", size=10, width=640,
            height=480, created_at=NOW))
        services.perform_action(dispatcher, event, "reject", NOW, note="不属于受理范围")
        return event.id


def test_a_read_on_the_driver_gives_what_sqlalchemys_execution_gives(app):
    """core.rows.driver_rows (the case page's reads, a report's duplicate check, every API
    caller's token): on both engines the same rows as SQLAlchemy's own execution — times
    aware, JSON as objects, flags as booleans, NULLs as None — by position and by name; a
    statement's own values (a LIMIT, a literal) are bound as SQLAlchemy binds them."""
    from datetime import datetime

    from sqlalchemy import bindparam, literal

    from core.rows import driver_rows
    from events.queries import _detail_statements
    ident = _case_with_history(app)
    with app.app_context():
        connection = db.session.connection()
        for name, statement in _detail_statements().items():
            expected = connection.execute(statement, {"event_id": ident}).all()
            got = driver_rows(connection, statement, {"event_id": ident})
            assert got == [tuple(row) for row in expected], name
            assert [row._fields for row in got][:1] == [tuple(expected[0]._fields)], name
        case = driver_rows(connection, _detail_statements()["case"], {"event_id": ident})[0]
        assert case.category_code == "06010" and case.state == "rejected"
        assert isinstance(case.created_at, datetime) and case.created_at == NOW
        logs = driver_rows(connection, _detail_statements()["logs"], {"event_id": ident})
        assert [log.action for log in logs] == ["create", "reject"]
        (photo,) = driver_rows(connection, _detail_statements()["photos"], {"event_id": ident})
        assert (photo.log_id, photo.width, photo.content_type) == (logs[0].id, 640, "image/jpeg")
        assert logs[0].data == {"source": "patrol"}
        limited = (select(Event.__table__.c.id, literal("村").label("word"))
                   .where(Event.__table__.c.id >= bindparam("least")).limit(1))
        assert driver_rows(connection, limited, {"least": 0}) == [(ident, "村")]
        assert driver_rows(connection, limited, {"least": ident + 1}) == []


def test_a_read_on_the_driver_fails_as_sqlalchemys_and_is_seen_by_listeners(app):
    """A failing read raises SQLAlchemy's error (the 503 of a locked database depends on
    it); a statement SQLAlchemy renders anew on each execution (an IN of a list, a value
    written into the SQL) is left to SQLAlchemy, and reads the same; where
    listeners watch the engine (a test counting statements) they see the read, and its
    rows are still processed."""
    from sqlalchemy import Column, Integer, MetaData, Table, bindparam
    from sqlalchemy.exc import DBAPIError, StatementError

    from core.rows import driver_rows
    from events.queries import _detail_statements
    ident = _case_with_history(app)
    missing = Table("no_such_table", MetaData(), Column("id", Integer))
    with app.app_context():
        connection = db.session.connection()
        with pytest.raises(StatementError):  # a value not given: before the driver is asked
            driver_rows(connection, _detail_statements()["logs"], {})
        with pytest.raises(DBAPIError):
            driver_rows(connection, select(missing.c.id), {})
    with app.app_context():
        connection = db.session.connection()
        rendered = (select(Event.__table__.c.id, Event.__table__.c.created_at)
                    .where(Event.__table__.c.id.in_(bindparam("ids", expanding=True)))
                    .limit(bindparam("size", type_=Integer, literal_execute=True)))
        for ids in ([ident], [ident, ident + 1], []):
            assert driver_rows(connection, rendered, {"ids": ids, "size": 5}) == (
                [(ident, NOW)] if ids else [])
        seen = []

        def watch(_conn, _cursor, statement, *_rest):
            seen.append(statement)
        sa_event.listen(db.engine, "before_cursor_execute", watch)
        try:
            # a statement of its own: its plan is made while the listener watches
            statement = select(EventLog.__table__).where(
                EventLog.__table__.c.event_id == bindparam("event_id"))
            rows = driver_rows(connection, statement, {"event_id": ident})
            again = driver_rows(connection, _detail_statements()["logs"], {"event_id": ident})
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", watch)
        assert len(seen) == 2 and all("event_log" in text for text in seen)
        assert rows == again and rows[0].created_at == NOW and rows[0].data == {"source": "patrol"}


def test_a_read_plan_in_use_outlives_the_rare_ones(app, monkeypatch):
    """Plans are kept least recently used first: the statements every request reads (the
    token, a case) keep theirs however many scopes' statements pass through, so they are
    not compiled again (an emptied cache compiled them all again at every overflow)."""
    from functools import lru_cache

    from sqlalchemy import bindparam

    from core import rows
    from core.rows import driver_rows
    from events.queries import _detail_statements
    ident = _case_with_history(app)
    monkeypatch.setattr(rows, "_read_plan", lru_cache(maxsize=8)(rows._read_plan.__wrapped__))
    with app.app_context():
        connection = db.session.connection()
        hot = _detail_statements()["logs"]
        driver_rows(connection, hot, {"event_id": ident})
        plan = rows._read_plan(hot, connection.dialect)
        table = Event.__table__
        for n in range(40):  # a statement each, as many scopes' lists are
            rare = select(table.c.id).where(table.c.id == bindparam("ident"), table.c.id > -n)
            assert driver_rows(connection, rare, {"ident": ident}) == [(ident,)]
            assert len(driver_rows(connection, hot, {"event_id": ident})) == 2
        assert rows._read_plan(hot, connection.dialect) is plan
        assert rows._read_plan.cache_info().currsize <= 8
