"""Residents report by QR code — no account (tracking and rating: test_portal_tracking.py)."""
import io
import re
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.extensions import db
from events.models import Attachment, Event
from portal.models import QrPoint
from tests.support import POINT_GRID2

CST = ZoneInfo("Asia/Shanghai")


def jpeg(width=64, height=48, gps=True) -> bytes:
    image = Image.new("RGB", (width, height), (30, 120, 30))
    exif = Image.Exif()
    if gps:
        exif.get_ifd(0x8825)[2] = (43.0, 36.0, 10.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def point(world):
    """The first QR point of grid 1 (the demo puts two in every grid)."""
    with world.app_context():
        row = db.session.scalar(select(QrPoint).join(QrPoint.grid)
                                .where(QrPoint.grid.has(code="220221101000001"))
                                .order_by(QrPoint.id))
        return {"id": row.id, "token": row.token, "grid_id": row.grid_id, "label": row.label}


def _count(app, model=Event):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _form(client, point, **fields):
    page = client.get(f"/q/{point['token']}")
    token = re.search(r'name="form_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    data = {"form_token": token, "category_code": "06010", "description": "垃圾站旁堆满了垃圾",
            **fields}
    return client.post(f"/q/{point['token']}", data=data, content_type="multipart/form-data")


def test_the_form_is_small_chinese_and_offers_the_common_problems(client, point):
    page = client.get(f"/q/{point['token']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="zh-CN">' in html
    assert point["label"] in html and "隐私说明" in html
    assert len(re.findall(r'class="kind"', html)) == 8
    for name in ("暴露垃圾", "道路积雪结冰", "私搭乱建", "占道经营", "机动车乱停放", "架空线缆脱落"):
        assert name in html
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    weight = len(page.data)
    for asset in assets:
        with client.get(asset) as response:
            weight += len(response.data)
    assert weight < 100 * 1024, weight


def test_a_report_creates_a_case_awaiting_verification_and_shows_the_receipt(
        client, point, world, api):
    response = _form(client, point, name="王先生", phone="13812341234",
                     photos=[(io.BytesIO(jpeg()), "a.jpg")])
    assert response.status_code == 303
    code = re.search(r"/t/([A-Z0-9]{10})\?receipt=1", response.headers["Location"]).group(1)
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "提交成功" in receipt and code in receipt
    with world.app_context():
        event = db.session.scalar(select(Event).where(Event.tracking_code == code))
        assert (event.state, event.source) == ("reported", "resident")
        assert event.grid_id == point["grid_id"] and event.qr_point_id == point["id"]
        assert (event.reporter_name, event.reporter_phone) == ("王先生", "13812341234")
        photo = event.attachments[0]
        assert photo.uploader_id is None
        assert code not in photo.public_id and len(photo.public_id) >= 20
        stored = Image.open(io.BytesIO(client.get(f"/p/{photo.public_id}").data))
        assert not stored.getexif().get_ifd(0x8825)  # the resident's GPS is gone
        event_id = event.id
    # the grid's worker sees it waiting for 核实
    queue = api("worker").get("/api/v1/events?mine=1").get_json()["items"]
    assert event_id in [e["id"] for e in queue]


def test_the_same_submission_twice_gives_the_same_receipt(client, point, world):
    page = client.get(f"/q/{point['token']}").get_data(as_text=True)
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    data = {"form_token": token, "category_code": "06010", "description": "两次提交"}
    first = client.post(f"/q/{point['token']}", data=data)
    second = client.post(f"/q/{point['token']}", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(world) == 1


def test_my_own_location_places_the_case_in_that_grid(client, point, world):
    _form(client, point, own_location="1", lat=str(POINT_GRID2[0]), lon=str(POINT_GRID2[1]))
    with world.app_context():
        event = db.session.scalars(select(Event)).one()
        assert event.grid.code == "220221101000002"
        assert (event.lat, event.lon) == POINT_GRID2


@pytest.mark.parametrize("fields,message,kept", [
    ({"phone": "1381234"}, "11 位手机号", "垃圾站旁堆满了垃圾"),
    ({"phone": "23812341234"}, "11 位手机号", "13"),
    ({"description": ""}, "请描述问题", None),
    ({"category_code": ""}, "请选择问题类别", "垃圾站旁堆满了垃圾"),
    ({"description": "长" * 2001}, "不超过 2000 字", None),
])
def test_bad_input_is_explained_in_chinese_and_keeps_what_was_typed(
        client, point, world, fields, message, kept):
    response = _form(client, point, name="李女士", **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html and 'value="李女士"' in html
    if kept:
        assert kept in html
    assert _count(world) == 0


def test_photos_are_checked_and_a_bad_one_saves_nothing(client, point, world):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    polyglot = jpeg()[:2] + pdf
    for name, data in (("renamed.jpg", pdf), ("poly.jpg", polyglot)):
        response = _form(client, point, photos=[(io.BytesIO(jpeg()), "ok.jpg"),
                                                (io.BytesIO(data), name)])
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert "不是有效的图片" in html and "垃圾站旁堆满了垃圾" in html
    four = [(io.BytesIO(jpeg()), f"{n}.jpg") for n in range(4)]
    assert "最多 3 张" in _form(client, point, photos=four).get_data(as_text=True)
    assert _count(world) == 0 and _count(world, Attachment) == 0


def test_oversized_photo_is_refused(client, point, world, configure):
    configure(UPLOAD_MAX_BYTES=1000)
    response = _form(client, point, photos=[(io.BytesIO(jpeg(300, 300)), "big.jpg")])
    assert response.status_code == 413
    assert "垃圾站旁堆满了垃圾" in response.get_data(as_text=True)
    assert _count(world) == 0


def test_the_honeypot_catches_bots(client, point, world):
    response = _form(client, point, website="http://spam.example")
    assert response.status_code == 400
    assert _count(world) == 0


def test_reissued_or_stopped_codes_say_so_and_offer_the_hotline(client, point, world, login_as):
    old = point["token"]
    staff = login_as("dispatcher")
    staff.post(f"/qr-points/{point['id']}/reissue")
    page = client.get(f"/q/{old}")
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    assert "此二维码已停用" in html and "热线" in html
    assert client.post(f"/q/{old}", data={"description": "x"}).status_code == 410
    with world.app_context():
        new = db.session.get(QrPoint, point["id"]).token
    assert new != old and client.get(f"/q/{new}").status_code == 200
    staff.post(f"/qr-points/{point['id']}/active", data={"active": "0"})
    assert client.get(f"/q/{new}").status_code == 410
    assert client.get("/q/not-a-real-token").status_code == 404
    assert _count(world) == 0


def test_rate_limit_per_phone_keeps_the_text(world, point, configure):
    configure(REPORT_LIMIT_PER_IP="2 per hour", REPORT_LIMIT_PER_POINT="100 per hour")
    phone = world.test_client()
    assert _form(phone, point).status_code == 303
    assert _form(phone, point).status_code == 303
    third = _form(phone, point, description="第三次")
    assert third.status_code == 429
    assert "第三次" in third.get_data(as_text=True) and "过于频繁" in third.get_data(as_text=True)
    assert _count(world) == 2


def test_rate_limit_per_point_across_phones(world, point, configure):
    configure(REPORT_LIMIT_PER_IP="100 per hour", REPORT_LIMIT_PER_POINT="2 per hour")
    statuses = []
    for n in range(3):
        phone = world.test_client()
        phone.environ_base["REMOTE_ADDR"] = f"127.0.0.{n + 2}"
        statuses.append(_form(phone, point).status_code)
    assert statuses == [303, 303, 429]
    assert _count(world) == 2
