"""A resident on a phone: scan → form → photo → receipt → tracking → rating → reopen,
in a real Chromium against the app served on loopback."""
import re

import pytest
from PIL import Image
from sqlalchemy import select

from core.extensions import db
from events.models import Event
from portal.models import QrPoint

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def big_photo(path):
    """A 3000 × 2000 camera-sized JPEG: the page must shrink it before upload."""
    image = Image.new("RGB", (3000, 2000), (180, 180, 170))
    for x in range(0, 3000, 50):
        image.paste((40, 90, 40), (x, 0, x + 20, 2000))
    image.save(path, "JPEG", quality=95)
    return path


def test_resident_reports_tracks_rates_and_reopens(world, live_server, open_context, api,
                                                    tmp_path):
    with world.app_context():
        token = db.session.scalar(select(QrPoint.token).order_by(QrPoint.id))
    page = open_context(PHONE).new_page()
    page.goto(f"{live_server}/q/{token}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    heights = page.eval_on_selector_all(".kind span, .go, #locate",
                                        "els => els.map(e => e.getBoundingClientRect().height)")
    assert min(heights) >= 44

    page.get_by_text("暴露垃圾").click()
    page.fill("textarea[name=description]", "垃圾站旁边堆满了垃圾，两天没人清理")
    page.set_input_files("input[name=photos]", str(big_photo(tmp_path / "photo.jpg")))
    page.locator("details.contact summary").click()
    page.fill("input[name=phone]", "13812341234")
    page.click("button.go")
    page.wait_for_url(re.compile(r"/t/[A-Z0-9]{10}\?receipt=1$"))
    code = page.locator(".receipt .code").inner_text().strip()
    assert "提交成功" in page.content() and len(code) == 10
    remembered = page.evaluate("JSON.parse(localStorage.getItem('gridgov.reports'))")
    assert remembered[0]["code"] == code

    with world.app_context():
        event = db.session.scalar(select(Event).where(Event.tracking_code == code))
        assert (event.state, event.source, event.reporter_phone) == \
            ("reported", "resident", "13812341234")
        photo = event.attachments[0]
        assert max(photo.width, photo.height) == 1600  # resized in the browser
        assert photo.size < 1_500_000
        event_id = event.id

    # the phone remembers: the form lists my report
    page.goto(f"{live_server}/q/{token}")
    assert page.locator("#mine a").first.inner_text().endswith(code)

    # staff work the case through the API, as their phones would
    api("worker").act(event_id, "verify", note="属实")
    api("dispatcher").act(event_id, "dispatch")
    api("handler").act(event_id, "accept")
    api("handler").act(event_id, "handle", note="已清运")
    api("worker").act(event_id, "close", note="核查合格", photo=True)

    page.goto(f"{live_server}/t/{code}")
    assert page.locator(".status").inner_text() == "已办结"
    page.locator(".choices label", has_text="不满意").click()
    page.fill("textarea[name=comment]", "又堆起来了")
    page.click("button.go")
    page.wait_for_url(re.compile(r"rated=1"))
    assert page.locator(".status").inner_text() == "办理中"
    assert "已重新办理" in page.content()
    page.screenshot(path=str(tmp_path / "tracking.png"), full_page=True)
    with world.app_context():
        assert db.session.get(Event, event_id).state == "dispatched"


def test_a_stopped_code_tells_the_resident_what_to_do(world, live_server, open_context,
                                                      login_as):
    with world.app_context():
        point = db.session.scalar(select(QrPoint).order_by(QrPoint.id))
        point_id, old = point.id, point.token
    login_as("dispatcher").post(f"/qr-points/{point_id}/reissue")
    page = open_context(PHONE).new_page()
    response = page.goto(f"{live_server}/q/{old}")
    assert response.status == 410
    assert page.locator("h1").inner_text() == "此二维码已停用"
    assert "12345" in page.content()
