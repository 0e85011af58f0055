"""综合评价 (issue 11): GET /api/v1/stats on hand-built cases whose answers are known — the
period's boundaries in Asia/Shanghai, rejection, rework, suspension, lateness, ratings —
and scoped to what the caller may see."""
import pytest

from tests.fixtures.dashboard import local
from tests.support import POINT_GRID2


def _stats(api, who="supervisor", **query):
    answer = api(who).get("/api/v1/stats?" + "&".join(f"{k}={v}" for k, v in query.items()))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_the_days_figures_are_what_the_definitions_say(tuesday, api):
    got = _stats(api, **{"from": "2026-03-10", "to": "2026-03-10"})
    assert got["period"] == {"from": "2026-03-10", "to": "2026-03-10"}
    assert got["reported"] == 5
    assert got["reported_by_source"] == {"patrol": 3, "resident": 0, "hotline": 2, "open311": 0}
    assert got["valid_report_rate"] == pytest.approx(4 / 5)  # C 不予立案
    assert got["filed"] == 4  # A, B, D, E
    assert got["due_to_close"] == 3  # A, B closed; D past its deadline; E 挂账
    assert got["closed"] == 2 and got["closed_on_time"] == 1  # B handled late
    assert got["close_rate"] == pytest.approx(2 / 3)
    assert got["on_time_close_rate"] == pytest.approx(1 / 3)
    assert got["on_time_handle_rate"] == pytest.approx(2 / 3)  # A twice in time, B late
    # A 60 + 5 working minutes, B 09:05–12:00 and 13:30–16:00 = 325: 390 / 3 = 130 min
    assert got["avg_handle_hours"] == pytest.approx(2.2)
    assert got["rework_rate"] == pytest.approx(1 / 3)
    assert got["extension_rate"] == 0 and got["return_rate"] == 0
    assert got["proactive_rate"] == pytest.approx(3 / 4)
    assert got["satisfaction_rate"] == pytest.approx(1 / 2)
    assert got["on_time_verify_rate"] == 1 and got["on_time_check_rate"] == 1
    assert got["overdue_now"] == 1 and got["open_now"] == 1  # D (E is 挂账)
    # 40·⅓ + 25·⅔ + 15·½ + 10·¾ + 10·(1 − ⅓) = 51.7
    assert got["score"] == pytest.approx(51.7) and got["grade"] == "D"


def test_a_period_is_the_towns_days(tuesday, api):
    """Monday in Shanghai ends at 16:00 UTC: nothing of Tuesday's belongs to it."""
    monday = _stats(api, **{"from": "2026-03-09", "to": "2026-03-09"})
    assert monday["reported"] == 0 and monday["filed"] == 0 and monday["due_to_close"] == 0
    assert monday["close_rate"] is None and monday["score"] is None and monday["grade"] is None
    assert monday["overdue_now"] == 1  # a figure of this moment, whatever the period
    week = _stats(api, **{"from": "2026-03-09", "to": "2026-03-15"})
    assert week["reported"] == 5 and week["filed"] == 4


def test_each_caller_sees_the_figures_of_their_own_cases(tuesday, api, report, freeze):
    freeze(local(2026, 3, 10, 11, 0))
    report("w101002", point=POINT_GRID2, description="第2网格巡查")
    freeze(local(2026, 3, 11, 12, 0))
    day = {"from": "2026-03-10", "to": "2026-03-10"}
    assert _stats(api, **day)["reported"] == 6  # the county's supervisor
    assert _stats(api, "dispatcher", **day)["reported"] == 6  # the town's
    assert _stats(api, "worker", **day)["reported"] == 5  # grid 1 only
    assert _stats(api, "w101002", **day)["reported"] == 1  # grid 2 only
    assert _stats(api, "dispatcher2", **day)["reported"] == 0  # another town
    handler = _stats(api, "handler", **day)  # the department's cases: A, B, D (E sent too)
    assert handler["filed"] == 4 and handler["reported"] == 4
    assert _stats(api, "supervisor", grid="220221101000002", **day)["reported"] == 1


def test_filters_narrow_the_figures_and_unknown_codes_are_named(tuesday, api):
    day = {"from": "2026-03-10", "to": "2026-03-10"}
    assert _stats(api, source="hotline", **day)["reported"] == 2
    assert _stats(api, category="06010", **day)["reported"] == 5
    assert _stats(api, category="06020", **day)["reported"] == 0
    client = api("supervisor")
    for query, field in (("grid=999999999999", "grid"), ("town=220000000000", "town"),
                         ("town=999", "town"),
                         ("department=NOPE", "department"), ("category=99999", "category"),
                         ("from=2026-03-10&to=2026-03-01", "to"), ("from=yesterday", "from"),
                         ("from=2020-01-01&to=2026-01-01", "to"), ("source=fax", "source")):
        answer = client.get(f"/api/v1/stats?{query}")
        assert answer.status_code == 422, query
        assert field in answer.get_json()["fields"], (query, answer.get_json())
    assert client.client.get("/api/v1/stats").status_code == 401  # no token


def test_without_dates_the_period_is_this_month_so_far(tuesday, api):
    got = _stats(api)
    assert got["period"] == {"from": "2026-03-01", "to": "2026-03-11"}
    assert got["reported"] == 5


@pytest.mark.parametrize("query", [{}, {"category": "06010"}, {"source": "patrol"}])
def test_the_figures_of_this_moment_read_the_index_of_the_running_cases(tuesday, world,
                                                                         api, query):
    """The open and overdue counts are read from the partial index of the running cases
    (ix_event_open_units), never a row and a sort per running case: SQLite's planner,
    which has no statistics, is told which index (140 ms against 20 at a million cases).
    The figures are what they were: the test above checks them."""
    from core.extensions import db
    from tests.support import query_plan, statements_during
    with world.app_context():
        engine = db.engine
    answers = []

    def ask():
        answers.append(api("supervisor").get(
            "/api/v1/stats?" + "&".join(f"{k}={v}" for k, v in query.items())))
        return answers[-1]
    seen = [(statement, parameters) for statement, parameters in statements_during(engine, ask)
            if "count(*)" in statement and "event.department_id" in statement
            and "GROUP BY event.town_id" in statement]
    answer = answers[0].get_json()
    assert answer["open_now"] >= 1 or query
    assert seen, "the moment's statement ran"
    with world.app_context():
        connection = db.session.connection()
        for statement, parameters in seen:
            plan = query_plan(connection, statement, parameters)
            if connection.dialect.name == "sqlite":
                assert "ix_event_open_units" in plan and "TEMP B-TREE" not in plan, plan
            else:  # the hint is SQLite's alone; PostgreSQL plans from its statistics
                assert "INDEXED BY" not in statement
