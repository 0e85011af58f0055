"""The grid worker's phone app in a real Chromium (issue 10): a 390×844 touch screen with
its position granted and set by the test."""
import re

import pytest
from PIL import Image

from tests.support import DEMO_PASSWORD, POINT_GRID1
from tests.test_browser import PHONE, SHOTS, assert_fits_a_phone

pytestmark = pytest.mark.browser


def _worker(open_context, live_server, position=POINT_GRID1):
    context = open_context({**PHONE, "permissions": ["geolocation"],
                            "geolocation": {"latitude": position[0], "longitude": position[1],
                                            "accuracy": 12}})
    return _log_in(context.new_page(), live_server, "worker")


def _log_in(page, live_server, username):
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/field/$"))
    return page


def test_a_patrol_report_from_the_street_is_filed_with_photo_and_position(
        open_context, live_server, tmp_path, report):
    from playwright.sync_api import expect
    report("dispatcher", source="hotline", description="群众来电：路灯不亮",
           category_code="06001", point=(POINT_GRID1[0] + 0.002, POINT_GRID1[1]))
    photo = tmp_path / "street.jpg"
    Image.new("RGB", (2400, 1800), (90, 100, 110)).save(photo, "JPEG", quality=85)
    page = _worker(open_context, live_server)
    expect(page.locator(".field-tabs a[aria-current] b")).to_have_text("1")  # the queue
    expect(page.locator(".field-cases li")).to_have_count(1)
    assert_fits_a_phone(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "field-1-home.png"))
    bar = page.locator(".field-bar a.go")
    box = bar.bounding_box()  # the main action sits at the bottom, within thumb reach
    assert box["y"] + box["height"] <= 844 and box["y"] > 700
    bar.click()
    page.wait_for_url(re.compile(r"/field/report$"))
    # the position arrives by itself and puts the pin in the worker's grid
    expect(page.locator("#gps")).to_contain_text("已定位，精度约 12 米")
    expect(page.locator("#picked")).to_contain_text("清河镇第1网格")
    page.locator(".tiles label.tile", has_text="暴露垃圾").click()
    with page.expect_file_chooser() as chooser:  # the camera, as the phone offers it
        page.locator(".photo-picker label.pick").click()
    chooser.value.set_files(photo)
    expect(page.locator(".photo-picker .held img")).to_have_count(1)
    page.get_by_label("3. 描述一下").fill("幸福路口垃圾堆放，约两平方米")
    assert_fits_a_phone(page)
    page.screenshot(path=str(SHOTS / "field-2-report.png"), full_page=True)
    page.get_by_role("button", name="上报（直接立案）").click()
    page.wait_for_url(re.compile(r"/events/\d+$"))
    expect(page.locator(".case-head .state")).to_have_text("已立案")  # filed directly
    expect(page.locator(".facts")).to_contain_text("巡查上报")
    expect(page.locator(".photos img")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "field-3-filed.png"), full_page=True)
    page.goto(f"{live_server}/field/?tab=reported")
    expect(page.locator(".field-cases li")).to_have_count(1)


def test_a_worker_outside_the_grid_is_told_and_picks_the_place(open_context, live_server):
    from playwright.sync_api import expect
    page = _worker(open_context, live_server, position=(43.9, 126.1))  # far off the town
    page.goto(f"{live_server}/field/report")
    expect(page.locator("#picked")).to_contain_text("该位置不在您的网格内")
    assert page.locator("input[name=lat]").input_value() == ""
    page.locator("#pick-map path.leaflet-interactive").first.click()
    expect(page.locator("#picked")).to_contain_text("清河镇第1网格")


def test_scanning_a_point_checks_in_by_itself_and_the_day_shows_it(open_context, live_server,
                                                                    world):
    from playwright.sync_api import expect
    from sqlalchemy import select

    from core.extensions import db
    from portal.models import QrPoint
    with world.app_context():
        point = db.session.scalar(select(QrPoint).join(QrPoint.grid).where(
            QrPoint.grid.has(code="220221101000001")).order_by(QrPoint.id))
        token, label, where = point.token, point.label, (point.lat, point.lon)
    page = _worker(open_context, live_server, position=where)
    page.goto(f"{live_server}/q/{token}")  # what the phone's camera opens
    page.wait_for_url(re.compile(r"/field/checkins$"))  # sent by itself with the position
    expect(page.locator(".flash")).to_have_text(f"已打卡：{label} · 距点位 0 米")
    expect(page.locator(".checkins h2 .coverage")).to_have_text("已巡 1 / 2 个点位")
    expect(page.locator(".checkins li.visited")).to_have_count(1)
    assert_fits_a_phone(page)
    page.screenshot(path=str(SHOTS / "field-4-checkins.png"), full_page=True)


def test_the_grid_map_shows_open_cases_and_where_the_worker_is(open_context, live_server,
                                                               report):
    from playwright.sync_api import expect
    for index in range(3):
        report("worker", description=f"第{index}处", point=(43.603, 126.484 + index * 0.002))
    page = _worker(open_context, live_server)
    page.locator(".field-bar a", has_text="地图").click()
    page.wait_for_url(re.compile(r"/field/map$"))
    expect(page.locator("#field-map path.case-pin")).to_have_count(3)
    expect(page.locator("#field-map path.me")).to_have_count(1)  # the phone's own position
    page.locator("#field-map path.case-pin").first.click()
    expect(page.locator(".leaflet-popup-content a.button")).to_have_text("查看案件")
    assert_fits_a_phone(page)
    page.screenshot(path=str(SHOTS / "field-5-map.png"))


def _to_verify_and_to_check(report, api, tmp_path, size):
    """A site photo of `size`, a hotline call waiting for 核实 and a handled case waiting for
    核查 (the handler's photo on it), both in the worker's grid."""
    photo = tmp_path / "site.jpg"
    Image.new("RGB", size, (120, 100, 80)).save(photo, "JPEG")
    called = report("dispatcher", source="hotline", description="来电：桥头垃圾")
    handled = report("worker", description="巡查：路口垃圾",
                     point=(POINT_GRID1[0] + 0.003, POINT_GRID1[1]))
    api("dispatcher").act(handled["id"], "dispatch")
    api("handler").act(handled["id"], "accept")
    api("handler").act(handled["id"], "handle", note="已清运", photo=True)
    return photo, called, handled


def test_on_a_phone_the_worker_verifies_a_report_and_fails_a_check(open_context, live_server,
                                                                    report, api, tmp_path):
    from playwright.sync_api import expect

    from tests.test_browser import open_action, state_of
    photo, called, handled = _to_verify_and_to_check(report, api, tmp_path, (800, 600))
    page = _worker(open_context, live_server)
    # 核实: from 待核实, confirm with an on-site photo → filed
    page.locator(".field-tabs a", has_text="待核实").click()
    page.locator(".field-cases a", has_text=called["number"]).click()
    verify = open_action(page, "核实立案")
    verify.locator("input[name=photos]").set_input_files(photo)
    expect(verify.locator(".photo-picker .held img")).to_have_count(1)
    assert_fits_a_phone(page)
    verify.get_by_role("button", name="确认核实立案").click()
    page.wait_for_url(re.compile(rf"/events/{called['id']}"))
    expect(state_of(page)).to_have_text("已立案")
    # 核查: the handler's photo beside the camera; it fails, back to the department
    page.goto(f"{live_server}/field/?tab=check")
    page.locator(".field-cases a", has_text=handled["number"]).click()
    rework = open_action(page, "返工")
    expect(rework.locator(".compare img")).to_have_count(1)
    rework.get_by_label("说明").fill("垃圾仍有残留，请再清一次")
    rework.locator("input[name=photos]").set_input_files(photo)
    expect(rework.locator(".photo-picker .held img")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "field-8-rework.png"), full_page=True)
    rework.get_by_role("button", name="确认返工").click()
    page.wait_for_url(re.compile(rf"/events/{handled['id']}"))
    expect(state_of(page)).to_have_text("已派遣")  # the department must sign for it again
    assert api("handler").get(f"/api/v1/events/{handled['id']}").get_json()["state"] == \
        "dispatched"
