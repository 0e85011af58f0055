"""清雪's settings (issue 14): which QR points are snow points and of what road class, set on
the grid's page; the hours table, set by admins; both audited."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from audit.models import AuditEntry
from core.extensions import db
from grid.models import Grid
from portal.models import QrPoint
from snow.models import SnowLimit
from tests.support import writing

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 7, 30, tzinfo=CST)


@pytest.fixture
def database_url(sqlite_url):
    return sqlite_url


@pytest.fixture
def table_kept(world):
    """The hours table is reference data kept between tests: put it back after."""
    with world.app_context():
        saved = {(r.level, r.road_class): r.hours for r in db.session.scalars(select(SnowLimit))}
    yield
    with writing(world):
        for row in db.session.scalars(select(SnowLimit)):
            row.hours = saved[(row.level, row.road_class)]


def _first_point(world):
    with world.app_context():
        return db.session.scalar(select(QrPoint.id).join(Grid).where(
            Grid.code == "220221101000001").order_by(QrPoint.id))


def test_a_dispatcher_marks_a_snow_point_on_the_grid_page(world, login_as):
    point = _first_point(world)
    dispatcher = login_as("dispatcher")
    page = dispatcher.get("/grids/220221101000001").get_data(as_text=True)
    assert f'action="/qr-points/{point}/snow"' in page
    assert dispatcher.post(f"/qr-points/{point}/snow",
                           data={"snow_class": "主干道"}).status_code == 303
    page = dispatcher.get("/grids/220221101000001").get_data(as_text=True)
    assert "清雪点位 · 主干道" in page
    dispatcher.post(f"/qr-points/{point}/snow", data={"snow_class": "高速公路"})
    with world.app_context():
        assert db.session.get(QrPoint, point).snow_class == "主干道"  # refused, kept
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.kind == "qr_point"))
        assert entry.after == {"snow_class": "主干道"}
    other_town = login_as("dispatcher2")
    assert other_town.post(f"/qr-points/{point}/snow", data={"snow_class": ""}).status_code == 404


def test_an_admin_sets_the_hours_and_the_next_stop_follows_them(world, login_as, api, freeze,
                                                                table_kept):
    freeze(NOW)
    admin = login_as("admin")
    form = admin.get("/snow/limits").get_data(as_text=True)
    assert 'name="中雪|主干道"' in form and 'value="12"' in form
    fields = {f"{level}|{road}": str(hours) for (level, road), hours in
              {(r.level, r.road_class): r.hours for r in _rows(world)}.items()}
    wrong = admin.post("/snow/limits", data={**fields, "中雪|次干道": "abc"})
    assert wrong.status_code == 422
    assert '<span class="field-error" role="alert">0.5–720 小时</span>' in wrong.get_data(as_text=True)
    saved = admin.post("/snow/limits", data={**fields, "中雪|次干道": "8"})
    assert saved.status_code == 303
    operation = api("dispatcher").post("/api/v1/snow-operations", json={
        "town_codes": ["220221101000"], "level": "中雪",
        "started_at": "2026-12-02T20:00:00+08:00"}).get_json()
    stop = datetime(2026, 12, 3, 4, 0, tzinfo=CST)
    stopped = api("dispatcher").post(f"/api/v1/snow-operations/{operation['id']}/snow-stopped",
                                     json={"at": stop.isoformat()}).get_json()
    assert datetime.fromisoformat(stopped["tasks"][0]["due_at"]) == stop + timedelta(hours=8)
    with world.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.kind == "snow_limit"))
        assert entry.before == {"中雪·次干道": 24.0} and entry.after == {"中雪·次干道": 8.0}
    assert login_as("dispatcher").get("/snow/limits").status_code == 403


def _rows(world):
    with world.app_context():
        return db.session.scalars(select(SnowLimit)).all()
