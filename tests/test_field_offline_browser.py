"""The field app with no signal (issue 10), in Chromium at 390×844: it opens with what it last
saw; reports, check-ins, 核实 and 核查 made offline are kept on the phone and sent once when the
signal returns; a sending the server refuses stays listed with its reason; a phone passed on
keeps each worker's work their own."""
import re
from contextlib import contextmanager

import pytest
from PIL import Image

from tests.test_browser import SHOTS, assert_fits_a_phone
from tests.test_field_browser import _log_in, _to_verify_and_to_check, _worker

pytestmark = pytest.mark.browser


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


def _open_case(page, case) -> None:
    """Open a case from the field home and wait until its page has loaded: its scripts are
    deferred, and a button pressed before they ran would post the form the plain way, past
    the phone's outbox (and past a test's route)."""
    page.locator(".field-cases a", has_text=case["number"]).click()
    page.wait_for_url(re.compile(rf"/events/{case['id']}$"))


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


def _left_as_it_was(page) -> None:
    """Mark the page shown now, to tell it from the one the app reloads once kept work is
    answered (`_shown_afresh`)."""
    page.evaluate("() => { window.gridgovShownBefore = true; }")


def _shown_afresh(page) -> None:
    """Wait until the home, reloaded once the server answered the kept work, has loaded (a
    screenshot taken while it reloads fails)."""
    page.wait_for_function(
        "() => !window.gridgovShownBefore && document.readyState === 'complete'",
        timeout=15_000)


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
        _left_as_it_was(page)
    _shown_afresh(page)  # and the refusal is still listed on the home shown afresh
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
        _open_case(page, called)
        expect(page.locator("#offline")).to_be_visible()
        verify = open_action(page, "核实立案")
        verify.get_by_label("说明").fill("现场属实")
        verify.locator("input[name=photos]").set_input_files(photo)
        expect(verify.locator(".photo-picker .held li.pending img")).to_have_count(1)
        verify.get_by_role("button", name="确认核实立案").click()
        page.wait_for_url(re.compile(r"/field/$"))
        expect(page.locator("#kept")).to_contain_text("核实立案已存在手机上")
        _open_case(page, handled)
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
        _open_case(page, called)
        open_action(page, "核实立案").get_by_role("button", name="确认核实立案").click()
        page.wait_for_url(re.compile(r"/field/$"))
        # meanwhile the dispatcher, who took a second call, turned it down as a duplicate
        assert api("dispatcher").act(called["id"], "reject", reason="重复",
                                     note="与前一来电重复").status_code == 200
        _left_as_it_was(page)
    _shown_afresh(page)
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
    _open_case(page, called)
    tries = []

    def lost(route):  # a weak signal: the sending fails
        tries.append(route.request.url)
        route.abort("internetdisconnected")
    page.route("**/events/*/actions", lost)
    open_action(page, "核实立案").get_by_role("button", name="确认核实立案").click()
    # kept on the phone, then the home: on a loaded CI machine this took more than 10 s once
    page.wait_for_url(re.compile(r"/field/$"), timeout=30_000)
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
