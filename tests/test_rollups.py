"""The dashboards' rollups (issue 11, scale): what every transition and the sweep keep, in
their own transactions, is what a rebuild from the cases gives — after a random walk of
actions over several local days — and the figures read from them are the cases' own."""
import random
from datetime import timedelta

import pytest

from core.extensions import db
from dashboard.models import rollup_cell, rollup_department, rollup_month, rollup_town
from dashboard.rollups import rebuild, stored
from events.models import Event
from events.sweep import escalate_due
from portal.models import Rating
from tests.fixtures.dashboard import local
from core.database import write_transaction
from tests.support import POINT_GRID2, writing

#: who tries what, and what each action needs besides itself
PEOPLE = ("worker", "dispatcher", "handler", "supervisor")
FORWARD = ("verify", "dispatch", "accept", "handle", "close")
FIELDS = {"reject": {"reason": "不属实"}, "return": {"note": "非本单位职责"},
          "request_extension": {"hours": 8, "note": "需大型机械"},
          "approve_extension": {"note": "同意"}, "deny_extension": {"note": "请按期完成"},
          "handle": {"note": "已处理"}, "close": {"note": "合格", "photo": True},
          "rework": {"note": "仍有残留", "photo": True}, "suspend": {"note": "待协调"},
          "resume": {"note": "协调完毕"}, "reopen": {"note": "问题反弹"},
          "supervise": {"note": "请尽快处理"}, "verify": {"note": "属实"}}


def _snapshot():
    return (stored(rollup_cell), stored(rollup_town), stored(rollup_department),
            stored(rollup_month))


def _walk(world, api, report, freeze, rng: random.Random, steps: int) -> dict:
    """Reports, actions, ratings and sweeps at random moments over five days; returns how
    often each action was taken."""
    moment = local(2026, 3, 9, 8, 0)
    freeze(moment)
    cases, taken = [], {}
    for _ in range(steps):
        moment += timedelta(minutes=rng.choice((5, 40, 90, 240, 600)))
        freeze(moment)
        roll = rng.random()
        if roll < 0.2 or not cases:
            who, source = rng.choice((("worker", "patrol"), ("dispatcher", "hotline")))
            fields = {"source": source} if source == "hotline" else {}
            if who == "dispatcher" and rng.random() < 0.4:  # the town's other grid
                fields["point"] = POINT_GRID2
            cases.append(report(who, **fields)["id"])
            continue
        if roll < 0.27:
            with world.test_request_context():
                escalate_due(moment)
            taken["sweep"] = taken.get("sweep", 0) + 1
            continue
        eid = rng.choice(cases)
        if roll < 0.32:
            with writing(world):
                case = db.session.get(Event, eid)
                if case.state == "closed" and case.closed_at is not None:
                    db.session.add(Rating(event_id=eid, closed_at=case.closed_at,
                                          rating=rng.choice(("满意", "基本满意", "不满意")),
                                          created_at=moment))
                    taken["rating"] = taken.get("rating", 0) + 1
            continue
        offered = []
        for who in PEOPLE:
            seen = api(who).get(f"/api/v1/events/{eid}")
            if seen.status_code == 200:
                offered += [(who, a) for a in seen.get_json()["allowed_actions"]
                            if a != "comment"]
        forward = [(who, a) for who, a in offered if a in FORWARD]
        if not offered:
            continue
        who, action = rng.choice(forward if forward and rng.random() < 0.75 else offered)
        answer = api(who).act(eid, action, **FIELDS.get(action, {}))
        if answer.status_code == 200:
            taken[action] = taken.get(action, 0) + 1
    return taken


@pytest.mark.parametrize("database_url, seed", [("sqlite", 5), ("postgresql", 8)],
                         indirect=["database_url"])  # one walk per engine, each its own
def test_a_rebuild_equals_what_every_step_kept(world, api, report, freeze, seed):
    taken = _walk(world, api, report, freeze, random.Random(seed), 240)
    for action in ("verify", "dispatch", "accept", "handle", "close", "rework", "suspend",
                   "sweep"):
        assert taken.get(action), f"the walk never took {action}: {taken}"
    with world.app_context():
        kept = _snapshot()
        assert kept[0] and kept[1]
        counted = {}
        for counters in kept[1].values():
            for name, n in counters.items():
                counted[name] = counted.get(name, 0) + n
        # the facts the walk made are there: closings, 应结案, reworks, handled runs
        for name in ("reported", "filed", "closed", "due", "reworks", "handled"):
            assert counted.get(name, 0) > 0, (name, counted)
    with writing(world):
        rebuild()
    with world.app_context():
        assert _snapshot() == kept


def test_a_rolled_back_change_is_not_counted_later(world, report, freeze):
    """A unit of work that flushed a change and was rolled back leaves nothing behind: when
    the same session later commits, a change another session made meanwhile is not counted
    twice."""
    freeze(local(2026, 3, 10, 9, 0))
    eid = report("worker")["id"]
    with world.app_context():
        with pytest.raises(RuntimeError), write_transaction():
            db.session.get(Event, eid).state = "suspended"
            db.session.flush()  # its facts before the change are taken here
            raise RuntimeError("refused after the flush")
        with world.app_context(), write_transaction():  # another session closes the case
            case = db.session.get(Event, eid)
            case.state, case.closed_at = "closed", local(2026, 3, 10, 10, 0)
        with write_transaction():  # the first session commits something else
            db.session.add(Rating(event_id=eid, rating="满意", closed_at=local(2026, 3, 10, 10, 0),
                                  created_at=local(2026, 3, 10, 11, 0)))
        kept = _snapshot()
    with writing(world):
        rebuild()
    with world.app_context():
        assert _snapshot() == kept
        town = stored(rollup_town)
        assert sum(c.get("closed", 0) for c in town.values()) == 1
        assert sum(c.get("rated", 0) for c in town.values()) == 1


def test_the_rebuild_command_counts_every_case(world, report, runner, freeze):
    freeze(local(2026, 3, 10, 9, 0))
    for _ in range(3):
        report("worker")
    with writing(world):
        db.session.execute(rollup_town.delete())
        db.session.execute(rollup_cell.delete())
    result = runner.invoke(args=["rollups", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "3 cases" in result.output
    with world.app_context():
        town = stored(rollup_town)
        assert sum(c.get("reported", 0) for c in town.values()) == 3
        assert sum(c.get("filed", 0) for c in town.values()) == 3  # a worker's patrol is filed


def test_cases_walked_to_the_end_in_one_unit_of_work_are_counted_whole(world, freeze):
    """A case created and walked on in the same transaction (the factories, the demo's own
    cases) is counted with its runs and logs, not as a bare new row."""
    from sqlalchemy import select

    from grid.models import Grid
    from tests.factories import make_case
    freeze(local(2026, 3, 10, 9, 0))
    with writing(world):
        grid = db.session.scalar(select(Grid).order_by(Grid.code))
        make_case(grid, state="closed", now=local(2026, 3, 10, 9, 0))
        make_case(grid, state="accepted", now=local(2026, 3, 10, 9, 0))
    with world.app_context():
        kept = _snapshot()
        town = kept[1]
        assert sum(c.get("closed_on_time", 0) for c in town.values()) == 1
        assert sum(c.get("handled", 0) for c in town.values()) == 1
    with writing(world):
        rebuild()
    with world.app_context():
        assert _snapshot() == kept


def test_whole_months_and_the_days_around_them():
    from datetime import date

    from dashboard.stats import Period, _whole_months
    assert _whole_months(Period(date(2026, 1, 15), date(2026, 4, 10))) == (
        [date(2026, 2, 1), date(2026, 3, 1)],
        [(date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 4, 1), date(2026, 4, 10))])
    assert _whole_months(Period(date(2026, 1, 1), date(2026, 12, 31))) == (
        [date(2026, m, 1) for m in range(1, 13)], [])
    assert _whole_months(Period(date(2026, 3, 2), date(2026, 3, 30))) == (
        [], [(date(2026, 3, 2), date(2026, 3, 30))])


def test_a_long_periods_reports_come_from_months_and_days(world, report, freeze):
    """The most-reported charts of a long period: whole months from rollup_month, the days
    around them from rollup_cell — the same counts as the cases."""
    from sqlalchemy import select

    from auth.models import User
    from dashboard.stats import Period, reported_by
    from datetime import date
    for when, n in ((local(2026, 2, 10, 9, 0), 1), (local(2026, 2, 20, 9, 0), 2),
                    (local(2026, 3, 10, 9, 0), 3), (local(2026, 4, 2, 9, 0), 1),
                    (local(2026, 4, 20, 9, 0), 5)):
        freeze(when)
        for _ in range(n):
            report("worker")
            report("dispatcher", point=POINT_GRID2)
    with world.test_request_context():
        lead = db.session.scalar(select(User).where(User.username == "supervisor"))
        got = reported_by(lead, {}, Period(date(2026, 2, 15), date(2026, 4, 10)), "grid_id")
        assert sorted(got.values()) == [6, 6]  # Feb 20 (2), all March (3), Apr 2 (1) per grid
        whole = reported_by(lead, {"source": "hotline"},
                            Period(date(2026, 2, 1), date(2026, 4, 30)), "grid_id")
        assert sorted(whole.values()) == [12]  # the dispatcher's calls, in the second grid


def test_the_admins_period_is_read_by_the_rollups_key(world, report):
    """An admin's scope is every town: naming them lets a period's cells be read by the key,
    which leads with the town, instead of scanning the whole table (an admin's wall took
    twice the county supervisor's at a million cases). The counts are the supervisor's."""
    from datetime import date

    from sqlalchemy import select

    from auth.models import User
    from core import clock
    from dashboard.stats import Period, _rollup_query, reported_by
    from tests.support import POINT_GRID2, query_plan
    report("worker")
    report("dispatcher", point=POINT_GRID2)
    today = clock.utcnow().date()
    period = Period(today - timedelta(days=13), today + timedelta(days=1))
    with world.test_request_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        lead = db.session.scalar(select(User).where(User.username == "supervisor"))
        assert reported_by(admin, {}, period, "grid_id") \
            == reported_by(lead, {}, period, "grid_id")
        assert sum(reported_by(admin, {}, period, "grid_id").values()) == 2
        if db.engine.dialect.name == "sqlite":
            query = _rollup_query(admin, {}, period, "grid_id")
            plan = query_plan(db.session.connection(), str(query.compile(
                db.engine, compile_kwargs={"literal_binds": True})))
            assert "SCAN rollup_" not in plan and "(town_id=? AND cohort>?" in plan, plan
