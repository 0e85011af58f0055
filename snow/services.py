"""Declaring a snowfall and its stop (issue 14): one clearing task per grid in service of
each town, its points (the grid's snow points, or its roads), and deadlines counted from
the snow's stop in natural hours by road class and snow level (the snow_limit table)."""
from datetime import datetime, timedelta

from flask import g
from flask_babel import gettext as _
from sqlalchemy import select

from auth.permissions import case_scope
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from auth.models import User
from core.bulk import bulk_insert
from core.extensions import db
from events.models import Category
from events.routing import suggest_department
from grid.models import Grid, GridMember, Region
from notify.models import Notification
from notify.services import notification_rows
from portal.models import QrPoint
from snow.models import (GRID_ROADS, LEVELS, SnowLimit, SnowOperation, SnowTask,
                         SnowTaskPoint)

#: who declares: a town's dispatcher (their town), a supervisor (the towns of their
#: region), an admin (any town)
DECLARING_ROLES = ("dispatcher", "supervisor", "admin")
#: a declaration may be entered late (the night's snow, declared in the morning), not early
LATE_ENTRY = timedelta(days=3)


def limits() -> dict[tuple[str, str], float]:
    return {(row.level, row.road_class): row.hours for row in db.session.scalars(select(SnowLimit))}


def _towns(actor, codes: list[str]) -> list[Region]:
    if not codes:
        raise InvalidInput(_("请选择至少一个乡镇"), fields={"town_codes": [_("至少一个乡镇")]})
    if len(codes) > 200 or len(set(codes)) != len(codes):
        raise InvalidInput(_("乡镇不能重复，且不超过 200 个"),
                           fields={"town_codes": [_("乡镇不能重复，且不超过 200 个")]})
    towns = db.session.scalars(select(Region).where(Region.code.in_(codes),
                                                    Region.level == "town")).all()
    unknown = sorted(set(codes) - {town.code for town in towns})
    if unknown:
        raise InvalidInput(_("没有这些乡镇：%(codes)s", codes="、".join(unknown)),
                           fields={"town_codes": [_("没有这些乡镇：%(codes)s",
                                                    codes="、".join(unknown))]})
    scope = case_scope(actor)
    outside = [town.code for town in towns
               if not scope.admits(town_id=town.id, town_path=town.path)]
    if outside:
        raise Forbidden(_("无权为这些乡镇发布降雪：%(codes)s", codes="、".join(sorted(outside))))
    return sorted(towns, key=lambda town: town.code)


def _check_time(name: str, moment: datetime, now: datetime) -> None:
    if moment.tzinfo is None:
        raise InvalidInput(_("时间须带时区"), fields={name: [_("时间须带时区")]})
    if moment > now + timedelta(minutes=5) or moment < now - LATE_ENTRY:
        raise InvalidInput(_("时间须在过去 3 天内，且不能晚于现在"),
                           fields={name: [_("时间须在过去 3 天内，且不能晚于现在")]})


def declare(actor, *, town_codes: list[str], level: str, started_at: datetime,
            now: datetime) -> SnowOperation:
    """A snowfall over the towns: one task per grid in service (inside the caller's unit of
    work). A town already in a running operation is refused: one snowfall at a time."""
    if actor.role not in DECLARING_ROLES:
        raise Forbidden(_("只有受理中心、督查人员和管理员可以发布降雪"))
    if level not in LEVELS:
        raise InvalidInput(_("降雪等级须为 小雪、中雪、大雪 或 暴雪"),
                           fields={"level": [_("降雪等级须为 小雪、中雪、大雪 或 暴雪")]})
    _check_time("started_at", started_at, now)
    towns = _towns(actor, town_codes)
    busy = db.session.scalars(
        select(Region.code).join(SnowTask, SnowTask.town_id == Region.id)
        .join(SnowOperation, SnowOperation.id == SnowTask.operation_id)
        .where(SnowTask.town_id.in_([town.id for town in towns]),
               SnowOperation.ended_at.is_(None)).distinct()).all()
    if busy:
        raise Conflict(_("这些乡镇已有进行中的清雪作战：%(codes)s", codes="、".join(sorted(busy))))
    operation = SnowOperation(level=level, started_at=started_at, declared_by_id=actor.id)
    db.session.add(operation)
    grids = db.session.scalars(select(Grid).where(
        Grid.town_id.in_([town.id for town in towns]), Grid.retired_at.is_(None))
        .order_by(Grid.code)).all()
    points = {}
    for point in db.session.scalars(select(QrPoint).where(
            QrPoint.grid_id.in_([grid.id for grid in grids]), QrPoint.is_active.is_(True),
            QrPoint.snow_class.is_not(None)).order_by(QrPoint.id)):
        points.setdefault(point.grid_id, []).append(point)
    for grid in grids:
        task = SnowTask(operation=operation, grid_id=grid.id, town_id=grid.town_id)
        db.session.add(task)
        for point in points.get(grid.id, ()):
            task.points.append(SnowTaskPoint(qr_point_id=point.id, label=point.label,
                                             road_class=point.snow_class))
        if not task.points:  # the grid's own roads
            task.points.append(SnowTaskPoint(label=_("网格内道路"), road_class=GRID_ROADS))
    db.session.flush()
    _tell_the_grids(operation, grids, now)
    return operation


def _tell_the_grids(operation: SnowOperation, grids: list[Grid], now: datetime) -> None:
    """Each grid's workers get the task (待办, in the app and by mail), with a link to the
    phone page."""
    members = {}
    for grid_id, user_id in db.session.execute(
            select(GridMember.grid_id, GridMember.user_id).join(User)
            .where(GridMember.grid_id.in_([grid.id for grid in grids]),
                   User.is_enabled.is_(True), User.role == "grid_worker")):
        members.setdefault(grid_id, set()).add(user_id)
    rows = []
    for grid in grids:
        if grid.id in members:
            rows += notification_rows(
                members[grid.id], None, kind="task.snow", event_id=None, now=now,
                subject=_("【清雪任务】%(level)s：%(grid)s，雪停后按时限清除（无积冰、无残雪、露出地面）",
                          level=operation.level, grid=grid.name),
                data={"snow_operation_id": operation.id, "url": "/field/snow"},
                channels=["in_app", "email"])
    if rows:
        bulk_insert(Notification.__table__, rows)


def snow_stopped(actor, operation: SnowOperation, at: datetime, now: datetime) -> None:
    """The snow stopped at `at`: every point's deadline is `at` + its class's hours at the
    operation's level, and each task's is its latest point's. Said again (a correction),
    the deadlines move with it."""
    if actor.role not in DECLARING_ROLES:
        raise Forbidden(_("只有受理中心、督查人员和管理员可以登记雪停"))
    if operation.ended_at is not None:
        raise Conflict(_("清雪作战已结束"))
    _check_time("at", at, now)
    if at < operation.started_at:
        raise InvalidInput(_("雪停时间不能早于降雪开始"), fields={"at": [_("雪停时间不能早于降雪开始")]})
    table = limits()
    for task in operation.tasks:
        for point in task.points:
            hours = table.get((operation.level, point.road_class))
            if hours is None:
                raise Conflict(_("清雪时限表缺少 %(level)s·%(road)s，请管理员补上",
                                 level=operation.level, road=point.road_class))
            point.due_at = at + timedelta(hours=hours)
        task.due_at = max(point.due_at for point in task.points)
    operation.stopped_at = at
    operation.version += 1


#: the category residents and workers report uncleared snow under (道路积雪结冰): its
#: routing names the department responsible for clearing
SNOW_CATEGORY = "10001"


def role_on(actor, task: SnowTask) -> str | None:
    """"checker" (the grid's worker, the town's dispatcher, an admin), "department" (a
    handler of the department the town routes snow to), or None (not theirs)."""
    if actor.role == "admin":
        return "checker"
    if actor.role == "grid_worker" and task.grid_id in actor.grid_ids:
        return "checker"
    if actor.role == "dispatcher" and actor.region_id == task.town_id:
        return "checker"
    if actor.role == "handler" and actor.department_id is not None:
        responsible = responsible_department(task)
        if responsible is not None and responsible.id == actor.department_id:
            return "department"
    return None


def _snow_category():
    """道路积雪结冰, read once per app context (a request, a scheduler round), not per task."""
    if "snow_category" not in g:
        g.snow_category = db.session.scalar(select(Category).where(Category.code == SNOW_CATEGORY))
    return g.snow_category


def responsible_department(task: SnowTask):
    """The department the task's town routes 道路积雪结冰 to (责任清单), or None."""
    category = _snow_category()
    return suggest_department(category, task.grid.town) if category else None


def visible_operation(actor, operation_id: int) -> tuple[SnowOperation, list[SnowTask]]:
    """The operation and the tasks the caller may see (404 when none)."""
    operation = db.session.get(SnowOperation, operation_id)
    if operation is None:
        raise NotFound(_("没有这次清雪作战"))
    scope = case_scope(actor)
    tasks = [task for task in operation.tasks
             if scope.admits(grid_id=task.grid_id, town_id=task.town_id,
                             town_path=lambda task=task: task.grid.town.path)
             or (actor.role == "handler" and role_on(actor, task) == "department")]
    if not tasks:
        raise NotFound(_("没有这次清雪作战"))
    return operation, tasks


def end_operation(actor, operation: SnowOperation, now: datetime) -> None:
    """The operation is over (the towns may be declared again): progress stops, the
    ladder stops; what was done and what was late stay."""
    if actor.role not in DECLARING_ROLES:
        raise Forbidden(_("只有受理中心、督查人员和管理员可以结束清雪作战"))
    if operation.ended_at is not None:
        raise Conflict(_("清雪作战已结束"))
    operation.ended_at = now
    operation.version += 1


def town_summary(operation: SnowOperation, tasks: list[SnowTask], now: datetime) -> list[dict]:
    """Per town: tasks cleared / in progress / not started / late, and the hours from the
    snow's stop to each cleared task (median and longest)."""
    towns = {}
    for task in tasks:
        row = towns.setdefault(task.town_id, {"town": task.grid.town, "tasks": 0, "cleared": 0,
                                              "in_progress": 0, "not_started": 0, "late": 0,
                                              "hours": []})
        row["tasks"] += 1
        row[task.state if task.state != "reported" else "in_progress"] += 1
        if is_late(task, now):
            row["late"] += 1
        if task.cleared_at and operation.stopped_at:
            row["hours"].append((task.cleared_at - operation.stopped_at).total_seconds() / 3600)
    for row in towns.values():
        hours = sorted(row.pop("hours"))
        row["median_hours"] = round(hours[len(hours) // 2], 1) if hours else None
        row["longest_hours"] = round(hours[-1], 1) if hours else None
    return sorted(towns.values(), key=lambda row: row["town"].code)


def is_late(task: SnowTask, now: datetime) -> bool:
    """Past its deadline uncleared, or cleared after it."""
    if task.due_at is None:
        return False
    return (task.cleared_at or now) > task.due_at


def resident_reports(operation: SnowOperation, tasks: list[SnowTask]) -> dict[int, int]:
    """Residents' reports of 道路积雪结冰 in each task's grid since the snow began: the task's
    own (the board links them to the case list)."""
    from sqlalchemy import func
    from events.models import Event
    if not tasks:
        return {}
    return dict(db.session.execute(
        select(Event.grid_id, func.count())
        .join(Category, Category.id == Event.category_id)
        .where(Category.code == SNOW_CATEGORY, Event.source == "resident",
               Event.created_at >= operation.started_at,
               Event.grid_id.in_([task.grid_id for task in tasks]))
        .group_by(Event.grid_id)).all())


def set_limits(actor, wanted: dict[tuple[str, str], float]) -> int:
    """Save the hours table (inside the caller's unit of work), audited; how many changed."""
    from audit.services import record
    changed_before, changed_after = {}, {}
    for row in db.session.scalars(select(SnowLimit)):
        key = (row.level, row.road_class)
        if key in wanted and wanted[key] != row.hours:
            changed_before[f"{row.level}·{row.road_class}"] = row.hours
            changed_after[f"{row.level}·{row.road_class}"] = wanted[key]
            row.hours = wanted[key]
    present = {(row.level, row.road_class) for row in db.session.scalars(select(SnowLimit))}
    for (level, road), hours in wanted.items():
        if (level, road) not in present:  # a row an old database lacks
            db.session.add(SnowLimit(level=level, road_class=road, hours=hours))
            changed_after[f"{level}·{road}"] = hours
    if changed_after:
        record(actor, "snow_limit", "清雪时限", "update", changed_before, changed_after)
    return len(changed_after)


def summary(operation: SnowOperation, tasks: list[SnowTask], now: datetime) -> list[dict]:
    """Per town, for the summary: the board's figures, the 清雪及时率 (tasks cleared by their
    deadline ÷ tasks), the late points (past their deadline uncleared, or cleared after it)
    and each grid's photos of its clearing."""
    from snow.models import SnowReport
    towns = {row["town"].id: {**row, "late_points": [], "photos": {}}
             for row in town_summary(operation, tasks, now)}
    for task in tasks:
        row = towns[task.town_id]
        row.setdefault("on_time", 0)
        if task.state == "cleared" and task.due_at and task.cleared_at <= task.due_at:
            row["on_time"] += 1
        for point in task.points:
            if point.due_at and (point.cleared_at or now) > point.due_at:
                late_by = ((point.cleared_at or now) - point.due_at).total_seconds() / 3600
                row["late_points"].append((task, point, round(late_by, 1)))
    point_ids = {point.id: task for task in tasks for point in task.points}
    if point_ids:
        for report in db.session.scalars(select(SnowReport).where(
                SnowReport.point_id.in_(list(point_ids)),
                SnowReport.action.in_(("clear", "pass"))).order_by(SnowReport.id)):
            task = point_ids[report.point_id]
            towns[task.town_id]["photos"].setdefault(task, []).extend(report.photos)
    for row in towns.values():
        row.setdefault("on_time", 0)
        row["timeliness"] = round(100 * row["on_time"] / row["tasks"], 1) if row["tasks"] else None
    return list(towns.values())


def photo_task(actor, attachment_id: int):
    """The task whose clearing a photo shows, when the caller may see it (else None)."""
    from snow.models import SnowReport, SnowReportPhoto, SnowTaskPoint
    row = db.session.execute(
        select(SnowTask, SnowReportPhoto.attachment_id)
        .join(SnowTaskPoint, SnowTaskPoint.task_id == SnowTask.id)
        .join(SnowReport, SnowReport.point_id == SnowTaskPoint.id)
        .join(SnowReportPhoto, SnowReportPhoto.report_id == SnowReport.id)
        .where(SnowReportPhoto.attachment_id == attachment_id)).first()
    if row is None:
        return None
    task = row[0]
    try:
        _operation, visible = visible_operation(actor, task.operation_id)
    except NotFound:
        return None
    return task if task in visible else None
