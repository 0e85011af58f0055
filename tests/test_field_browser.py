"""The grid worker's phone app in a real Chromium (issue 10): a 390×844 touch screen with
its position granted and set by the test."""
import re
from contextlib import contextmanager

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


def _kept(page, url: str) -> bool:
    return page.evaluate("""async url => {
        const keys = await caches.keys();
        for (const key of keys) if (await (await caches.open(key)).match(url)) return true;
        return false; }""", url)


def _installed(page, live_server, *paths) -> None:
    """Wait until the service worker runs and keeps `paths`; then let it answer the page."""
    import time
    assert page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    for _ in range(50):  # the worker keeps the shell and the pages as it installs
        if all(_kept(page, f"{live_server}{path}") for path in paths):
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the service worker kept none of {paths}")
    page.reload()


@contextmanager
def _no_signal(context):
    """No network for the pages nor for their service worker (setOffline alone spares it)."""
    cut = lambda route: route.abort("internetdisconnected")  # noqa: E731
    context.set_offline(True)
    context.route("**/*", cut)
    try:
        yield
    finally:
        context.unroute("**/*", cut)
        context.set_offline(False)


def _first_point(world):
    """The first QR point of 清河镇第1网格: (token, (lat, lon), id)."""
    from sqlalchemy import select

    from core.extensions import db
    from portal.models import QrPoint
    with world.app_context():
        point = db.session.scalar(select(QrPoint).join(QrPoint.grid).where(
            QrPoint.grid.has(code="220221101000001")).order_by(QrPoint.id))
        return point.token, (point.lat, point.lon), point.id


def test_with_no_signal_the_app_opens_with_what_it_last_saw(open_context, live_server, report):
    from playwright.sync_api import expect
    case = report("dispatcher", source="hotline", description="来电：路口垃圾")
    page = _worker(open_context, live_server)
    expect(page.locator(".field-cases li")).to_have_count(1)
    _installed(page, live_server, "/field/", "/field/report")
    with _no_signal(page.context):
        page.reload()
        expect(page.locator("#offline")).to_be_visible()
        expect(page.locator("#offline")).to_have_text(re.compile(
            r"^离线：显示的是 \d\d-\d\d \d\d:\d\d 的数据$"))
        expect(page.locator(".field-cases li")).to_have_count(1)  # the queue last seen
        expect(page.locator(".field-cases")).to_contain_text(case["number"])
        page.screenshot(path=str(SHOTS / "field-6-offline.png"))
        page.goto(f"{live_server}/field/report")  # the patrol form opens too
        expect(page.locator("#patrol")).to_be_visible()
        expect(page.locator("#offline")).to_be_visible()
    page.goto(f"{live_server}/field/")
    expect(page.locator("#offline")).to_be_hidden()


def test_work_done_with_no_signal_is_sent_once_when_it_returns(open_context, live_server, world,
                                                              tmp_path):
    from playwright.sync_api import expect
    from sqlalchemy import func, select

    from core.extensions import db
    from events.models import Attachment, Event
    from field.models import CheckIn
    token, where, _id = _first_point(world)
    photo = tmp_path / "ditch.jpg"
    Image.new("RGB", (1200, 900), (80, 110, 90)).save(photo, "JPEG")
    page = _worker(open_context, live_server, position=where)
    _installed(page, live_server, "/field/", "/field/report", "/field/checkin-offline")
    with _no_signal(page.context):
        # a patrol report, photo and all, with no signal
        page.goto(f"{live_server}/field/report")
        page.locator(".tiles label.tile", has_text="暴露垃圾").click()
        page.locator("input[name=photos]").set_input_files(photo)
        expect(page.locator(".photo-picker .held li.pending img")).to_have_count(1)
        page.get_by_label("3. 描述一下").fill("沟渠里有垃圾，没有信号")
        expect(page.locator("#picked")).to_contain_text("清河镇第1网格")
        page.get_by_role("button", name="上报（直接立案）").click()
        page.wait_for_url(re.compile(r"/field/$"))
        expect(page.locator("#kept")).to_contain_text("上报已存在手机上")
        expect(page.locator("#outbox .waiting")).to_contain_text("1 条记录在手机上待发送")
        # a QR point scanned with no signal: the visit is kept too
        page.goto(f"{live_server}/q/{token}")
        page.wait_for_url(re.compile(r"/field/$"))
        expect(page.locator("#outbox .waiting")).to_contain_text("2 条记录在手机上待发送")
        page.reload()  # still there after a reload with no signal
        expect(page.locator("#outbox .waiting")).to_contain_text("2 条记录在手机上待发送")
        expect(page.locator("#offline")).to_be_visible()
        page.screenshot(path=str(SHOTS / "field-7-outbox.png"))
        with world.app_context():
            assert db.session.scalar(select(func.count()).select_from(Event)) == 0
    expect(page.locator("#outbox")).to_be_hidden(timeout=15_000)  # sent when the signal is back
    page.goto(f"{live_server}/field/")  # and a second chance to send changes nothing
    with world.app_context():
        cases = db.session.scalars(select(Event)).all()
        assert [(c.source, c.state, c.description) for c in cases] == [
            ("patrol", "filed", "沟渠里有垃圾，没有信号")]
        assert db.session.scalar(select(func.count()).select_from(Attachment).where(
            Attachment.event_id == cases[0].id)) == 1
        visits = db.session.scalars(select(CheckIn)).all()
        assert len(visits) == 1 and visits[0].distance_m == 0


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


def test_a_kept_visit_the_server_refuses_stays_listed_with_its_reason(open_context, live_server,
                                                                      world):
    from playwright.sync_api import expect

    from core.extensions import db
    from portal.models import QrPoint
    from tests.support import writing
    token, where, point_id = _first_point(world)
    page = _worker(open_context, live_server, position=where)
    _installed(page, live_server, "/field/checkin-offline")
    with _no_signal(page.context):
        page.goto(f"{live_server}/q/{token}")
        page.wait_for_url(re.compile(r"/field/$"))
        expect(page.locator("#outbox .waiting")).to_contain_text("1 条记录在手机上待发送")
        with writing(world):  # meanwhile the point was stopped
            db.session.get(QrPoint, point_id).is_active = False
    refused = page.locator("#outbox li")
    expect(refused).to_have_text(re.compile("打卡未能发送：该点位已停用，打卡未记录"), timeout=15_000)
    page.screenshot(path=str(SHOTS / "field-9-refused.png"))
    refused.get_by_role("button", name="删除").click()
    expect(page.locator("#outbox")).to_be_hidden()


def test_verify_and_check_made_with_no_signal_are_sent_once(open_context, live_server, world,
                                                            report, api, tmp_path):
    """核实 and 核查 with no signal: the cases of the queue were kept on the phone (never opened
    yet), the handler's photo shows beside the camera, and both are sent once, photos and all."""
    from playwright.sync_api import expect
    from sqlalchemy import select

    from core.extensions import db
    from events.models import Event, EventLog
    from tests.test_browser import open_action
    photo, called, handled = _to_verify_and_to_check(report, api, tmp_path, (1200, 900))
    page = _worker(open_context, live_server)
    _installed(page, live_server, "/field/", f"/events/{called['id']}",
               f"/events/{handled['id']}")
    with _no_signal(page.context):
        page.locator(".field-cases a", has_text=called["number"]).click()
        page.wait_for_url(re.compile(rf"/events/{called['id']}$"))
        expect(page.locator("#offline")).to_be_visible()
        verify = open_action(page, "核实立案")
        verify.get_by_label("说明").fill("现场属实")
        verify.locator("input[name=photos]").set_input_files(photo)
        expect(verify.locator(".photo-picker .held li.pending img")).to_have_count(1)
        verify.get_by_role("button", name="确认核实立案").click()
        page.wait_for_url(re.compile(r"/field/$"))
        expect(page.locator("#kept")).to_contain_text("核实立案已存在手机上")
        page.locator(".field-cases a", has_text=handled["number"]).click()
        page.wait_for_url(re.compile(rf"/events/{handled['id']}$"))
        close = open_action(page, "核查结案")
        handler_photo = close.locator(".compare img")
        expect(handler_photo).to_have_count(1)
        assert handler_photo.evaluate("img => img.complete && img.naturalWidth > 0")
        close.get_by_label("说明").fill("已清理干净")
        close.locator("input[name=photos]").set_input_files(photo)
        expect(close.locator(".photo-picker .held li.pending img")).to_have_count(1)
        assert_fits_a_phone(page)
        page.screenshot(path=str(SHOTS / "field-10-offline-check.png"), full_page=True)
        close.get_by_role("button", name="确认核查结案").click()
        page.wait_for_url(re.compile(r"/field/$"))
        expect(page.locator("#outbox .waiting")).to_contain_text("2 条记录在手机上待发送")
    # sent when the signal is back, and the queue shown afresh
    expect(page.locator("#kept")).to_have_text("有信号了：手机上的 2 条记录已发送", timeout=15_000)
    expect(page.locator("#outbox")).to_be_hidden()
    expect(page.locator(".field-cases")).to_have_count(0)
    with world.app_context():
        states = {e.id: e.state for e in db.session.scalars(select(Event))}
        assert states == {called["id"]: "filed", handled["id"]: "closed"}
        logs = db.session.scalars(select(EventLog).where(
            EventLog.action.in_(("verify", "close")))).all()
        assert sorted((log.action, log.note, len(log.attachments)) for log in logs) == [
            ("close", "已清理干净", 1), ("verify", "现场属实", 1)]


def test_a_kept_verify_for_a_case_that_moved_on_says_what_happened(open_context, live_server,
                                                                   report, api):
    from playwright.sync_api import expect

    from tests.test_browser import open_action
    called = report("dispatcher", source="hotline", description="来电：桥头垃圾")
    page = _worker(open_context, live_server)
    _installed(page, live_server, "/field/", f"/events/{called['id']}")
    with _no_signal(page.context):
        page.locator(".field-cases a", has_text=called["number"]).click()
        open_action(page, "核实立案").get_by_role("button", name="确认核实立案").click()
        page.wait_for_url(re.compile(r"/field/$"))
        # meanwhile the dispatcher, who took a second call, turned it down as a duplicate
        assert api("dispatcher").act(called["id"], "reject", reason="重复",
                                     note="与前一来电重复").status_code == 200
    refused = page.locator("#outbox li")
    expect(refused).to_contain_text(f"核实立案 {called['number']}未能发送：案件已被他人修改",
                                    timeout=15_000)
    # the home was shown afresh: the case is no longer the worker's to verify
    expect(page.locator(".field-cases a", has_text=called["number"])).to_have_count(0)
    page.screenshot(path=str(SHOTS / "field-11-moved-on.png"))
    refused.get_by_role("link", name="查看案件").click()
    page.wait_for_url(re.compile(rf"/events/{called['id']}$"))
    expect(page.locator(".case-head .state")).to_have_text("不予立案")


def test_a_phone_passed_on_keeps_each_workers_work_their_own(open_context, live_server, report,
                                                             api):
    """Logging out clears the worker's pages from the phone; what they kept waits for them,
    and is never sent under the next worker's login."""
    from playwright.sync_api import expect

    from tests.test_browser import open_action
    called = report("dispatcher", source="hotline", description="来电：桥头垃圾")
    page = _worker(open_context, live_server)
    _installed(page, live_server, "/field/", f"/events/{called['id']}")
    page.locator(".field-cases a", has_text=called["number"]).click()
    tries = []

    def lost(route):  # a weak signal: the sending fails
        tries.append(route.request.url)
        route.abort("internetdisconnected")
    page.route("**/events/*/actions", lost)
    open_action(page, "核实立案").get_by_role("button", name="确认核实立案").click()
    page.wait_for_url(re.compile(r"/field/$"))
    expect(page.locator("#outbox .waiting")).to_contain_text("1 条记录在手机上待发送")
    for _ in range(50):  # the form's own try, then the home's
        if len(tries) >= 2:
            break
        page.wait_for_timeout(100)
    page.unroute("**/events/*/actions", lost)
    page.locator(".field-bar summary").click()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/login"))
    assert not _kept(page, f"{live_server}/events/{called['id']}")
    assert not _kept(page, f"{live_server}/field/")
    _log_in(page, live_server, "w101002")  # a worker of another grid
    expect(page.locator(".field-tabs")).to_be_visible()
    expect(page.locator("#outbox")).to_be_hidden()
    assert page.evaluate("""() => new Promise(done => {
        indexedDB.open('gridgov-field').onsuccess = e => e.target.result.transaction('outbox')
          .objectStore('outbox').count().onsuccess = c => done(c.target.result); })""") == 1
    assert api("dispatcher").get(f"/api/v1/events/{called['id']}").get_json()["state"] == \
        "reported"
    page.locator(".field-bar summary").click()
    page.get_by_role("button", name="退出").click()
    page.wait_for_url(re.compile(r"/login"))
    _log_in(page, live_server, "worker")  # back in hand: sent
    expect(page.locator("#kept")).to_have_text("有信号了：手机上的 1 条记录已发送", timeout=15_000)
    assert api("dispatcher").get(f"/api/v1/events/{called['id']}").get_json()["state"] == "filed"
