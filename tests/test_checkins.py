"""巡查打卡 (issue 10): a grid worker scanning a QR point of their grid records a visit —
time, position, accuracy, distance from the point — once per tap; the day view and the
desk's view say which points were visited."""
import re

import pytest
from sqlalchemy import select

from core.extensions import db
from field.models import CheckIn
from portal.models import QrPoint
from tests.pagehelpers import text_of


@pytest.fixture
def points(world):
    """The two QR points of 清河镇第1网格 (the demo puts two in every grid)."""
    with world.app_context():
        rows = db.session.scalars(select(QrPoint).join(QrPoint.grid).where(
            QrPoint.grid.has(code="220221101000001")).order_by(QrPoint.id)).all()
        return [{"id": p.id, "token": p.token, "label": p.label, "lat": p.lat, "lon": p.lon}
                for p in rows]


def _check_in(client, point, **fields):
    page = client.get(f"/field/checkin/{point['token']}").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    data = {"key": key, "lat": str(point["lat"] + 0.0001), "lon": str(point["lon"]),
            "accuracy": "9", **fields}
    return client.post(f"/field/checkin/{point['token']}", data=data), data


def _visits(app):
    with app.app_context():
        return [(v.point_id, v.distance_m, v.accuracy_m) for v in
                db.session.scalars(select(CheckIn).order_by(CheckIn.id))]


def test_a_worker_scanning_their_grids_point_checks_in(world, login_as, points, client):
    worker = login_as("worker")
    scanned = worker.get(f"/q/{points[0]['token']}")
    assert scanned.status_code == 302
    assert scanned.headers["Location"] == f"/field/checkin/{points[0]['token']}"
    # a resident, another grid's worker and the worker asking for the form get the form
    assert client.get(f"/q/{points[0]['token']}").status_code == 200
    assert login_as("w101002").get(f"/q/{points[0]['token']}").status_code == 200
    assert worker.get(f"/q/{points[0]['token']}?report=1").status_code == 200
    answer, _data = _check_in(worker, points[0])
    assert answer.status_code == 302 and answer.headers["Location"] == "/field/checkins"
    assert _visits(world) == [(points[0]["id"], 11, 9.0)]  # 0.0001° of latitude ≈ 11 m
    day = text_of(worker.get("/field/checkins"))
    assert f"已打卡：{points[0]['label']} · 距点位 11 米" in day
    assert "已巡 1 / 2 个点位" in day and "今日未巡" in day


def test_a_check_in_sent_twice_is_one_visit(world, login_as, points):
    worker = login_as("worker")
    _answer, data = _check_in(worker, points[0])
    again = worker.post(f"/field/checkin/{points[0]['token']}", data=data)
    assert again.status_code == 302
    assert len(_visits(world)) == 1


def test_without_a_position_the_visit_is_recorded_as_such(world, login_as, points):
    worker = login_as("worker")
    answer, _data = _check_in(worker, points[1], lat="", lon="", accuracy="")
    assert answer.status_code == 302
    assert _visits(world) == [(points[1]["id"], None, None)]
    assert "未定位" in text_of(worker.get("/field/checkins"))


@pytest.mark.parametrize("fields", [{"lat": "abc"}, {"lat": "91"}, {"accuracy": "-1"},
                                    {"key": ""}, {"key": "k" * 65}])
def test_a_bad_check_in_is_refused_and_records_nothing(world, login_as, points, fields):
    answer, _data = _check_in(login_as("worker"), points[0], **fields)
    assert answer.status_code == 422 and 'class="error"' in text_of(answer)
    assert _visits(world) == []


def test_only_the_grids_worker_checks_in_there(world, login_as, points):
    for who in ("w101002", "dispatcher", "handler"):
        client = login_as(who)
        assert client.get(f"/field/checkin/{points[0]['token']}").status_code == 404
        assert client.post(f"/field/checkin/{points[0]['token']}",
                           data={"key": "x"}).status_code == 404
    assert _visits(world) == []


def test_the_desk_sees_each_workers_day_and_each_grids_coverage(world, login_as, points):
    _check_in(login_as("worker"), points[0])
    page = text_of(login_as("dispatcher").get("/field/patrols"))
    row = next(r for r in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S) if "清河镇第1网格" in r)
    cells = [re.sub(r"<[^>]+>|\s+", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[2:5] == ["1", "1/2", "50%"]
    assert "1 / 2 个点位" in page
    assert login_as("worker").get("/field/patrols").status_code == 403
    assert login_as("dispatcher").get("/field/patrols?date=garbage").status_code == 404


def test_a_report_from_a_check_in_starts_at_the_point(world, login_as, points):
    page = text_of(login_as("worker").get(f"/field/report?point={points[0]['id']}"))
    assert f'name="lat" value="{points[0]["lat"]:.6f}"' in page
    assert f'value="{points[0]["label"]}"' in page
    other = text_of(login_as("worker").get("/field/report?point=999999"))
    assert 'name="lat" value=""' in other


def test_a_check_in_at_a_stopped_point_is_refused_in_words(world, login_as, points):
    from tests.support import writing
    worker = login_as("worker")
    page = worker.get(f"/field/checkin/{points[0]['token']}").get_data(as_text=True)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    with writing(world):
        db.session.get(QrPoint, points[0]["id"]).is_active = False
    late = worker.post(f"/field/checkin/{points[0]['token']}", data={"key": key})
    assert late.status_code == 409
    assert '<p class="error" role="alert">该点位已停用，打卡未记录</p>' in text_of(late)
    assert _visits(world) == []
