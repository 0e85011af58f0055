"""数据看板 in a real Chromium (issue 11): a county supervisor's home on a desk at 1920×1080
and on a phone at 390×844 — figures, charts drawn by ECharts, a formula one tap away, the
overdue board linking to the case. Screenshots go to /tmp/gridgov-shots."""
import re

import pytest

from tests.support import DEMO_PASSWORD
from tests.test_browser import PHONE, SHOTS, assert_fits_a_phone

WALL = {"viewport": {"width": 1920, "height": 1080}, "locale": "zh-CN"}


@pytest.fixture
def database_url(sqlite_url):
    """The board in a browser on SQLite only: its reads are tested on both engines without
    a browser (test_dashboard.py, test_stats.py, test_rankings.py, test_rollups.py …)."""
    return sqlite_url


def _supervisor(open_context, live_server, options):
    page = open_context(options).new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("supervisor")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    return page, errors


def _an_open_case(app) -> tuple[float, float]:
    from sqlalchemy import select

    from core.extensions import db
    from events.models import Event
    with app.app_context():
        row = db.session.execute(select(Event.lat, Event.lon).where(
            Event.state.in_(("filed", "dispatched", "accepted"))).limit(1)).one()
    return row.lat, row.lon


def test_the_county_board_on_a_desk(busy, open_context, live_server):
    from playwright.sync_api import expect
    page, errors = _supervisor(open_context, live_server, WALL)
    expect(page.locator("h1")).to_contain_text("数据看板")
    expect(page.locator("#trend-chart svg path").first).to_be_attached()
    expect(page.locator("#category-chart svg")).to_be_attached()
    expect(page.locator("#ontime-chart svg path").first).to_be_attached()
    assert page.locator(".departments tbody tr").count() >= 2
    assert page.locator(".heat-table tbody tr").count() >= 2
    assert page.locator(".kpi").count() == 7
    assert page.locator(".units tbody tr").count() == 2  # 清河镇 and 柳湾镇
    # the formula of 结案率, one click away
    card = page.locator(".kpi", has_text="结案率").first
    card.locator("summary").click()
    expect(card.locator("details.info p")).to_contain_text("结案数 ÷ 应结案数")
    page.screenshot(path=str(SHOTS / "dashboard-1-desk.png"), full_page=True)
    card.locator("summary").click()
    # the map: one shape a grid, coloured by its overdue cases; a click lists its cases
    shapes = page.locator("#board-map path.leaflet-interactive")
    assert shapes.count() == 22
    assert len(set(shapes.evaluate_all("els => els.map(e => e.getAttribute('fill'))"))) > 1
    # zoomed in to a few streets: the open cases there as pins coloured by their clock
    lat, lon = _an_open_case(busy)
    page.evaluate("([lat, lon]) => document.getElementById('board-map').gridgovMap.map"
                  ".setView([lat, lon], 16)", [lat, lon])
    expect(page.locator("#board-map path.case-pin").first).to_be_attached()
    page.locator("#board-map path.case-pin").first.dispatch_event("click")
    expect(page.locator(".leaflet-popup-content a.button")).to_have_attribute(
        "href", re.compile(r"^/events/\d+$"))
    # the heat of the period's reports, one switch away
    page.get_by_label("上报热力").check()
    expect(page.locator("#board-map canvas.leaflet-heatmap-layer")).to_be_attached()
    page.wait_for_timeout(300)  # the popup's fade
    page.screenshot(path=str(SHOTS / "dashboard-1b-desk-map-zoomed.png"))
    page.evaluate("document.getElementById('board-map').gridgovMap.map.setZoom(11)")
    expect(page.locator("#board-map path.case-pin")).to_have_count(0)  # zoomed out: none
    page.get_by_label("上报热力").uncheck()
    shapes.first.dispatch_event("click")
    page.wait_for_url(re.compile(r"/events\?grid=\d{15}"))
    page.go_back()
    # a town's own board: its grids
    page.locator(".units a", has_text="清河镇").click()
    expect(page.locator(".units h2")).to_contain_text("各网格")
    # the latest overdue case opens
    first = page.locator(".overdue-board tbody a").first
    number = first.inner_text()
    first.click()
    expect(page.locator(".case-head")).to_contain_text(number)
    assert not errors, errors


def test_the_board_on_a_phone(busy, open_context, live_server):
    from playwright.sync_api import expect
    page, errors = _supervisor(open_context, live_server, PHONE)
    expect(page.locator("#trend-chart svg path").first).to_be_attached()
    assert_fits_a_phone(page)
    page.screenshot(path=str(SHOTS / "dashboard-2-phone.png"), full_page=True)
    lat, lon = _an_open_case(busy)  # the map zoomed in on a phone: pins, the switch folded
    page.evaluate("([lat, lon]) => document.getElementById('board-map').gridgovMap.map"
                  ".setView([lat, lon], 16)", [lat, lon])
    expect(page.locator("#board-map path.case-pin").first).to_be_attached()
    assert page.locator(".leaflet-control-layers-expanded").count() == 0
    assert_fits_a_phone(page)
    page.locator("#board-map").screenshot(path=str(SHOTS / "dashboard-2b-phone-map.png"))
    page.get_by_role("link", name="本周").click()
    expect(page.get_by_role("link", name="本周")).to_have_class(re.compile("primary"))
    assert not errors, errors
    page.locator(".board-filters summary").click()
    page.get_by_label("结束日期").fill("2026-01-01")
    page.get_by_role("button", name="统计").click()
    expect(page.locator("p.error")).to_contain_text("结束日期早于开始日期")
    assert_fits_a_phone(page)
    page.screenshot(path=str(SHOTS / "dashboard-3-phone-error.png"), full_page=True)


def test_the_rankings_on_a_desk_and_a_phone(county, open_context, live_server):
    from playwright.sync_api import expect

    from tests.factories import PASSWORD
    for options, name in ((WALL, "dashboard-4-rankings-desk.png"),
                          (PHONE, "dashboard-5-rankings-phone.png")):
        page = open_context(options).new_page()
        page.goto(f"{live_server}/login")
        page.get_by_label("用户名").fill("county-lead")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/dashboard$"))
        page.get_by_role("link", name="考核排名").click()
        page.get_by_label("考核期").select_option("2026")
        page.get_by_role("button", name="排名").click()
        expect(page.locator("tr.eliminate_warning")).to_contain_text("P4镇")
        expect(page.locator("p.warning")).to_contain_text("C2镇")
        if options is PHONE:
            assert_fits_a_phone(page)
        page.screenshot(path=str(SHOTS / name), full_page=True)
        # 网格员: the workers who closed cases rank; the rules say how they are scored
        page.get_by_label("排名对象").select_option("worker")
        page.get_by_role("button", name="排名").click()
        expect(page.locator("h1")).to_contain_text("网格员考核排名")
        expect(page.locator("tr.commend").first).to_be_visible()
        if options is PHONE:
            assert_fits_a_phone(page)
        page.screenshot(path=str(SHOTS / name.replace("rankings", "workers")), full_page=True)


def test_the_bulletin_on_a_desk_and_a_phone(busy, open_context, live_server):
    from playwright.sync_api import expect
    for options, name in ((WALL, "dashboard-6-bulletin-desk.png"),
                          (PHONE, "dashboard-7-bulletin-phone.png")):
        page, errors = _supervisor(open_context, live_server, options)
        page.get_by_role("link", name="月度通报").click()
        expect(page.locator(".bulletin h1")).to_have_text("永吉县2026年2月网格化治理工作通报")
        if options is PHONE:
            assert_fits_a_phone(page)
        page.screenshot(path=str(SHOTS / name), full_page=True)
        assert not errors, errors
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()  # printed: the document alone
    page.screenshot(path=str(SHOTS / "dashboard-8-bulletin-print.png"), full_page=True)


def test_an_admin_sets_the_weights_on_a_desk_and_a_phone(county, open_context, live_server):
    """评分权重: a wrong weight is shown as an error beside the form, a right one saved and
    its formula shown; the page fits a phone."""
    from playwright.sync_api import expect
    for options, name in ((WALL, "dashboard-8-weights-desk"), (PHONE, "dashboard-9-weights-phone")):
        page = open_context(options).new_page()
        page.goto(f"{live_server}/login")
        page.get_by_label("用户名").fill("admin")
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.goto(f"{live_server}/dashboard")
        page.get_by_role("link", name="评分权重").click()
        town = page.locator("section.weights").first
        town.get_by_label("满意率").fill("150")
        # the browser stops 150 itself (max=100); the server's own check, seen as the
        # browser shows it, with the browser's check set aside
        page.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")
        town.get_by_role("button", name="保存示范镇权重").click()
        expect(page.locator("section.weights p.error")).to_contain_text("满意率 的权重须为 0–100 的整数")
        if options is PHONE:
            assert_fits_a_phone(page)
        page.screenshot(path=str(SHOTS / f"{name}-error.png"), full_page=True)
        town = page.locator("section.weights").first
        town.get_by_label("满意率").fill("30")
        town.get_by_role("button", name="保存示范镇权重").click()
        expect(page.locator("p.flash")).to_contain_text("已保存示范镇的评分权重")
        expect(page.locator("section.weights .formula").first).to_contain_text("满意率×30")
        if options is PHONE:
            assert_fits_a_phone(page)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        page.locator("section.weights").first.get_by_role("button", name="恢复默认").click()
        expect(page.locator("p.flash")).to_contain_text("已恢复示范镇的默认权重")
