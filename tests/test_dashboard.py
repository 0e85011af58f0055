"""数据看板 (issue 11): the supervisor's home; the period's figures with their change, the
overdue board, each town's (or grid's) figures; every figure's formula on the page."""
import json
import re

import pytest

from tests.pagehelpers import text_of
from tests.fixtures.dashboard import local


def _cards(page: str) -> dict:
    return dict(re.findall(r'<div class="kpi-name">([^<]+?) <details.*?<div class="kpi-value">([^<]+?)\s*(?:<|$)',
                           page, re.S))


def test_a_supervisor_lands_on_the_dashboard(world, client):
    from tests.support import DEMO_PASSWORD
    answer = client.post("/login", data={"username": "supervisor", "password": DEMO_PASSWORD})
    assert answer.headers["Location"].endswith("/dashboard") or \
        client.get(answer.headers["Location"]).headers.get("Location", "").endswith("/dashboard")


def test_the_board_shows_the_days_figures_and_the_overdue_case(tuesday, login_as):
    answer = login_as("supervisor").get("/dashboard?from=2026-03-10&to=2026-03-10")
    page = text_of(answer)
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
    import html
    data = json.loads(html.unescape(re.search(r'<div id="board-data" hidden data-board="([^"]*)"',
                                              answer.get_data(as_text=True)).group(1)))
    assert data["trend"] == {"days": ["2026-03-10"], "reported": [5], "filed": [4],
                             "closed": [2], "closed_on_time": [1]}  # B closed late
    assert data["categories"] == [["暴露垃圾", 5]]
    # each department: 环卫所 handled A twice in time and B late
    departments = page[page.index("各责任单位"):page.index("事项 × 网格")]
    assert "环卫所" in departments and "66.7%" in departments
    # 事项 × 网格: the five reports in the grid's one category, the darkest cell
    heat = page[page.index("事项 × 网格"):page.index("指标说明")]
    assert "暴露垃圾" in heat and "清河镇第1网格" in heat and 'class="heat-5">5<' in heat


def test_the_week_compares_with_the_week_before(tuesday, login_as, freeze):
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


def test_the_tables_export_to_excel_cell_by_cell_and_to_csv(tuesday, login_as):
    import csv
    import io
    from datetime import datetime

    from openpyxl import load_workbook
    supervisor = login_as("dispatcher")  # the town's: one row a grid
    day = "from=2026-03-10&to=2026-03-10"
    page = text_of(supervisor.get(f"/dashboard?{day}"))
    assert 'href="/dashboard/export/units.xlsx?from=2026-03-10&to=2026-03-10"' in page
    answer = supervisor.get(f"/dashboard/export/units.xlsx?{day}")
    assert answer.status_code == 200
    assert "attachment" in answer.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(answer.get_data())).active
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header[:4] == ["名称", "代码", "上报数", "立案数"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    first = rows["清河镇第1网格"]
    col = {name: index for index, name in enumerate(header)}
    assert first[col["上报数"]].value == 5 and first[col["上报数"]].data_type == "n"
    assert first[col["结案率"]].value == pytest.approx(2 / 3)
    assert first[col["结案率"]].number_format == "0.0%"
    assert first[col["综合指标值"]].value == pytest.approx(51.7)
    assert first[col["等级"]].value == "D"
    assert rows["清河镇第2网格"][col["结案率"]].value is None  # nothing due: empty, not 0
    # the overdue board: case D, its deadline in the towns' time
    overdue = load_workbook(io.BytesIO(supervisor.get(
        f"/dashboard/export/overdue.xlsx?{day}").get_data())).active
    values = [[cell.value for cell in row] for row in overdue.iter_rows()]
    assert values[0] == ["编号", "类别", "网格", "当前办理", "处置时限", "超期小时"]
    assert len(values) == 2 and values[1][1] == "暴露垃圾" and values[1][3] == "环卫所"
    assert values[1][4] == datetime(2026, 3, 10, 15, 0)  # 09:30 + 4 工作时 (lunch 12:00–13:30)
    assert values[1][5] == pytest.approx(21.0)  # until 2026-03-11 12:00
    text = supervisor.get(f"/dashboard/export/units.csv?{day}").get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:3] == ["名称", "代码", "上报数"]
    grid1 = next(row for row in table if row[0] == "清河镇第1网格")
    assert grid1[2] == "5" and "66.7%" in grid1
    assert supervisor.get("/dashboard/export/units.xlsx?from=bad").status_code == 422
    assert login_as("worker").get("/dashboard/export/units.csv").status_code == 403


def test_a_name_that_reads_as_a_formula_stays_text(world):
    from dashboard.exports import Column, to_csv, xlsx
    import io

    from openpyxl import load_workbook
    with world.test_request_context():
        rows = [{"name": "=HYPERLINK(1)", "n": 1}]
        columns = [Column("名称", "name"), Column("数", "n", "int")]
        sheet = load_workbook(io.BytesIO(xlsx("t", columns, rows))).active
        assert sheet["A2"].data_type == "s" and sheet["A2"].value.startswith("'=")
        assert "'=HYPERLINK" in to_csv(columns, rows).decode("utf-8-sig")
