"""The 清雪作战 board in a real Chromium (issue 14): on a desk at 1920×1080 the grid map
shows each grid's state and redraws itself when a grid worker clears a point; on a phone
at 390×844 it is one column. Screenshots go to /tmp/gridgov-shots."""
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from core import clock
from tests.support import DEMO_PASSWORD
from tests.test_browser import PHONE, SHOTS, assert_fits_a_phone

DESK = {"viewport": {"width": 1920, "height": 1080}, "locale": "zh-CN"}
GREEN = "#1e8e3e"
TICKS = {"no_ice": True, "no_residual_snow": True, "ground_visible": True}


@pytest.fixture
def database_url(sqlite_url):
    """The pages in a browser on SQLite: the services are tested on both engines."""
    return sqlite_url


def _dispatcher(open_context, live_server, options):
    page = open_context(options).new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("dispatcher")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return page


def test_the_board_redraws_itself_as_grids_are_cleared(world, api, open_context, live_server):
    SHOTS.mkdir(exist_ok=True)
    page = _dispatcher(open_context, live_server, DESK)
    page.goto(f"{live_server}/snow")
    began = (clock.utcnow() - timedelta(hours=10)).astimezone()
    page.get_by_label("降雪开始时间").fill(began.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="发布降雪").click()
    expect(page.get_by_text("已发布降雪")).to_be_visible()
    page.get_by_label("雪停时间").fill((began + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="登记雪停").click()
    expect(page.get_by_text("已登记雪停")).to_be_visible()
    operation_id = int(re.search(r"/snow/(\d+)", page.url).group(1))
    page.goto(f"{live_server}/snow/{operation_id}?every=1")
    shapes = page.locator("#snow-map path.leaflet-interactive")
    expect(shapes.first).to_be_attached()
    assert shapes.count() == 12  # 清河镇's grids
    assert GREEN not in [shapes.nth(n).get_attribute("fill") for n in range(12)]
    page.evaluate("window.snowMarker = 1")
    worker = api("worker")
    operation = worker.get(f"/api/v1/snow-operations/{operation_id}").get_json()
    point = operation["tasks"][0]["points"][0]["id"]
    answer = worker.post(f"/api/v1/snow-operations/{operation_id}/points/{point}", json={
        "action": "clear", "photo_ids": [worker.upload_photo()], "checks": TICKS})
    assert answer.status_code == 200
    first_row = page.locator('tr[data-grid="220221101000001"] td.snow-state .tag')
    expect(first_row).to_have_text("已清除", timeout=10_000)
    fills = [shapes.nth(n).get_attribute("fill") for n in range(12)]
    assert fills.count(GREEN) == 1
    assert page.evaluate("window.snowMarker") == 1  # redrawn in place, not reloaded
    page.screenshot(path=str(SHOTS / "snow-board-desk.png"), full_page=True)

    phone = _dispatcher(open_context, live_server, PHONE)
    phone.goto(f"{live_server}/snow/{operation_id}")
    expect(phone.locator("#snow-map path.leaflet-interactive").first).to_be_attached()
    assert_fits_a_phone(phone)
    phone.screenshot(path=str(SHOTS / "snow-board-phone.png"), full_page=True)


def test_the_wall_redraws_the_towns_and_the_pressing_grids_in_place(world, api, open_context,
                                                                    live_server):
    SHOTS.mkdir(exist_ok=True)
    dispatcher = api("dispatcher")
    began = clock.utcnow() - timedelta(hours=40)
    made = dispatcher.post("/api/v1/snow-operations", json={
        "town_codes": ["220221101000"], "level": "中雪", "started_at": began.isoformat()})
    operation_id = made.get_json()["id"]
    dispatcher.post(f"/api/v1/snow-operations/{operation_id}/snow-stopped",
                    json={"at": (began + timedelta(hours=6)).isoformat()})  # all late by 10 h
    page = _dispatcher(open_context, live_server, DESK)
    page.goto(f"{live_server}/snow/{operation_id}/wall?every=1")
    card = page.locator('[data-town="220221101000"]')
    expect(card.locator('[data-field="cleared"]')).to_have_text("0")
    expect(page.locator("#snow-pressing tr")).to_have_count(12)
    expect(page.locator("#snow-map path.leaflet-interactive").first).to_be_attached()
    worker = api("worker")
    point = made.get_json()["tasks"][0]["points"][0]["id"]
    worker.post(f"/api/v1/snow-operations/{operation_id}/points/{point}", json={
        "action": "clear", "photo_ids": [worker.upload_photo()], "checks": TICKS})
    expect(card.locator('[data-field="cleared"]')).to_have_text("1", timeout=10_000)
    expect(page.locator("#snow-pressing tr")).to_have_count(11)
    expect(page.locator("#snow-pressing")).not_to_contain_text("清河镇第1网格")
    page.screenshot(path=str(SHOTS / "snow-wall-desk.png"))
    phone = _dispatcher(open_context, live_server, PHONE)
    phone.goto(f"{live_server}/snow/{operation_id}/wall")
    expect(phone.locator("#snow-map path.leaflet-interactive").first).to_be_attached()
    assert_fits_a_phone(phone)
    phone.screenshot(path=str(SHOTS / "snow-wall-phone.png"), full_page=True)
