"""巡访 in a real Chromium (issue 14): the grid worker's due visits at 390×844, the visit
recorded at the home with the distance shown, with no signal kept on the phone and sent
once when the signal returns; the register and a person's record at 1920×1080.
Screenshots go to /tmp/gridgov-shots."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from care.models import CareVisit
from core.extensions import db
from tests.care_support import add_person, middle, worker_grid
from tests.test_browser import SHOTS, assert_fits_a_phone
from tests.test_field_browser import _log_in
from tests.test_field_offline_browser import _installed, _no_signal
from tests.test_snow_browser import DESK, _dispatcher
from tests.test_browser import PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def database_url(sqlite_url):
    """The pages in a browser on SQLite: the services are tested on both engines."""
    return sqlite_url


def _today():
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def test_a_visit_made_with_no_signal_is_sent_once_with_its_distance(open_context, live_server,
                                                                     world):
    from playwright.sync_api import expect
    SHOTS.mkdir(exist_ok=True)
    late = add_person(world, name="张桂兰", registered=_today() - timedelta(days=9))
    add_person(world, name="王秀英", risk="medium", registered=_today() - timedelta(days=10))
    home = middle(world, worker_grid(world))
    context = open_context({**PHONE, "permissions": ["geolocation"], "geolocation": {
        "latitude": home[0] + 0.0002, "longitude": home[1], "accuracy": 10}})
    page = _log_in(context.new_page(), live_server, "worker")
    page.goto(f"{live_server}/field/care")
    cards = page.locator("section.care-person")
    expect(cards).to_have_count(2)
    expect(cards.first).to_contain_text("张桂兰")  # the overdue first
    expect(cards.first).to_contain_text("已超期 2 天")
    expect(cards.nth(1)).to_contain_text("4 天后应走访")
    assert_fits_a_phone(page)
    page.screenshot(path=str(SHOTS / "care-field-phone.png"), full_page=True)
    _installed(page, live_server, "/field/care")
    with _no_signal(page.context):
        page.reload()
        expect(page.locator("#offline")).to_be_visible()
        card = page.locator(f"#p{late}")
        card.locator("summary", has_text="记录走访").click()
        expect(card.locator(".gps")).to_have_text(re.compile(r"已定位：距老人住址约 2\d 米"))
        for name in ("health", "food", "safety", "mood"):
            card.locator(f"input[name={name}][value=ok]").check()
        card.locator("input[name=heating][value=concern]").check()
        card.get_by_label("需求与情况说明").fill("煤不够用到月底")
        assert_fits_a_phone(page)
        page.screenshot(path=str(SHOTS / "care-visit-form-phone.png"), full_page=True)
        card.get_by_role("button", name="提交走访记录").click()
        expect(page.locator("#kept")).to_contain_text("已存在手机上")
        expect(page.locator("#outbox .waiting")).to_contain_text("1 条记录在手机上待发送")
        with world.app_context():
            assert db.session.scalar(select(func.count()).select_from(CareVisit)) == 0
    expect(page.locator("#outbox")).to_be_hidden(timeout=15_000)
    page.goto(f"{live_server}/field/care")
    with world.app_context():
        visits = db.session.scalars(select(CareVisit)).all()
        assert len(visits) == 1
        visit = visits[0]
        assert 18 <= visit.distance_m <= 26 and visit.checks["heating"] is False
        assert visit.needs == "煤不够用到月底"
    cards = page.locator("section.care-person")  # 张桂兰 is next due in a week: last now
    expect(cards.first).to_contain_text("王秀英")
    expect(cards.nth(1)).to_contain_text("7 天后应走访")


def test_the_register_and_a_record_on_a_desk_and_a_phone(open_context, live_server, world,
                                                         api):
    from playwright.sync_api import expect
    SHOTS.mkdir(exist_ok=True)
    person_id = add_person(world, name="张桂兰", registered=_today() - timedelta(days=9))
    add_person(world, name="王秀英", risk="low", registered=_today() - timedelta(days=3))
    home = middle(world, worker_grid(world))
    api("worker").post("/api/v1/care/visits", json={
        "person_id": person_id, "key": "v1", "lat": home[0], "lon": home[1],
        "checks": {"health": True, "heating": False, "food": True, "safety": True,
                   "mood": True}, "needs": "取暖炉烟道破损",
        "raise_case": {"category_code": "01401", "description": "取暖炉烟道破损，需更换"}})
    for options, name in ((DESK, "desk"), (PHONE, "phone")):
        page = _dispatcher(open_context, live_server, options)
        page.goto(f"{live_server}/care")
        expect(page.locator("table.care-register tbody tr")).to_have_count(2)
        expect(page.locator("table.care-coverage")).to_contain_text("清河镇")
        if name == "phone":
            assert_fits_a_phone(page)
        page.screenshot(path=str(SHOTS / f"care-register-{name}.png"), full_page=True)
        page.goto(f"{live_server}/care/people/{person_id}")
        expect(page.locator(".care-visit-row")).to_have_count(1)
        expect(page.locator(".care-visit-row")).to_contain_text("取暖需关注")
        expect(page.locator(".care-reads")).to_contain_text("查看档案")
        if name == "phone":
            assert_fits_a_phone(page)
        page.screenshot(path=str(SHOTS / f"care-person-{name}.png"), full_page=True)
