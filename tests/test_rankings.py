"""考核排名 through the API (issue 11): towns of a demonstration level ranked by the score
their own cases give, the plan's marks, two years at the bottom and the 市级 town to step up;
seen only by those who supervise, within their reach."""
import re
from datetime import datetime, timezone

import pytest

from tests.support import writing


def _ranking(api, who="county-lead", **query):
    answer = api(who).get("/api/v1/rankings?" + "&".join(f"{k}={v}" for k, v in query.items()))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_the_year_ranks_commends_and_warns_the_town_two_years_at_the_bottom(county, api):
    got = _ranking(api, level="provincial", period="2026")
    assert got["from"] == "2026-01-01" and got["to"] == "2026-12-31" and got["kind"] == "year"
    items = [(i["town_name"], i["rank"], i["mark"]) for i in got["items"]]
    assert items == [("P1镇", 1, "commend"), ("P2镇", 2, None), ("P3镇", 3, None),
                     ("P4镇", 4, "eliminate_warning")]
    # every score is the town's own figures: (40·k/4 + 25·k/4 + 10 + 10) / 85
    assert [i["score"] for i in got["items"]] == [100.0, 80.9, 42.6, 23.5]
    assert [i["grade"] for i in got["items"]] == ["A", "B", "D", "E"]
    assert got["replacement_candidate"]["town_name"] == "C2镇"
    stats = api("county-lead").get(f"/api/v1/stats?town={county['P2']}&from=2026-01-01&to=2026-12-31")
    assert stats.get_json()["score"] == 80.9


def test_a_month_criticises_and_never_warns(county, api):
    got = _ranking(api, level="provincial", period="2026-03")
    assert [i["mark"] for i in got["items"]] == ["commend", None, None, "criticize"]
    assert got["replacement_candidate"] is None
    quarter = _ranking(api, level="provincial", period="2026-Q1")
    assert (quarter["from"], quarter["to"]) == ("2026-01-01", "2026-03-31")
    empty = _ranking(api, level="provincial", period="2026-Q3")  # nothing filed: unranked
    assert [i["rank"] for i in empty["items"]] == [None] * 4


def test_levels_and_reach(county, api):
    city = _ranking(api, level="city", period="2026")
    assert [i["town_name"] for i in city["items"]] == ["C2镇", "C1镇"]
    assert _ranking(api, level="county", period="2026")["items"] == []
    # the demo county's supervisor sees the demo's 省级 town, not this county's
    assert [i["town_name"] for i in _ranking(api, "supervisor", period="2026")["items"]] == ["清河镇"]


@pytest.mark.parametrize("query, status", [("period=2026-13", 422), ("period=26", 422),
                                           ("period=2026-Q5", 422), ("level=national", 422),
                                           ("period=1999", 422)])
def test_bad_queries_are_named(county, api, query, status):
    answer = api("county-lead").get(f"/api/v1/rankings?{query}")
    assert answer.status_code == status
    assert set(answer.get_json()["fields"]) & {"period", "level"}


def test_only_those_who_supervise_see_rankings(county, api):
    assert api("worker").get("/api/v1/rankings").status_code == 403
    assert api("handler").get("/api/v1/rankings").status_code == 403
    assert api("dispatcher").get("/api/v1/rankings").status_code == 200


def test_the_rankings_page(county, login_as, world):
    from tests.factories import PASSWORD
    from tests.pagehelpers import text_of
    client = world.test_client()
    client.post("/login", data={"username": "county-lead", "password": PASSWORD})
    page = text_of(client.get("/dashboard/rankings?level=provincial&period=2026"))
    rows = re.findall(r'<tr class="([a-z_]*)"><td class="place">([^<]+)</td>\s*<td><a [^>]+>([^<]+)</a>',
                      page)
    assert rows == [("commend", "1", "P1镇"), ("", "2", "P2镇"), ("", "3", "P3镇"),
                    ("eliminate_warning", "4", "P4镇")]
    assert "通报表扬" in page and "淘汰预警" in page
    assert re.search(r'<p class="warning" role="status">递补：C2镇', page)
    refused = client.get("/dashboard/rankings?period=2026-13")
    assert refused.status_code == 422
    assert re.search(r'<p class="error" role="alert">考核期无效', text_of(refused))
    assert login_as("worker").get("/dashboard/rankings").status_code == 403


def test_the_demo_programme_ranks_from_its_own_cases(world, api, freeze):
    """`make run`'s history: every mark of the plan shows, and a score is what the town's
    cases give — there is no stored score to show instead."""
    import random

    from auth.services import hash_password
    from demo.history import generate_history
    from tests.support import DEMO_PASSWORD
    now = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
    freeze(now)
    with writing(world):
        made = generate_history(now, random.Random(3), hash_password(DEMO_PASSWORD))
    assert made["towns"] == 26 and made["cases"] > 4000
    got = _ranking(api, "province", level="provincial", period="2026")
    assert len(got["items"]) == 12
    marks = {i["mark"] for i in got["items"]}
    assert {"commend", "criticize", "eliminate_warning"} <= marks
    assert got["replacement_candidate"]["town_name"] in {
        i["town_name"] for i in _ranking(api, "province", level="city", period="2026")["items"]}
    worst = got["items"][-1]
    figures = api("province").get(
        f"/api/v1/stats?town={worst['town_code']}&from=2026-01-01&to=2026-12-31").get_json()
    assert figures["score"] == worst["score"] and figures["filed"] > 50


def test_departments_rank_by_their_own_score_within_a_town_or_the_county(county, api, login_as,
                                                                        world):
    """按期处置率 40, 结案率 20, (1 − 返工率) 20, 满意率 20: every handling here was in time,
    so a department's score follows its share of closed cases; P4's handled none (its
    按期处置率 has nothing to divide: judged on the other 40 points)."""
    got = _ranking(api, level="department", period="2026")
    # P1's and C2's tie on every figure: the lower code goes first (the factory's town codes
    # run on across tests and wrap, so either may be lower)
    first, second = sorted(("P1", "C2"), key=lambda name: county[name])
    assert [(i["name"], i["score"], i["rank"], i["mark"]) for i in got["items"]] == [
        (f"{first}镇 · 环卫所", 100.0, 1, "commend"), (f"{second}镇 · 环卫所", 100.0, 2, None),
        ("P2镇 · 环卫所", 93.8, 3, None), ("C1镇 · 环卫所", 87.5, 4, None),
        ("P3镇 · 环卫所", 81.2, 5, None), ("P4镇 · 环卫所", 50.0, 6, "criticize")]
    one = _ranking(api, level="department", period="2026", town=county["P2"])
    assert [(i["name"], i["rank"]) for i in one["items"]] == [("环卫所", 1)]
    assert api("county-lead").get(
        "/api/v1/rankings?level=department&town=999999999999").status_code == 422
    from tests.factories import PASSWORD
    from tests.pagehelpers import text_of
    client = world.test_client()
    client.post("/login", data={"username": "county-lead", "password": PASSWORD})
    page = text_of(client.get("/dashboard/rankings?level=department&period=2026"))
    assert "责任单位考核排名" in page and "P4镇 · 环卫所" in page and "淘汰预警只用于示范镇" in page
