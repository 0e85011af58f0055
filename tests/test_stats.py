"""综合评价 (issue 11): GET /api/v1/stats on hand-built cases whose answers are known — the
period's boundaries in Asia/Shanghai, rejection, rework, suspension, lateness, ratings —
and scoped to what the caller may see."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from core.extensions import db
from events.models import Event
from portal.models import Rating
from tests.support import POINT_GRID1, POINT_GRID2, writing

CST = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime(*args, tzinfo=CST)


@pytest.fixture
def tuesday(world, freeze, report, api):
    """Five reports on Tuesday 2026-03-10 in 清河镇第1网格 (06010 暴露垃圾, 4 工作时):
    A patrol: handled 10:00 (in time), 返工 10:10, handled again 10:20, closed 10:30; 满意
    B patrol: accepted 09:05, handled 16:00 (late: due 14:35), closed 16:30; 不满意
    C hotline: rejected by the worker at 09:30 (不属实)
    D hotline: verified 09:20, accepted 09:30, never handled (due 15:00): overdue
    E patrol: dispatched, then suspended (挂账)"""
    def at(*hm):
        freeze(local(2026, 3, 10, *hm))

    def step(who, eid, action, *hm, **fields):
        at(*hm)
        answer = api(who).act(eid, action, **fields)
        assert answer.status_code == 200, answer.get_json()

    at(9, 0)
    a, b, e = (report("worker", description=f"巡查{n}")["id"] for n in "ABE")
    c, d = (report("dispatcher", source="hotline", description=f"来电{n}")["id"] for n in "CD")
    step("dispatcher", a, "dispatch", 9, 0)
    step("handler", a, "accept", 9, 0)
    step("handler", a, "handle", 10, 0, note="已清运")
    step("worker", a, "rework", 10, 10, note="没扫干净", photo=True)
    step("handler", a, "accept", 10, 15)
    step("handler", a, "handle", 10, 20, note="已清扫")
    step("worker", a, "close", 10, 30, note="干净了", photo=True)
    step("dispatcher", b, "dispatch", 9, 0)
    step("handler", b, "accept", 9, 5)
    step("handler", b, "handle", 16, 0, note="已清运")
    step("worker", b, "close", 16, 30, note="可以", photo=True)
    step("worker", c, "reject", 9, 30, reason="不属实")
    step("worker", d, "verify", 9, 20, note="属实")
    step("dispatcher", d, "dispatch", 9, 25)
    step("handler", d, "accept", 9, 30)
    step("dispatcher", e, "dispatch", 9, 0)
    step("dispatcher", e, "suspend", 9, 40, note="待天晴施工")
    with writing(world):
        for eid, verdict in ((a, "满意"), (b, "不满意")):
            closed = db.session.get(Event, eid).closed_at
            db.session.add(Rating(event_id=eid, rating=verdict, closed_at=closed,
                                  created_at=local(2026, 3, 10, 18, 0)))
    at(12, 0)
    freeze(local(2026, 3, 11, 12, 0))
    return dict(A=a, B=b, C=c, D=d, E=e)


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
