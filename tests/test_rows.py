"""Rows past the ORM (core.rows, issue 8). A new case is written by two prebuilt INSERTs,
not the ORM's flush: the rows are the ones the flush writes, the case reads as loaded
without asking the database again, and it changes afterwards as any case does. The API's
caller and a report's category and grid are read as plain rows and made into objects
that are the session's own, as the ORM would have loaded them."""
import pytest
from sqlalchemy import event as sa_event, inspect, select

from core.errors import InvalidInput
from core.extensions import db
from events import intake, services
from events.models import Event, EventLog
from tests.factories import NOW, catalogue, make_town, make_user
from tests.support import writing

REPORT = dict(category_code="06010", description="路边堆放生活垃圾", address="村口")


def _row(table, ident) -> dict:
    return dict(db.session.execute(select(table).where(table.c.id == ident)).mappings().one())


def _worker_and_place(username: str) -> tuple:
    """A catalogue, a town of one grid and a worker there (inside a unit): the worker and
    a report's fields at the grid's centre."""
    catalogue()
    grid = make_town(grids=1).grids[0]
    worker = make_user(username, "grid_worker", grids=[grid])
    return worker, dict(lat=grid.centroid_lat, lon=grid.centroid_lon, **REPORT), grid


def test_a_stored_case_and_its_log_are_the_rows_the_flush_writes(app):
    with writing(app):
        worker, place, grid = _worker_and_place("rows-worker")
        stored, stored_log = intake.store_event(*intake.prepare_report(worker, NOW, **place))
        flushed, flushed_log = intake.prepare_report(worker, NOW, **place)
        flushed.number = "TEST-2026-000001"
        db.session.add_all([flushed, flushed_log])
        db.session.flush()
        ids = (stored.id, flushed.id, stored_log.id, flushed_log.id)
    with app.app_context():
        case, other = _row(Event.__table__, ids[0]), _row(Event.__table__, ids[1])
        assert case["category_id"] and case["grid_id"] and case["town_id"] == grid.town_id
        assert case["version"] == 1 and case["clock_started_at"] is not None
        assert {name for name in case if case[name] != other[name]} == {"id", "number"}
        log, other_log = _row(EventLog.__table__, ids[2]), _row(EventLog.__table__, ids[3])
        assert log["event_id"] == ids[0] and log["action"] == "create"
        assert {name for name in log if log[name] != other_log[name]} == {"id", "event_id"}


def test_a_stored_case_reads_without_another_statement_and_changes_as_any_case(app):
    with writing(app):
        catalogue()
        grid = make_town(grids=1).grids[0]
        worker = make_user("rows-worker", "grid_worker", grids=[grid])
        dispatcher = make_user("rows-dispatcher", "dispatcher", town=grid.town)
    statements = []

    def count(*_args):
        statements.append(1)
    with writing(app):
        event, _created = intake.create_event(worker, NOW, lat=grid.centroid_lat,
                                              lon=grid.centroid_lon, **REPORT)
        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            values = {column.key: getattr(event, column.key)
                      for column in Event.__mapper__.column_attrs}
            assert (event.category.code, event.grid.id, event.town.id) == (
                "06010", grid.id, grid.town_id)
            assert [log.action for log in event.logs] == ["create"]
            assert event.attachments == []
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
        assert statements == []
        assert values["state"] == "filed" and values["version"] == 1
        assert db.session.get(Event, event.id) is event  # the session's own, not a copy
        services.perform_action(dispatcher, event, "reject", NOW, note="不属于受理范围")
    ident, version = event.id, event.version
    assert version > 1  # each UPDATE checked the version the INSERT wrote, and bumped it
    with app.app_context():
        case = db.session.get(Event, ident)
        assert (case.state, case.version) == ("rejected", version)
        assert [log.action for log in case.logs] == ["create", "reject"]


def test_a_stored_case_attaches_what_it_holds_that_the_session_does_not(app):
    """insert_now attaches the case and its log alone when all they hold is in the session
    already (a report's category, grid, town); a note the case holds that the session has
    not seen — as a caller might add before storing it — is still written at the commit,
    as the flush's cascade would write it."""
    from events.models import Attachment
    with writing(app):
        worker, place, grid = _worker_and_place("rows-attach")
        plain, plain_log = intake.store_event(*intake.prepare_report(worker, NOW, **place))
        assert inspect(plain).persistent and inspect(plain_log).persistent
        assert not db.session.new  # nothing else was there to attach
        case, log = intake.prepare_report(worker, NOW, **place)
        photo = Attachment(storage_key="k", thumb_key="t", sha256="0" * 64,
                           content_type="image/jpeg", size=1, width=1, height=1,
                           uploader_id=worker.id)
        case.attachments.append(photo)
        intake.store_event(case, log)
        assert inspect(case).persistent and photo in db.session.new
        ident = case.id
    with app.app_context():
        stored = db.session.get(Event, ident)
        assert [(a.storage_key, a.event_id) for a in stored.attachments] == [("k", ident)]


def test_a_hand_offs_notices_reuse_their_compiled_insert(app):
    """Notices are written under the write lock (a create's 待派遣 task): on both engines
    the second batch of one shape runs the INSERT compiled for the first (PostgreSQL's own
    INSERT … ON CONFLICT was compiled on every call, ~1 ms); on SQLite it is handed to the
    driver as compiled (core.rows.insert_rows), with each value as its column stores it."""
    from sqlalchemy.engine.default import CACHE_HIT

    from core.bulk import bulk_insert, postgresql
    from core.rows import _driver_insert
    from notify.models import Notification
    with writing(app):
        user = make_user("rows-notified", "admin")
    hits, texts = [], []

    def seen(_conn, _cursor, statement, _params, context, _many):
        if "notification" in statement and statement.startswith("INSERT"):
            hits.append(context.cache_hit == CACHE_HIT)
            texts.append(statement)
    with writing(app):
        pg = postgresql()
        sa_event.listen(db.engine, "before_cursor_execute", seen)
        try:
            for n in range(3):
                if n == 1:
                    compiled = _driver_insert.cache_info().misses
                bulk_insert(Notification.__table__, [{
                    "user_id": user.id, "channel": "in_app", "kind": "task.dispatch",
                    "event_id": None, "subject": f"第{n}条", "body": "", "data": {"n": n},
                    "status": "sent", "attempts": 0, "last_error": "", "created_at": NOW,
                    "sent_at": NOW, "next_attempt_at": None, "read_at": None}])
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", seen)
    if pg:
        assert hits[1:] == [True, True], hits
    else:
        assert len(texts) == 3 and len(set(texts)) == 1
        assert _driver_insert.cache_info().misses == compiled  # not compiled again
    with app.app_context():
        found = db.session.execute(select(Notification.subject, Notification.data,
                                          Notification.created_at).where(
            Notification.user_id == user.id).order_by(Notification.id)).all()
        assert [(subject, data) for subject, data, _at in found] == [
            ("第0条", {"n": 0}), ("第1条", {"n": 1}), ("第2条", {"n": 2})]
        assert all(at == NOW for *_rest, at in found)


def test_a_tokens_user_is_read_as_the_orm_would_load_it(app):
    """Every API request's caller comes from one plain statement (auth.services,
    core.rows.as_loaded): the same user, column for column, with the grids it has now; its
    region and department load when first used; changed, it is written as any user."""
    from datetime import timedelta

    from auth.models import User
    from auth.services import issue_token, user_for_token
    from grid.models import GridMember
    with writing(app):
        town = make_town(grids=3)
        worker = make_user("rows-token", "grid_worker", grids=town.grids[:2])
        token, _row_ = issue_token(worker, NOW)
        user_id = worker.id
    with app.app_context():
        expected = {column.key: getattr(db.session.get(User, user_id), column.key)
                    for column in User.__mapper__.column_attrs}
    statements = []

    def count(*_args):
        statements.append(1)
    with app.app_context():
        db.session.connection()  # the request's transaction has begun
        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            user = user_for_token(token, NOW)
            assert statements == [1]
            assert {key: getattr(user, key) for key in expected} == expected
            assert user.grid_ids == {grid.id for grid in town.grids[:2]}
            assert statements == [1]  # its columns and grids came with it
            assert user.region.name == town.name and user.department is None
            assert db.session.get(User, user_id) is user
            assert user_for_token(token, NOW) is user  # the session's own, as a query gives
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
        assert user_for_token(token, NOW + timedelta(days=365)) is None  # expired
        assert user_for_token(token + "x", NOW) is None
    with writing(app):  # a grid taken away and one given: the next request has them
        db.session.execute(GridMember.__table__.delete().where(
            GridMember.user_id == user_id, GridMember.grid_id == town.grids[0].id))
        db.session.add(GridMember(grid_id=town.grids[2].id, user_id=user_id))
    with writing(app):
        user = user_for_token(token, NOW)
        assert user.grid_ids == {town.grids[1].id, town.grids[2].id}
        user.display_name = "改名"
        user.is_enabled = False
    with app.app_context():
        assert db.session.get(User, user_id).display_name == "改名"
        assert user_for_token(token, NOW) is None  # disabled


def test_as_loaded_gives_back_the_object_the_session_has(app):
    from auth.models import User
    from core.rows import as_loaded
    with writing(app):
        user_id = make_user("rows-known", "admin").id
    with app.app_context():
        known = db.session.get(User, user_id)
        row = db.session.execute(select(User.__table__).where(User.id == user_id)).one()
        assert as_loaded(db.session(), User, row) is known
        db.session.expire(known)  # as a commit or a rollback leaves it
        statements = []

        def count(*_args):
            statements.append(1)
        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert as_loaded(db.session(), User, row) is known
            assert known.username == "rows-known" and statements == []  # filled from the row
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)


def test_an_object_as_loaded_lives_in_the_session_as_a_loaded_one(app):
    """Put into the session's identity map as the ORM's loading puts a row's object
    (core.rows.as_loaded): nothing to flush, refreshed and expired as any, detached when
    the session closes, and merged back into another."""
    from auth.models import User
    from core.rows import as_loaded
    with writing(app):
        user_id = make_user("rows-life", "admin").id
    with app.app_context():
        row = db.session.execute(select(User.__table__).where(User.id == user_id)).one()
        user = as_loaded(db.session(), User, row)
        state = inspect(user)
        assert state.persistent and not (db.session.new or db.session.dirty)
        assert state.identity == (user_id,) and db.session.get(User, user_id) is user
        db.session.expire(user)
        assert user.username == "rows-life"  # reloaded by the ORM itself
        db.session.close()
        assert state.detached
        assert db.session.merge(user, load=False).username == "rows-life"


def test_a_reports_lookups_see_what_the_unit_added_and_is_the_sessions_own(app):
    """The category and grid a report names are read as plain rows (core.rows.plain_rows):
    as an ORM query would, they first flush what the caller's unit added — a category
    created and used in one unit (the catalogue import, the demo seed) is found — and give
    the session's own objects."""
    from events.models import Category
    with writing(app):
        catalogue()
        grid = make_town(grids=1).grids[0]
        worker = make_user("rows-lookups", "grid_worker", grids=[grid])
        source = db.session.scalar(select(Category).where(Category.code == "06010"))
        fresh = Category(**{column.key: getattr(source, column.key)
                            for column in Category.__mapper__.column_attrs
                            if column.key not in ("id", "code")}, code="98765")
        db.session.add(fresh)  # not flushed
        checked = intake.check_report(worker, category_code="98765", lat=grid.centroid_lat,
                                      lon=grid.centroid_lon)
        assert checked.category is fresh and checked.category.id is not None
        assert checked.grid is db.session.get(type(grid), grid.id)
        assert checked.grid.town.id == grid.town_id
        fresh.is_active = False  # changed, not flushed: the session's own object is the answer
        with pytest.raises(InvalidInput, match="98765"):
            intake.check_report(worker, category_code="98765", lat=grid.centroid_lat,
                                lon=grid.centroid_lon)


def test_a_pages_user_comes_with_its_scope_as_the_orm_would_load_it(app):
    """The session's user (auth's user_loader) is one plain statement: the user, its region,
    department, the department's region and its grids, each the session's own object;
    another epoch or a disabled account logs nobody in."""
    from auth.models import User
    from grid.models import GridMember
    from tests.factories import make_department
    with writing(app):
        town = make_town(grids=2)
        handler = make_user("rows-page", "handler", department=make_department(town))
        # a handler has no grids of their own; given two here, they come with the user too
        db.session.add_all([GridMember(grid_id=grid.id, user_id=handler.id) for grid in town.grids])
        user_id, department_id = handler.id, handler.department_id
    load = app.login_manager._user_callback
    statements = []

    def count(*_args):
        statements.append(1)
    with app.test_request_context():
        expected = {column.key: getattr(db.session.get(User, user_id), column.key)
                    for column in User.__mapper__.column_attrs}
        db.session.remove()
        db.session.connection()
        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            user = load(f"{user_id}.0")
            assert {key: getattr(user, key) for key in expected} == expected
            assert user.region.id == town.id and user.department.id == department_id
            assert user.department.region.id == town.id
            assert user.grid_ids == {grid.id for grid in town.grids}
            assert statements == [1]
            assert load(f"{user_id}.0") is user
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
        assert load(f"{user_id}.1") is None  # a cookie of another epoch
    with writing(app):
        db.session.get(User, user_id).is_enabled = False
    with app.test_request_context():
        assert load(f"{user_id}.0") is None
