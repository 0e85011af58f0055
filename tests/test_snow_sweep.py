"""Late snow tasks climb the ladder once per step (issue 14), on both engines: 催办 at 80 % of
the time from the snow's stop to the deadline, 超期 at it, then the 紧急 ladder's delays;
each step told to its people; a cleared task climbs no further."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from auth.models import User
from core.extensions import db
from notify.models import Notification
from snow.models import SnowEscalation
from snow.sweep import escalate_snow

CST = ZoneInfo("Asia/Shanghai")
QINGHE = "220221101000"
BEGAN = datetime(2026, 12, 2, 20, 0, tzinfo=CST)
STOPPED = datetime(2026, 12, 3, 4, 0, tzinfo=CST)
NOW = datetime(2026, 12, 3, 7, 30, tzinfo=CST)
TICKS = {"no_ice": True, "no_residual_snow": True, "ground_visible": True}


def _sweep(app, when):
    with app.app_context():
        return escalate_snow(when)


def _steps(app):
    with app.app_context():
        return sorted(db.session.execute(select(SnowEscalation.task_id, SnowEscalation.step)))


def _told(app, username, step):
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        return [n.subject for n in db.session.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.channel == "in_app",
            Notification.kind.like("snow.%"))) if n.data["step"] == step]


def test_a_late_task_climbs_each_step_once_and_its_people_hear(world, api, freeze):
    freeze(NOW)
    dispatcher = api("dispatcher")
    operation = dispatcher.post("/api/v1/snow-operations", json={
        "town_codes": [QINGHE], "level": "中雪", "started_at": BEGAN.isoformat()}).get_json()
    dispatcher.post(f"/api/v1/snow-operations/{operation['id']}/snow-stopped",
                    json={"at": STOPPED.isoformat()})
    tasks = [task["id"] for task in operation["tasks"]]
    # every task here is the grid's roads: 次干道, 24 h at 中雪
    due = STOPPED + timedelta(hours=24)
    assert _sweep(world, STOPPED + timedelta(hours=19)) == "snow: nothing late"
    # the first grid's task is cleared before anything is late: it never climbs
    worker = api("worker")
    first_point = operation["tasks"][0]["points"][0]["id"]
    worker.post(f"/api/v1/snow-operations/{operation['id']}/points/{first_point}",
                json={"action": "clear", "photo_ids": [worker.upload_photo()], "checks": TICKS})
    late = tasks[1:]
    _sweep(world, STOPPED + timedelta(hours=19, minutes=12))  # 80 % of 24 h
    assert _steps(world) == [(task, 1) for task in late]
    _sweep(world, STOPPED + timedelta(hours=20))  # nothing new: each step once
    assert _steps(world) == [(task, 1) for task in late]
    _sweep(world, due + timedelta(minutes=1))
    _sweep(world, due + timedelta(minutes=480))
    assert _steps(world) == [(task, step) for task in late for step in (1, 2, 3, 4)]
    # 催办 to the grid's worker and the department; 超期 to the dispatcher; then upwards
    grid2_worker = "w101002"
    assert len(_told(world, grid2_worker, 1)) == 1
    assert _told(world, grid2_worker, 1)[0].startswith("【催办】清雪：")
    assert _told(world, "handler", 1) and not _told(world, "worker", 1)
    assert len(_told(world, "dispatcher", 2)) == len(late)
    assert len(_told(world, "supervisor", 3)) == len(late)
    assert _told(world, "dispatcher", 1) == []
