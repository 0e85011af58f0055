"""数据看板 (issue 11): the supervisor's home; the period's figures with their change, the
overdue board, each town's (or grid's) figures; every figure's formula on the page."""
import json
import re

import pytest

from tests.pagehelpers import text_of
from tests.test_stats import local, tuesday  # noqa: F401  (the hand-built day)


def _cards(page: str) -> dict:
    return dict(re.findall(r'<div class="kpi-name">([^<]+?) <details.*?<div class="kpi-value">([^<]+?)\s*(?:<|$)',
                           page, re.S))


def test_a_supervisor_lands_on_the_dashboard(world, client):
    from tests.support import DEMO_PASSWORD
    answer = client.post("/login", data={"username": "supervisor", "password": DEMO_PASSWORD})
    assert answer.headers["Location"].endswith("/dashboard") or \
        client.get(answer.headers["Location"]).headers.get("Location", "").endswith("/dashboard")


def test_the_board_shows_the_days_figures_and_the_overdue_case(tuesday, login_as):  # noqa: F811
    page = text_of(login_as("supervisor").get("/dashboard?from=2026-03-10&to=2026-03-10"))
    cards = _cards(page)
    assert cards["上报数"] == "5" and cards["立案数"] == "4"
    assert cards["结案率"] == "66.7%" and cards["按期结案率"] == "33.3%"
    assert cards["超期数"] == "1" and cards["满意率"] == "50.0%"
    assert "51.7" in page and 'class="grade">D<' in page
    # the day before had nothing: no change to show
    assert "上期无数据" in page
    # the overdue board names case D and who holds it
    board = page[page.index("超期案件"):page.index("每日上报")]
    assert board.count("<tr>") == 2 and "环卫所" in board
    # the formula of each figure is on the page
    assert "结案数 ÷ 应结案数" in page and "（满意 + 基本满意）÷ 评价数" in page
    data = json.loads(re.search(r'<script type="application/json" id="board-data">(.*?)</script>',
                                page, re.S).group(1))
    assert data["trend"] == {"days": ["2026-03-10"], "reported": [5], "filed": [4],
                             "closed": [2]}
    assert data["categories"] == [["暴露垃圾", 5]]


def test_the_week_compares_with_the_week_before(tuesday, login_as, freeze):  # noqa: F811
    freeze(local(2026, 3, 17, 12, 0))  # the next Tuesday: last week had Tuesday's cases
    page = text_of(login_as("supervisor").get("/dashboard?period=week"))
    assert "2026-03-16 – 2026-03-17" in page
    cards = _cards(page)
    assert cards["上报数"] == "0"
    assert "较上期 ▼ 5" in page


@pytest.mark.parametrize("who, status", [("supervisor", 200), ("dispatcher", 200), ("admin", 200),
                                         ("worker", 403), ("handler", 403)])
def test_who_may_open_the_board(world, login_as, who, status):
    assert login_as(who).get("/dashboard").status_code == status


def test_a_town_dispatcher_sees_their_grids_and_a_supervisor_the_towns(world, login_as):
    county = text_of(login_as("supervisor").get("/dashboard"))
    assert "各镇（街道）" in county and "清河镇" in county and "柳湾镇" in county
    town = text_of(login_as("dispatcher").get("/dashboard"))
    assert "各网格" in town and "清河镇第1网格" in town and "柳湾镇" not in town


def test_a_bad_filter_is_said_as_an_error_on_the_page(world, login_as):
    answer = login_as("supervisor").get("/dashboard?from=2026-03-10&to=2026-03-01")
    assert answer.status_code == 422
    assert re.search(r'<p class="error" role="alert">[^<]*结束日期早于开始日期', text_of(answer))
    unknown = login_as("supervisor").get("/dashboard?grid=999999999999999")
    assert unknown.status_code == 422 and "网格代码不存在" in text_of(unknown)


@pytest.mark.parametrize("preset, first, last, before", [
    ("week", "2026-03-16", "2026-03-17", ("2026-03-09", "2026-03-10")),
    ("month", "2026-03-01", "2026-03-31", ("2026-02-01", "2026-02-28")),
    ("month", "2026-05-01", "2026-05-17", ("2026-04-01", "2026-04-17")),
    ("year", "2028-01-01", "2028-02-29", ("2027-01-01", "2027-02-28")),
    ("today", "2026-03-17", "2026-03-17", ("2026-03-16", "2026-03-16")),
    (None, "2026-03-10", "2026-03-19", ("2026-02-28", "2026-03-09")),
])
def test_each_period_is_compared_with_its_like(preset, first, last, before):
    from datetime import date

    from dashboard.stats import Period
    from dashboard.views import previous
    got = previous(Period(date.fromisoformat(first), date.fromisoformat(last)), preset)
    assert (got.first.isoformat(), got.last.isoformat()) == before


def test_the_board_in_english(world, login_as):
    supervisor = login_as("supervisor")
    supervisor.get("/lang/en")
    page = text_of(supervisor.get("/dashboard"))
    assert "<h1>Dashboard" in page and "Close rate" in page and "closed ÷ due to close" in page
    assert "结案率" not in page and "数据看板" not in page
