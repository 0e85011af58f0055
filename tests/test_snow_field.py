"""The grid worker's 清雪 page on the phone (issue 14): their grids' tasks, each point's next
step; a form sent twice (the app's outbox after no signal) is said once; a refusal is the
page again with the reason, which the outbox shows."""
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.extensions import db
from snow.models import SnowReport

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 7, 30, tzinfo=CST)


@pytest.fixture
def database_url(sqlite_url):
    """A page over the services tested on both engines (tests/test_snow.py)."""
    return sqlite_url


@pytest.fixture
def operation(world, api, freeze):
    freeze(NOW)
    made = api("dispatcher").post("/api/v1/snow-operations", json={
        "town_codes": ["220221101000"], "level": "中雪",
        "started_at": "2026-12-02T20:00:00+08:00"}).get_json()
    return made["id"], made["tasks"][0]["points"][0]["id"]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (230, 230, 230)).save(out, "JPEG")
    return out.getvalue()


def test_the_worker_starts_and_clears_a_point_from_the_phone(world, login_as, operation):
    operation_id, point = operation
    worker = login_as("worker")
    page = worker.get("/field/snow").get_data(as_text=True)
    assert "清河镇第1网格" in page and "开始清雪" in page and "清河镇第2网格" not in page
    target = f"/field/snow/{operation_id}/points/{point}"
    for _ in range(2):  # the outbox sends it again after no signal: one word
        answer = worker.post(target, data={"action": "start", "action_key": "k-start-1"})
        assert answer.status_code == 303
    refused = worker.post(target, data={"action": "clear", "action_key": "k-clear-1",
                                        "no_ice": "1", "no_residual_snow": "1",
                                        "photos": (io.BytesIO(_jpeg()), "road.jpg")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422
    assert '<p class="error" role="alert">须三项均达标：无积冰、无残雪、露出地面</p>' in \
        refused.get_data(as_text=True)
    cleared = worker.post(target, data={"action": "clear", "action_key": "k-clear-2",
                                        "no_ice": "1", "no_residual_snow": "1",
                                        "ground_visible": "1",
                                        "photos": (io.BytesIO(_jpeg()), "road.jpg")},
                          content_type="multipart/form-data")
    assert cleared.status_code == 303
    page = worker.get("/field/snow").get_data(as_text=True)
    assert "已记录" in page and "已清除" in page
    with world.app_context():
        actions = db.session.scalars(select(SnowReport.action).order_by(SnowReport.id)).all()
        assert actions == ["start", "clear"]
        assert db.session.scalar(select(func.count()).select_from(SnowReport)
                                 .where(SnowReport.action_key == "k-start-1")) == 1


def test_only_grid_workers_use_the_phone_page(world, login_as, operation):
    assert login_as("dispatcher").get("/field/snow").status_code == 403
    operation_id, point = operation
    other = login_as("w101002")
    answer = other.post(f"/field/snow/{operation_id}/points/{point}", data={"action": "start"})
    assert answer.status_code == 404


@pytest.mark.browser
def test_with_no_signal_a_point_started_is_kept_and_sent_once(world, operation, open_context,
                                                             live_server):
    """At 390×844: the page kept by the app, 开始清雪 tapped with no signal, sent when the
    signal returns, the page shown afresh. Screenshots in /tmp/gridgov-shots."""
    from playwright.sync_api import expect

    from tests.test_browser import SHOTS, assert_fits_a_phone
    from tests.test_field_browser import _worker
    from tests.test_field_offline_browser import _installed, _no_signal
    SHOTS.mkdir(exist_ok=True)
    page = _worker(open_context, live_server)
    page.goto(f"{live_server}/field/snow")
    _installed(page, live_server, "/field/snow")
    first = page.locator(".snow-task").first
    expect(first).to_contain_text("清河镇第1网格")
    assert_fits_a_phone(page)
    page.screenshot(path=str(SHOTS / "snow-field-1.png"), full_page=True)
    with _no_signal(page.context):
        first.get_by_role("button", name="开始清雪").first.click()
        expect(page.locator("#kept")).to_contain_text("没有信号：已存在手机上")
        expect(page.locator("#outbox .waiting")).to_contain_text("1 条记录在手机上待发送")
        page.screenshot(path=str(SHOTS / "snow-field-2-offline.png"), full_page=True)
    expect(page.locator("#kept")).to_have_text("有信号了：手机上的 1 条记录已发送", timeout=15_000)
    expect(page.locator(".snow-task").first.locator(".snow-point .tag").first).to_have_text("清雪中")
    page.screenshot(path=str(SHOTS / "snow-field-3-sent.png"), full_page=True)
    with world.app_context():
        assert db.session.scalars(select(SnowReport.action)).all() == ["start"]
