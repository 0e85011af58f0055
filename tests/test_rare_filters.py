"""Filters that admit few cases (issue 8): on SQLite, which plans without statistics, a
caller's number, 督办, a rare state or category, 我的待办 of a rare state are counted from
their own index and read by id (events.filters._rare_ids) — the same pages as a walk in the
list's order, on both engines."""
from sqlalchemy import select

from auth.models import User
from core import clock
from core.extensions import db
from events import filters
from events.filters import ordered_queries
from events.models import Event
from tests.support import POINT_GRID2, query_plan, writing


def test_every_queue_lies_within_the_states_it_is_counted_by(world, report):
    """A rare queue is read by id from the cases in `queue_states` (events.filters): those
    must be every state `queue_clause` admits, for every role — over cases in every state,
    with and without a 延期 request, of a category the grid or the dispatchers verify."""
    from events.access import queue_clause, queue_states
    from events.lifecycle import STATES
    from events.models import Department
    made = [(report("worker", category_code=code)["id"], state, hours)
            for code in ("06010", "99001") for state in STATES for hours in (None, 24)]
    with writing(world):
        department = db.session.scalar(select(Department.id).join(
            User, User.department_id == Department.id).where(User.username == "handler"))
        for case_id, state, hours in made:
            db.session.execute(Event.__table__.update().where(Event.id == case_id).values(
                state=state, extension_requested_hours=hours, department_id=department))
    with world.test_request_context("/"):
        for username in ("worker", "dispatcher", "handler", "supervisor", "admin"):
            user = db.session.scalar(select(User).where(User.username == username))
            queued = set(db.session.scalars(select(Event.id).where(queue_clause(user))))
            within = set(db.session.scalars(select(Event.id).where(
                queue_clause(user), Event.state.in_(queue_states(user)))))
            assert queued and queued == within, username


RARE = [{"phone": "13812341234"}, {"supervised": True}, {"state": "suspended"},
        {"state": "closed"}, {"state": "rejected,closed"}, {"category": "99001"},
        {"overdue": True}, {"mine": True}, {"state": "filed", "supervised": True},
        {"supervised": True, "q": "垃圾"}, {"mine": True, "q": "垃圾"}]


def test_a_filter_that_admits_few_cases_reads_them_by_id(world, report, api):
    """A caller's number (来电号码), 督办, a seldom used state or category: on SQLite, which
    plans without statistics, the few cases the filter admits are counted from its own index
    and read by id — a list walked in its order for them read every case of the county
    (a second a page at a million cases, for a number or 只看督办). Either way the pages are
    the same, in every order, page after page (PostgreSQL plans by its statistics)."""
    from events.filters import read_page
    made = [report("dispatcher", source="hotline", caller_name="王", point=POINT_GRID2,
                   caller_phone="138-1234-1234" if n % 2 else "13900001111")["id"]
            for n in range(5)] + [report("worker")["id"] for _ in range(5)]
    with writing(world):
        for n, case_id in enumerate(made):
            db.session.execute(Event.__table__.update().where(Event.id == case_id).values(
                supervise_count=n % 3, state=("suspended", "closed", "rejected", "filed",
                                              "dispatched")[n % 5],
                due_at=None if n % 5 < 3 else clock.utcnow().replace(year=2020)))
    with world.test_request_context("/"):
        engine = db.engine
        for username in ("dispatcher", "admin", "supervisor", "handler", "worker"):
            user = db.session.scalar(select(User).where(User.username == username))
            for args in RARE:
                if "phone" in args and username not in ("dispatcher", "admin"):
                    continue  # not theirs to search (403)
                for sort in ("urgency", "newest", "oldest"):
                    def pages():
                        found, cursor = [], None
                        while True:
                            rows, cursor = read_page(user, args, sort, cursor, 2)
                            found += [row.id for row in rows]
                            if cursor is None:
                                return found
                    by_id = pages()
                    if engine.dialect.name == "sqlite":
                        for query in ordered_queries(user, args, sort, None):
                            plan = query_plan(db.session.connection(), str(query.limit(3).compile(
                                engine, compile_kwargs={"literal_binds": True})))
                            outer = plan.split("SUBQUERY")[0]  # not the ids' own read
                            assert "SEARCH event USING INTEGER PRIMARY KEY" in outer, (args, plan)
                            assert "ix_event" not in outer, (args, plan)
                    few = filters.FEW_CASES, filters.FEW_OPEN_OLDEST
                    filters.FEW_CASES = filters.FEW_OPEN_OLDEST = 0
                    try:
                        walked = pages()
                    finally:
                        filters.FEW_CASES, filters.FEW_OPEN_OLDEST = few
                    assert by_id == walked, (username, args, sort)
                    assert len(set(by_id)) == len(by_id)
            # a 结案, 不予受理 or 挂起 case has no running clock: the urgency list does not look
            for state in ("closed", "rejected,suspended"):
                assert len(ordered_queries(user, {"state": state}, "urgency", None)) == 1
            assert ordered_queries(user, {"state": "closed", "overdue": True}, "urgency",
                                   None) == []
    phone = api("dispatcher").get("/api/v1/events", query_string={"phone": "13812341234"})
    assert [case["id"] for case in phone.get_json()["items"]] == [made[3], made[1]]
    closed = api("dispatcher").get("/api/v1/events", query_string={"state": "closed"})
    assert {case["id"] for case in closed.get_json()["items"]} == {made[1], made[6]}
    supervised = api("admin").get("/api/v1/events", query_string={"supervised": "1"})
    assert {case["id"] for case in supervised.get_json()["items"]} \
        == {made[n] for n in range(10) if n % 3}


def test_a_callers_number_and_supervision_have_their_own_index(world, report):
    """来电号码 and 只看督办 read their few cases from partial indexes (migration 0038) on both
    engines: on SQLite counted and read by id, on PostgreSQL as its planner chooses."""
    report("dispatcher", source="hotline", caller_name="王", caller_phone="13812341234",
           point=POINT_GRID2)
    with world.test_request_context("/"):
        engine = db.engine
        dispatcher = db.session.scalar(select(User).where(User.username == "dispatcher"))
        for args, index, alone in (
                ({"phone": "13812341234"}, "ix_event_reporter_phone",
                 Event.reporter_phone == "13812341234"),
                ({"supervised": True}, "ix_event_supervised", Event.supervise_count > 0)):
            if engine.dialect.name == "sqlite":
                for sort in ("urgency", "newest", "oldest"):
                    query = ordered_queries(dispatcher, args, sort, None)[-1].limit(21)
                    plan = query_plan(db.session.connection(), str(query.compile(
                        engine, compile_kwargs={"literal_binds": True})))
                    assert index in plan, (args, sort, plan)
            else:  # its planner weighs the tiny tables: the index serves the condition
                query = select(Event.id).where(alone)
                plan = query_plan(db.session.connection(), str(query.compile(
                    engine, compile_kwargs={"literal_binds": True})))
                assert index in plan, (args, plan)
