"""清雪作战, first part (issue 14): declaring a snowfall makes exactly one clearing task per
grid in service, with the grid's snow points; the snow's stop sets every deadline by road
class and snow level from the table admins edit; who may declare and who may see."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from core.extensions import db
from grid.models import Grid, Region
from portal.models import QrPoint
from snow.models import SnowLimit, SnowOperation, SnowTask
from tests.support import writing

CST = ZoneInfo("Asia/Shanghai")
QINGHE, LIUWAN = "220221101000", "220221102000"
SNOW_BEGAN = datetime(2026, 12, 2, 20, 0, tzinfo=CST)
SNOW_STOPPED = datetime(2026, 12, 3, 4, 0, tzinfo=CST)
NOW = datetime(2026, 12, 3, 7, 30, tzinfo=CST)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _grids(world, town_code) -> list[str]:
    with world.app_context():
        return db.session.scalars(select(Grid.code).join(Region, Region.id == Grid.town_id)
                                  .where(Region.code == town_code, Grid.retired_at.is_(None))
                                  .order_by(Grid.code)).all()


def _mark_snow_points(world, grid_code, classes):
    """The grid's first QR points become snow points of these road classes."""
    with writing(world):
        points = db.session.scalars(select(QrPoint).join(Grid).where(Grid.code == grid_code)
                                    .order_by(QrPoint.id)).all()
        assert len(points) >= len(classes)
        for point, road in zip(points, classes):
            point.snow_class = road
        return [point.label for point in points[:len(classes)]]


@pytest.fixture
def edit_limit(world):
    """edit_limit(level, road_class, hours): the table is reference data kept between
    tests (tests/support.py KEPT_TABLES), so what a test edits is put back after it."""
    edited = {}

    def edit(app, level, road, hours):
        with writing(app):
            row = db.session.get(SnowLimit, (level, road))
            edited.setdefault((level, road), row.hours)
            row.hours = hours
    yield edit
    with writing(world):
        for key, hours in edited.items():
            db.session.get(SnowLimit, key).hours = hours


def _declare(client, towns, level="中雪", started=SNOW_BEGAN):
    return client.post("/api/v1/snow-operations", json={
        "town_codes": towns, "level": level, "started_at": _iso(started)})


def test_a_snowfall_makes_one_task_per_grid_and_the_stop_sets_each_deadline(
        world, api, freeze):
    freeze(NOW)
    grids = _grids(world, QINGHE)
    labels = _mark_snow_points(world, grids[0], ["主干道", "背街小巷"])
    dispatcher = api("dispatcher")
    answer = _declare(dispatcher, [QINGHE])
    assert answer.status_code == 201, answer.get_json()
    operation = answer.get_json()
    assert [task["grid_code"] for task in operation["tasks"]] == grids
    assert all(task["due_at"] is None and task["state"] == "not_started"
               for task in operation["tasks"])
    first = operation["tasks"][0]
    assert [(p["label"], p["road_class"]) for p in first["points"]] == [
        (labels[0], "主干道"), (labels[1], "背街小巷")]
    assert [(p["label"], p["road_class"], p["qr_point_id"])
            for p in operation["tasks"][1]["points"]] == [("网格内道路", "次干道", None)]

    stopped = dispatcher.post(f"/api/v1/snow-operations/{operation['id']}/snow-stopped",
                              json={"at": _iso(SNOW_STOPPED)})
    assert stopped.status_code == 200, stopped.get_json()
    tasks = stopped.get_json()["tasks"]
    due = [datetime.fromisoformat(p["due_at"]) for p in tasks[0]["points"]]
    assert due == [SNOW_STOPPED + timedelta(hours=12), SNOW_STOPPED + timedelta(hours=48)]
    assert datetime.fromisoformat(tasks[0]["due_at"]) == SNOW_STOPPED + timedelta(hours=48)
    assert datetime.fromisoformat(tasks[1]["due_at"]) == SNOW_STOPPED + timedelta(hours=24)
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(SnowTask)) == len(grids)


def test_the_deadlines_follow_the_level_and_the_table_admins_edit(world, api, freeze,
                                                                 edit_limit):
    freeze(NOW)
    edit_limit(world, "暴雪", "次干道", 60)
    supervisor = api("supervisor")
    operation = _declare(supervisor, [QINGHE, LIUWAN], level="暴雪").get_json()
    assert len(operation["tasks"]) == len(_grids(world, QINGHE)) + len(_grids(world, LIUWAN))
    stopped = supervisor.post(f"/api/v1/snow-operations/{operation['id']}/snow-stopped",
                              json={"at": _iso(SNOW_STOPPED)}).get_json()
    assert {datetime.fromisoformat(task["due_at"]) for task in stopped["tasks"]} == {
        SNOW_STOPPED + timedelta(hours=60)}
    # said again later (a correction): the deadlines move with it
    later = SNOW_STOPPED + timedelta(hours=2)
    moved = supervisor.post(f"/api/v1/snow-operations/{operation['id']}/snow-stopped",
                            json={"at": _iso(later)}).get_json()
    assert moved["tasks"][0]["due_at"] == _iso(later + timedelta(hours=60))


def test_one_running_operation_per_town_and_retired_grids_get_no_task(world, api, freeze):
    freeze(NOW)
    grids = _grids(world, QINGHE)
    with writing(world):
        db.session.execute(update(Grid).where(Grid.code == grids[-1])
                           .values(retired_at=NOW - timedelta(days=30)))
    dispatcher = api("dispatcher")
    first = _declare(dispatcher, [QINGHE]).get_json()
    assert [task["grid_code"] for task in first["tasks"]] == grids[:-1]
    again = _declare(api("supervisor"), [LIUWAN, QINGHE])
    assert again.status_code == 409 and QINGHE in again.get_json()["message"]
    with world.app_context():  # nothing of the refused one was written
        assert db.session.scalar(select(func.count()).select_from(SnowOperation)) == 1


def test_who_may_declare_and_who_may_see(world, api, freeze):
    freeze(NOW)
    assert _declare(api("dispatcher"), [LIUWAN]).status_code == 403  # another town
    assert _declare(api("worker"), [QINGHE]).status_code == 403
    assert _declare(api("handler"), [QINGHE]).status_code == 403
    operation = _declare(api("admin"), [QINGHE, LIUWAN]).get_json()
    path = f"/api/v1/snow-operations/{operation['id']}"
    worker_sees = api("worker").get(path).get_json()
    assert [task["grid_code"] for task in worker_sees["tasks"]] == ["220221101000001"]
    dispatcher_sees = api("dispatcher").get(path).get_json()
    assert {task["grid_code"][:12] for task in dispatcher_sees["tasks"]} == {QINGHE}
    # the department 清河镇 routes snow to (环卫所) sees its tasks there; another does not
    handler_sees = api("handler").get(path).get_json()
    assert {task["grid_code"][:12] for task in handler_sees["tasks"]} == {QINGHE}
    assert api("h220221101000-zf").get(path).status_code == 404
    assert api("worker").post(f"{path}/snow-stopped",
                              json={"at": _iso(SNOW_STOPPED)}).status_code == 403
    assert api("dispatcher").get("/api/v1/snow-operations/999999").status_code == 404


def test_a_bad_declaration_names_what_is_wrong(world, api, freeze):
    freeze(NOW)
    dispatcher = api("dispatcher")
    cases = [
        ({"town_codes": ["220221199000"], "level": "中雪", "started_at": _iso(SNOW_BEGAN)},
         "town_codes"),
        ({"town_codes": [QINGHE], "level": "冰雹", "started_at": _iso(SNOW_BEGAN)}, "level"),
        ({"town_codes": [QINGHE], "level": "中雪",
          "started_at": _iso(NOW + timedelta(hours=2))}, "started_at"),
        ({"town_codes": [QINGHE], "level": "中雪", "started_at": "2026-12-02T20:00:00"},
         "started_at"),
        ({"town_codes": [], "level": "中雪", "started_at": _iso(SNOW_BEGAN)}, "town_codes"),
    ]
    for body, field in cases:
        answer = dispatcher.post("/api/v1/snow-operations", json=body)
        assert answer.status_code == 422, (body, answer.get_json())
        assert field in answer.get_json()["fields"], (body, answer.get_json())
    operation = _declare(dispatcher, [QINGHE]).get_json()
    early = dispatcher.post(f"/api/v1/snow-operations/{operation['id']}/snow-stopped",
                            json={"at": _iso(SNOW_BEGAN - timedelta(hours=1))})
    assert early.status_code == 422 and "at" in early.get_json()["fields"]
    with world.app_context():
        assert db.session.scalar(select(SnowOperation.stopped_at)) is None


TICKS = {"no_ice": True, "no_residual_snow": True, "ground_visible": True}


def _operation_with_points(world, api, freeze):
    """清河镇's operation, 第1网格 with two snow points; the snow stopped."""
    freeze(NOW)
    grid = _grids(world, QINGHE)[0]
    _mark_snow_points(world, grid, ["主干道", "背街小巷"])
    operation = _declare(api("dispatcher"), [QINGHE]).get_json()
    api("dispatcher").post(f"/api/v1/snow-operations/{operation['id']}/snow-stopped",
                           json={"at": _iso(SNOW_STOPPED)})
    task = operation["tasks"][0]
    return operation["id"], task["points"][0]["id"], task["points"][1]["id"]


def _act(client, operation_id, point_id, **body):
    return client.post(f"/api/v1/snow-operations/{operation_id}/points/{point_id}", json=body)


def test_the_grid_worker_clears_each_point_with_a_photo_and_the_three_ticks(world, api, freeze):
    operation_id, first, second = _operation_with_points(world, api, freeze)
    worker = api("worker")
    started = _act(worker, operation_id, first, action="start")
    assert started.status_code == 200 and started.get_json()["state"] == "in_progress"
    one_short = _act(worker, operation_id, first, action="clear", photo_ids=[worker.upload_photo()],
                     checks={**TICKS, "ground_visible": False})
    assert one_short.status_code == 422 and "checks" in one_short.get_json()["fields"]
    no_photo = _act(worker, operation_id, first, action="clear", checks=TICKS)
    assert no_photo.status_code == 422 and "photo_ids" in no_photo.get_json()["fields"]
    photo = worker.upload_photo()
    cleared = _act(worker, operation_id, first, action="clear", photo_ids=[photo], checks=TICKS)
    assert cleared.status_code == 200, cleared.get_json()
    task = cleared.get_json()
    assert [p["state"] for p in task["points"]] == ["cleared", "not_started"]
    assert task["state"] == "in_progress" and task["cleared_at"] is None
    reused = _act(worker, operation_id, second, action="clear", photo_ids=[photo], checks=TICKS)
    assert reused.status_code == 422 and "photo_ids" in reused.get_json()["fields"]
    done = _act(worker, operation_id, second, action="clear",
                photo_ids=[worker.upload_photo()], checks=TICKS).get_json()
    assert done["state"] == "cleared"
    assert datetime.fromisoformat(done["cleared_at"]) == NOW
    again = _act(worker, operation_id, second, action="start")
    assert again.status_code == 409 and again.get_json()["state"] == "cleared"


def test_the_departments_clear_waits_for_the_grid_workers_check(world, api, freeze):
    operation_id, first, _second = _operation_with_points(world, api, freeze)
    handler, worker = api("handler"), api("worker")
    reported = _act(handler, operation_id, first, action="clear",
                    photo_ids=[handler.upload_photo()], checks=TICKS).get_json()
    assert reported["points"][0]["state"] == "reported"  # 待核查
    assert _act(handler, operation_id, first, action="pass", checks=TICKS).status_code == 409
    failed = _act(worker, operation_id, first, action="fail")
    assert failed.status_code == 422 and "note" in failed.get_json()["fields"]
    failed = _act(worker, operation_id, first, action="fail", note="路肩仍有残雪")
    assert failed.get_json()["points"][0]["state"] == "in_progress"
    _act(handler, operation_id, first, action="clear", photo_ids=[handler.upload_photo()],
         checks=TICKS)
    passed = _act(worker, operation_id, first, action="pass", checks=TICKS).get_json()
    assert passed["points"][0]["state"] == "cleared"
    with world.app_context():
        from snow.models import SnowReport
        assert db.session.scalars(select(SnowReport.action).order_by(SnowReport.id)).all() == [
            "clear", "fail", "clear", "pass"]


def test_only_the_grids_people_act_on_its_points(world, api, freeze):
    operation_id, first, _second = _operation_with_points(world, api, freeze)
    other_worker = api("w101002")  # 清河镇第2网格
    assert _act(other_worker, operation_id, first, action="start").status_code == 404
    assert _act(api("admin"), operation_id, first, action="start").status_code == 200
    assert _act(api("dispatcher"), operation_id, 999999, action="start").status_code == 404
