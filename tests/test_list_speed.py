"""The fast paths of the lists keep the documented answers (issue 8): a plain-row summary
equals the schema's, each role's list reads its index in order, duplicates are bounded."""
import re

import pytest
from sqlalchemy import select, text

from auth.models import User
from core import clock
from core.extensions import db
from events import filters
from events.intake import MAX_DUPLICATES
from events.models import Event
from events.filters import _plain_pages, ordered_queries, summary_rows_query
from events.queries import summary_json
from events.schemas import EventSummaryOut
from events.deadlines import clock_json
from tests.support import POINT_GRID1, POINT_GRID2, query_plan, statements_during, writing


def test_a_summary_row_is_what_the_schema_says(world, report):
    report("worker")
    report("dispatcher", point=POINT_GRID2)
    with world.test_request_context("/"):
        now = clock.utcnow()
        for username in ("worker", "dispatcher", "admin"):
            user = db.session.scalar(select(User).where(User.username == username))
            rows = db.session.execute(summary_rows_query(user, {})).all()
            assert rows
            for row in rows:
                event = db.session.get(Event, row.id)
                expected = EventSummaryOut().dump(event) | {"clock": clock_json(event, now)}
                assert summary_json(row, now) == expected


@pytest.mark.parametrize("sort", ["urgency", "newest", "oldest"])
def test_every_role_lists_its_cases_in_index_order_without_sorting(world, report, sort,
                                                                   monkeypatch):
    """EXPLAIN shows no temporary sort, in every order the workbench offers: the first page
    costs the same at 10,000 or 1,000,000 cases. (A queue of a rare state is read by id
    and sorted instead: test_a_queue_of_few_cases_is_read_by_id; here every queue is
    taken for common.)"""
    monkeypatch.setattr(filters, "FEW_CASES", 0)
    monkeypatch.setattr(filters, "FEW_OPEN_OLDEST", 0)
    report("worker")
    with world.test_request_context("/"):
        engine = db.engine
        for username, args in (("worker", {}), ("dispatcher", {}), ("handler", {}),
                               ("admin", {}), ("supervisor", {}),
                               ("dispatcher", {"grid": "220221101000001"}),
                               ("dispatcher", {"mine": True}), ("admin", {"overdue": True})):
            user = db.session.scalar(select(User).where(User.username == username))
            queries = [query.limit(21) for query in ordered_queries(user, args, sort, None)]
            if not args:  # the prebuilt plain list, first and deep pages
                for group in (None, 0, 1) if sort == "urgency" else (None, 1):
                    queries += [statement.params(size=21, ident=10**6, moment=clock.utcnow())
                                for statement in _plain_pages(user, sort, group)]
            for query in queries:
                sql = query.compile(engine, compile_kwargs={"literal_binds": True})
                if engine.dialect.name == "sqlite":
                    plan = " ".join(r[-1] for r in db.session.execute(
                        text(f"EXPLAIN QUERY PLAN {sql}")))
                    assert "TEMP B-TREE" not in plan, (username, args, plan)
                else:  # tiny test tables make a sort cheapest: ask whether one can be avoided
                    db.session.execute(text("SET LOCAL enable_sort = off"))
                    db.session.execute(text("SET LOCAL enable_seqscan = off"))
                    plan = " ".join(r[0] for r in db.session.execute(text(f"EXPLAIN {sql}")))
                    assert "Sort" not in plan, (username, args, plan)


@pytest.mark.parametrize("sort", ["urgency", "newest", "oldest"])
def test_a_deep_page_starts_its_index_walk_at_its_cursor(world, report, sort, monkeypatch):
    """A page after the first reads its index from the cursor's instant on, not every newer
    case of the scope first: PostgreSQL did not bound an index walk by the cursor's OR
    alone (page 101 of a grid at a million cases read 2,000 rows for 21, ten times as many
    at page 1,001). SQLite's planner bounded it already."""
    monkeypatch.setattr(filters, "FEW_CASES", 0)
    monkeypatch.setattr(filters, "FEW_OPEN_OLDEST", 0)
    report("worker")
    with world.test_request_context("/"):
        engine = db.engine
        for username in ("worker", "dispatcher", "handler", "supervisor", "admin"):
            user = db.session.scalar(select(User).where(User.username == username))
            for group in (0, 1) if sort == "urgency" else (1,):
                statement = _plain_pages(user, sort, group)[0].params(
                    size=21, ident=10**6, moment=clock.utcnow())
                sql = statement.compile(engine, compile_kwargs={"literal_binds": True})
                column = "due_at" if group == 0 else "created_at"
                if engine.dialect.name == "sqlite":
                    plan = " ".join(r[-1] for r in db.session.execute(
                        text(f"EXPLAIN QUERY PLAN {sql}")))
                    assert re.search(rf"SEARCH event USING INDEX \w+ \([^)]*{column}[<>]", plan), \
                        (username, group, plan)
                else:  # tiny test tables: ask for the plan a county's would have
                    db.session.execute(text("SET LOCAL enable_sort = off"))
                    db.session.execute(text("SET LOCAL enable_seqscan = off"))
                    bounds = [r[0] for r in db.session.execute(text(f"EXPLAIN {sql}"))
                              if "Index Cond" in r[0]]
                    assert any(column in bound for bound in bounds), (username, group, bounds)


def test_a_handlers_and_a_workers_most_urgent_come_from_their_own_index(world, report,
                                                                        monkeypatch):
    """A department's running clocks, and one grid's, are read from their own (column,
    due_at, id) index: not by walking every running clock of the county and testing each
    (13.6 ms a handler's workbench at 23,000 running clocks, 5.9 ms with it)."""
    monkeypatch.setattr(filters, "FEW_CASES", 0)  # their queues common, as in a county
    report("worker")
    with world.test_request_context("/"):
        engine = db.engine
        for username, index in (("handler", "ix_event_department_due"),
                                ("worker", "ix_event_grid_due")):
            user = db.session.scalar(select(User).where(User.username == username))
            for args in ({}, {"overdue": True}, {"mine": True}):
                running = ordered_queries(user, args, "urgency", None)[0].limit(21)
                plan = query_plan(db.session.connection(), str(running.compile(
                    engine, compile_kwargs={"literal_binds": True})))
                if engine.dialect.name == "sqlite":  # the planner without statistics
                    assert index in plan, (username, args, plan)
                else:  # PostgreSQL's choice follows the tiny tables' statistics: no sort
                    assert "Sort" not in plan, (username, args, plan)


def test_postgresql_plans_the_lists_from_the_columns_themselves(world, report):
    """`column + 0` hides an index from SQLite's planner (which plans by the schema alone) so
    that it walks the ORDER BY's; PostgreSQL plans by its statistics, which know nothing of
    the expression: it guessed a town's 6,000 running clocks at 36 and sorted them (a
    dispatcher's workbench 18 ms at 100,000 cases, 0.06 ms walking ix_event_due)."""
    report("worker")
    with world.test_request_context("/"):
        engine = db.engine
        for username in ("worker", "dispatcher", "handler", "supervisor", "admin"):
            user = db.session.scalar(select(User).where(User.username == username))
            for args in ({}, {"overdue": True}, {"mine": True}, {"grid": "220221101000001"}):
                running = ordered_queries(user, args, "urgency", None)[0]
                sql = str(running.compile(engine, compile_kwargs={"literal_binds": True}))
                hidden = " + 0" in sql or "|| ''" in sql
                if engine.dialect.name == "postgresql":
                    assert not hidden, (username, args, sql)
                elif username == "dispatcher" and not args:  # a town's: walks ix_event_due
                    assert hidden, sql
            # the cases with no running clock, after them: `coalesce(due_at, NULL) IS NULL`
            # keeps SQLite off ix_event_due; PostgreSQL guessed it at two rows and sorted a
            # department's every case (a handler's workbench 3 ms at 10,000 cases, 0.3 walked)
            for group in (None, 1):
                rest = filters._plain_pages(user, "urgency", group)[-1].params(
                    size=21, ident=10**6, moment=clock.utcnow())
                sql = str(rest.compile(engine, compile_kwargs={"literal_binds": True}))
                assert ("coalesce(event.due_at, NULL) IS NULL" if engine.dialect.name == "sqlite"
                        else "event.due_at IS NULL") in sql, sql
                assert "coalesce" not in sql or engine.dialect.name == "sqlite", sql


def test_a_queue_of_few_cases_is_read_by_id(world, report, api):
    """A queue whose states are rare in the county (a supervisor's 挂起, none at all here) is
    read by id and sorted — not by walking every running clock or every case of the county
    testing each for the state (146 ms a supervisor's 我的待办 at a million cases, 5 ms so);
    a common one is walked in the list's order, its state tested on each (an admin's newest
    first: 107 ms when SQLite took the state index and sorted, 7 ms). The list is the same
    either way."""
    report("worker")
    report("worker", description="第二件")
    with world.test_request_context("/"):
        engine = db.engine
        supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        for sort in ("urgency", "newest"):
            for query in ordered_queries(supervisor, {"mine": True}, sort, None):
                sql = str(query.limit(21).compile(engine, compile_kwargs={"literal_binds": True}))
                plan = query_plan(db.session.connection(), sql)
                if engine.dialect.name == "sqlite":
                    assert "ix_event_due" not in plan and "ix_event_created" not in plan, plan
                    assert "SEARCH event USING INTEGER PRIMARY KEY" in plan, plan
            queued = [row.id for query in ordered_queries(admin, {"mine": True}, sort, None)
                      for row in db.session.execute(query.limit(21))]
            filters.FEW_CASES, few = 0, filters.FEW_CASES
            try:
                walked = [row.id for query in ordered_queries(admin, {"mine": True}, sort, None)
                          for row in db.session.execute(query.limit(21))]
            finally:
                filters.FEW_CASES = few
            assert queued == walked and len(queued) == 2
    mine = api("supervisor").get("/api/v1/events", query_string={"mine": "1"}).get_json()
    assert mine["items"] == []


def test_possible_duplicates_are_the_nearest_few(report, api):
    for i in range(MAX_DUPLICATES + 3):
        report("worker", point=(POINT_GRID1[0] + i * 0.00002, POINT_GRID1[1]),
               description=f"同一处垃圾 {i}")
    answer = report("worker", point=POINT_GRID1, description="又一次")
    found = answer["possible_duplicates"]
    assert len(found) == MAX_DUPLICATES
    assert found[0]["lat"] == POINT_GRID1[0]  # the nearest first
    lats = [d["lat"] for d in found]
    assert lats == sorted(lats)


def test_a_case_read_as_rows_is_what_the_schema_says(app, now, freeze):
    """GET /events/<id> builds its answer from plain rows (events.queries.detail_json); for
    every demo case in every state, and every role, it equals what the schema dumps from the
    ORM case (EventOut + clock, reporter, history, allowed_actions)."""
    import io

    from PIL import Image

    from auth.services import issue_token
    from demo.seed import seed_demo
    from auth.masking import may_see_contact, reporter_contact
    from events.access import allowed_actions
    from events.schemas import EventOut, LogOut

    def orm_detail(user, event):
        return EventOut().dump(event) | {
            "clock": clock_json(event, now), "reporter": reporter_contact(user, event),
            "tracking_code": event.tracking_code if may_see_contact(user) else None,
            "history": LogOut(many=True).dump(event.logs),
            "allowed_actions": allowed_actions(user, event)}
    from tests.support import DEMO_PASSWORD
    freeze(now)
    with writing(app):
        seed_demo(now, password=DEMO_PASSWORD, cases=60)
        tokens = {}
        for username in ("worker", "dispatcher", "handler", "supervisor", "admin"):
            user = db.session.scalar(select(User).where(User.username == username))
            tokens[username] = issue_token(user, now)[0]
    client = app.test_client()
    headers = {name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}
    photo = io.BytesIO()
    Image.new("RGB", (40, 30), (9, 90, 9)).save(photo, "JPEG")
    uploaded = client.post("/api/v1/uploads", headers=headers["worker"], data={
        "file": (io.BytesIO(photo.getvalue()), "a.jpg")}).get_json()
    created = client.post("/api/v1/events", headers=headers["worker"], json={
        "category_code": "06010", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
        "description": "带照片的案件", "photo_ids": [uploaded["id"]]}).get_json()
    assert created["photos"] and created["history"][0]["photos"]
    with app.test_request_context("/"):  # the create's own answer is the same reading
        worker = db.session.scalar(select(User).where(User.username == "worker"))
        assert {k: v for k, v in created.items() if k != "possible_duplicates"} == \
            orm_detail(worker, db.session.get(Event, created["id"]))
    with app.app_context():
        ids = db.session.scalars(select(Event.id).order_by(Event.id)).all()
        states = set(db.session.scalars(select(Event.state)).all())
    assert len(ids) > 60 and {"reported", "filed", "dispatched", "handled", "closed"} <= states
    seen = 0
    for username, header in headers.items():
        for ident in ids:
            answer = client.get(f"/api/v1/events/{ident}", headers=header)
            with app.test_request_context("/"):
                user = db.session.scalar(select(User).where(User.username == username))
                event = db.session.get(Event, ident)
                from events.access import can_see
                if not can_see(user, event):
                    assert answer.status_code == 404
                    continue
                expected = orm_detail(user, event)
            assert answer.status_code == 200
            assert answer.get_json() == expected, (username, ident)
            seen += 1
    assert seen > 100


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's plan
def test_the_duplicate_check_reads_a_band_of_one_category_from_its_index(world, report):
    """Without ix_event_category_place the check read every case of the category (2,700 rows
    per create in the bench); with it, a band of latitude, from the index alone."""
    from sqlalchemy import event as sa_event

    from events.intake import possible_duplicates
    report("worker")
    with world.test_request_context("/"):
        seen = []
        listener = lambda conn, cursor, statement, params, context, many: seen.append(
            (statement, params))
        sa_event.listen(db.engine, "before_cursor_execute", listener)
        try:
            category_id = db.session.scalar(select(Event.category_id))
            possible_duplicates(category_id, POINT_GRID1[0], POINT_GRID1[1], clock.utcnow())
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", listener)
        statement, params = next((s, p) for s, p in seen if "ORDER BY" in s)
        plan = " ".join(str(row) for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, params).all())
    assert "COVERING INDEX ix_event_category_place" in plan, plan


def test_a_create_answers_from_what_it_wrote_without_reading_it_back(world, api):
    """The create's answer is built from the case in memory (events.queries.written_case):
    after the write unit's INSERTs nothing reads the case, its history or its photos, and
    the duplicate check ran before the unit."""
    from sqlalchemy import event as sa_event
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))
    with world.app_context():
        engine = db.engine
    worker = api("worker")
    worker.get("/api/v1/events")  # its token issued before counting
    sa_event.listen(engine, "before_cursor_execute", seen)
    try:
        answer = worker.post("/api/v1/events", json={
            "category_code": "06010", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
            "description": "路边垃圾", "address": "东街"})
    finally:
        sa_event.remove(engine, "before_cursor_execute", seen)
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["history"][0]["action"] == "create" and body["state"] == "filed"
    assert body["grid_name"] and body["town_name"] and body["clock"]["stage"]
    after = statements[next(i for i, s in enumerate(statements)
                            if s.startswith("INSERT INTO event_log")) + 1:]
    reads_back = [s for s in after if s.startswith("SELECT") and
                  ("FROM event_log" in s or "FROM attachment" in s or "event.number" in s)]
    assert not reads_back, reads_back
    # the possible duplicates are read with the report's checks, before the unit: the
    # request has no read transaction after its commit
    counter = next(i for i, s in enumerate(statements)
                   if s.startswith("INSERT INTO event_counter"))
    nearby = [i for i, s in enumerate(statements)
              if s.startswith("SELECT event.id, event.lat, event.lon FROM event")]
    assert nearby and max(nearby) < counter, statements
    inserted = [s.split(" ")[2] for s in statements if s.startswith("INSERT")]
    assert inserted[:3] == ["event_counter", "event", "event_log"]
    # then, at commit, in no set order: the 待派遣 task and the dashboards' rollups, once each
    assert sorted(inserted[3:]) == ["notification", "rollup_cell", "rollup_department",
                                    "rollup_month", "rollup_town"]


ROLES = ("worker", "dispatcher", "handler", "supervisor", "admin")


def _statements_of(engine, request) -> list[str]:
    """The statements `request()` runs (BEGIN left out), quotes dropped, spaces squeezed."""
    return [" ".join(statement.replace('"', "").split())
            for statement, _parameters in statements_during(engine, request)]


def test_each_roles_list_is_the_token_and_the_page(world, report, api):
    """The token with its user's grids, then the page; a supervisor's subtree read as its
    path alone between them — no lazy load of a whole region (it was a third of a
    supervisor's list) — and that path kept for the next lists (core.reference)."""
    report("worker")
    with world.app_context():
        engine = db.engine
    path = "SELECT region.path FROM region WHERE region.id"
    for username in ROLES:
        client = api(username)
        assert client.get("/api/v1/events").status_code == 200  # its token issued first
        for first in (True, False):
            if first:
                world.extensions["gridgov.reference"].clear()
            statements = _statements_of(engine, lambda: client.get("/api/v1/events?limit=20"))
            assert statements[0].startswith(
                "SELECT api_token.expires_at, (SELECT reference_version.token FROM "
                "reference_version) AS anon_1, user.id"), (username, statements)
            assert statements[-1].startswith("SELECT event.id"), (username, statements)
            between = [path] if username == "supervisor" and first else []
            assert [s[:len(path)] for s in statements[1:-1]] == between, (username, statements)


def test_a_page_reads_its_users_scope_with_the_user(world, report, login_as):
    """The session's user comes with its grids, region, department and the department's
    region in one statement: a handler's workbench read the last two by lazy loads, a
    supervisor's the region."""
    report("worker")
    with world.app_context():
        engine = db.engine
    for username in ROLES:
        client = login_as(username)
        assert client.get("/events").status_code == 200
        statements = _statements_of(engine, lambda: client.get("/events"))
        assert statements[0].startswith(
            "SELECT (SELECT reference_version.token FROM reference_version) AS anon_1, user.id"
        ), (username, statements[0][:80])
        lazy = [s[:80] for s in statements
                if s.startswith(("SELECT region.id AS region_id", "SELECT department.id AS"))]
        assert not lazy, (username, lazy)
        # the filter lists (categories, grids, departments) were kept from the first page
        # (core.reference): this one reads none of them
        lists = [s[:60] for s in statements if s.startswith(
            ("SELECT category.", "SELECT grid.", "SELECT department."))]
        assert not lists, (username, lists)
