"""Progress on a snow point (issue 14): started, cleared with a photo judged against the
standard "以无积冰、无残雪、露出地面为标准" (the three ticks), and checked.

A point is done when its photo check is passed by the grid worker or the dispatcher: their
own "cleared" (photo and three ticks) is the check; the responsible department's "cleared"
waits for it (待核查), and the grid worker or dispatcher passes it (their three ticks) or
fails it (with a note: back to in progress). A task is cleared when every point is."""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from core.errors import Conflict, InvalidInput, NotFound
from core.extensions import db
from events.photos import claim_for
from snow.services import role_on
from snow.models import (CHECKS, POINT_ACTIONS, SnowOperation, SnowReport, SnowTask,
                         SnowTaskPoint)

MAX_PHOTOS = 9


def _all_ticked(checks: dict | None) -> None:
    if not checks or not all(checks.get(name) is True for name in CHECKS):
        message = _("须三项均达标：无积冰、无残雪、露出地面")
        raise InvalidInput(message, fields={"checks": [message]})


def _claim(actor, photo_ids, report: SnowReport) -> None:
    report.photos.extend(claim_for(actor, photo_ids, "snow", at_most=MAX_PHOTOS))


def _settle(task: SnowTask) -> None:
    states = [point.state for point in task.points]
    if all(state == "cleared" for state in states):
        task.state = "cleared"
        task.cleared_at = max(point.cleared_at for point in task.points)
    else:
        task.state = "not_started" if all(s == "not_started" for s in states) else "in_progress"
        task.cleared_at = None


def act_on_point(actor, operation: SnowOperation, point_id: int, *, action: str,
                 photo_ids=(), checks: dict | None = None, note: str | None = None,
                 now: datetime, action_key: str | None = None) -> SnowTask:
    """One word on a point, inside the caller's unit of work; the point's task, settled.
    With an `action_key` said before (a phone's retry), the task as it is now."""
    if action_key:
        said = db.session.scalar(select(SnowReport).where(
            SnowReport.actor_id == actor.id, SnowReport.action_key == action_key))
        if said is not None:
            point = db.session.get(SnowTaskPoint, said.point_id)
            if point is None or point.task.operation_id != operation.id:
                raise NotFound(_("没有这个清雪点位"))
            return point.task
    if action not in POINT_ACTIONS:
        raise InvalidInput(_("不支持该操作"), fields={"action": [_("不支持该操作")]})
    point = db.session.scalar(select(SnowTaskPoint).join(SnowTask).where(
        SnowTaskPoint.id == point_id, SnowTask.operation_id == operation.id)
        .with_for_update())
    role = role_on(actor, point.task) if point is not None else None
    if role is None:
        raise NotFound(_("没有这个清雪点位"))
    if operation.ended_at is not None:
        raise Conflict(_("清雪作战已结束"))
    allowed = {"start": ("not_started",), "clear": ("not_started", "in_progress"),
               "pass": ("reported",), "fail": ("reported",)}[action]
    if point.state not in allowed or (action in ("pass", "fail") and role != "checker"):
        raise Conflict(_("该点位当前不能这样操作"), state=point.state)
    report = SnowReport(point_id=point.id, actor_id=actor.id, action=action, checks=checks,
                        note=(note or "").strip(), created_at=now, action_key=action_key)
    if action == "clear":
        if not photo_ids:
            raise InvalidInput(_("请拍照：照片须能看出路面"),
                               fields={"photo_ids": [_("请拍照：照片须能看出路面")]})
        _all_ticked(checks)
        _claim(actor, photo_ids, report)
        point.state = "cleared" if role == "checker" else "reported"
    elif action == "pass":
        _all_ticked(checks)
        _claim(actor, photo_ids, report)
        point.state = "cleared"
    elif action == "fail":
        if not report.note:
            raise InvalidInput(_("请写明哪里未达标"), fields={"note": [_("请写明哪里未达标")]})
        point.state = "in_progress"
    else:
        point.state = "in_progress"
    point.cleared_at = now if point.state == "cleared" else None
    db.session.add(report)
    _settle(point.task)
    db.session.flush()
    return point.task
