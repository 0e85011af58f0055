"""The 清雪作战 pages (issue 14): the operations with the declaration form, and one
operation's board — per town and grid, on the grid map, redrawn every 30 s."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from auth.permissions import case_scope
from core import clock
from core.database import write_transaction
from core.errors import AppError, InvalidInput
from core.extensions import db
from core.roles import role_required
from grid.locate import grids_geojson
from grid.models import Region
from snow import services
from snow.models import LEVELS, ROAD_CLASSES, SnowOperation, SnowTask

bp = Blueprint("snow", __name__, url_prefix="/snow")
ROLES = ("dispatcher", "supervisor", "admin")


def _towns() -> list[Region]:
    scope = case_scope(current_user)
    return [town for town in db.session.scalars(select(Region).where(Region.level == "town")
                                                .order_by(Region.code))
            if scope.admits(town_id=town.id, town_path=town.path)]


def _local_input(name: str) -> datetime:
    """A datetime-local field, in the towns' time zone."""
    text = (request.form.get(name) or "").strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("请填写日期和时间"), fields={name: [_("请填写日期和时间")]}) from None
    return moment.replace(tzinfo=ZoneInfo(current_app.config["LOCAL_TIMEZONE"]))


def _operations():
    visible = {town.id for town in _towns()}
    operations = db.session.scalars(select(SnowOperation).order_by(
        SnowOperation.ended_at.is_not(None), SnowOperation.started_at.desc()).limit(50)).all()
    return [op for op in operations if any(task.town_id in visible for task in op.tasks)]


@bp.route("", methods=["GET", "POST"])
@role_required(*ROLES)
def index():
    towns, errors, sent = _towns(), {}, None
    if request.method == "POST":
        sent = request.form
        try:
            started = _local_input("started_at")
            with write_transaction():
                operation = services.declare(
                    current_user, town_codes=request.form.getlist("town_codes"),
                    level=request.form.get("level", ""), started_at=started, now=clock.utcnow())
            flash(_("已发布降雪，%(n)s 个网格的清雪任务已下达", n=len(operation.tasks)), "success")
            return redirect(url_for("snow.board", operation_id=operation.id), 303)
        except AppError as error:
            errors = {**(error.fields or {}), "_": [error.message]}
    return render_template("snow/index.html", operations=_operations(), towns=towns,
                           levels=LEVELS, errors=errors, sent=sent,
                           now=clock.utcnow()), 422 if errors else 200


def _board(operation_id: int, errors=None, status=200):
    operation, tasks = services.visible_operation(current_user, operation_id)
    now = clock.utcnow()
    return render_template(
        "snow/board.html", operation=operation, tasks=tasks, now=now,
        summary=services.town_summary(operation, tasks, now), late=services.is_late,
        shapes=grids_geojson([task.grid for task in tasks]), errors=errors or {},
        states=_task_states(tasks, now), every=_every(),
        reports=services.resident_reports(operation, tasks)), status


def _task_states(tasks: list[SnowTask], now) -> dict:
    return {task.grid.code: ("late" if services.is_late(task, now) and task.state != "cleared"
                             else task.state) for task in tasks}


@bp.get("/<int:operation_id>")
@role_required(*ROLES)
def board(operation_id: int):
    return _board(operation_id)


def _every() -> int:
    """Seconds between the board's redraws: ?every=N (1–300), else 30."""
    text = request.args.get("every", "")
    return min(max(int(text), 1), 300) if text.isascii() and text.isdigit() else 30


@bp.get("/<int:operation_id>/state.json")
@role_required(*ROLES)
def state(operation_id: int):
    """What the board and the wall redraw every 30 s: each grid's state, each town's
    figures, the grids late or nearest their deadline."""
    operation, tasks = services.visible_operation(current_user, operation_id)
    now = clock.utcnow()
    return {"states": _task_states(tasks, now), "version": operation.version,
            "cleared": sum(task.state == "cleared" for task in tasks), "tasks": len(tasks),
            "towns": {row["town"].code: _town_figures(row)
                      for row in services.town_summary(operation, tasks, now)},
            "pressing": _pressing(tasks, now), "stopped": operation.stopped_at is not None}


def _town_figures(row: dict) -> dict:
    return {key: row[key] for key in ("tasks", "cleared", "in_progress", "not_started", "late",
                                      "median_hours", "longest_hours")}


#: the wall's list: this many uncleared grids, the latest first, then the nearest deadline
PRESSING = 12


def _pressing(tasks: list[SnowTask], now) -> list[dict]:
    zone = ZoneInfo(current_app.config["LOCAL_TIMEZONE"])
    waiting = sorted((task for task in tasks if task.state != "cleared" and task.due_at),
                     key=lambda task: task.due_at)[:PRESSING]
    return [{"grid": task.grid.name, "town": task.grid.town.name,
             "due": task.due_at.astimezone(zone).strftime("%m-%d %H:%M"),
             "late_hours": round((now - task.due_at).total_seconds() / 3600, 1)
             if task.due_at < now else None,
             "state": task.state} for task in waiting]


@bp.get("/<int:operation_id>/wall")
@role_required(*ROLES)
def wall(operation_id: int):
    """大屏: the operation on a command centre's wall (1920×1080), redrawn in place."""
    operation, tasks = services.visible_operation(current_user, operation_id)
    now = clock.utcnow()
    summary = services.town_summary(operation, tasks, now)
    return render_template(
        "snow/wall.html", operation=operation, summary=summary, every=_every(),
        shapes=grids_geojson([task.grid for task in tasks]), states=_task_states(tasks, now),
        pressing=_pressing(tasks, now))


@bp.post("/<int:operation_id>/stopped")
@role_required(*ROLES)
def stopped(operation_id: int):
    try:
        at = _local_input("at")
        with write_transaction():
            operation, _tasks = services.visible_operation(current_user, operation_id)
            services.snow_stopped(current_user, operation, at, clock.utcnow())
    except AppError as error:
        return _board(operation_id, {**(error.fields or {}), "_": [error.message]}, 422)
    flash(_("已登记雪停，各网格清雪时限已生成"), "success")
    return redirect(url_for("snow.board", operation_id=operation_id), 303)


@bp.post("/<int:operation_id>/end")
@role_required(*ROLES)
def end(operation_id: int):
    with write_transaction():
        operation, _tasks = services.visible_operation(current_user, operation_id)
        services.end_operation(current_user, operation, clock.utcnow())
    flash(_("清雪作战已结束"), "success")
    return redirect(url_for("snow.board", operation_id=operation_id), 303)


@bp.route("/limits", methods=["GET", "POST"])
@role_required("admin")
def limits():
    """The hours from the snow's stop to cleared, per snow level and road class (admins).
    A change reaches the deadlines set afterwards (登记雪停), not those already set."""
    table, errors = services.limits(), {}
    if request.method == "POST":
        wanted = {}
        for level in LEVELS:
            for road in ROAD_CLASSES:
                name = f"{level}|{road}"
                text = (request.form.get(name) or "").strip()
                try:
                    hours = float(text)
                except ValueError:
                    hours = None
                if hours is None or not 0.5 <= hours <= 720:
                    errors[name] = _("0.5–720 小时")
                else:
                    wanted[(level, road)] = hours
        if not errors:
            with write_transaction():
                changed = services.set_limits(current_user, wanted)
            flash(_("清雪时限已保存（%(n)s 项改动）；此后登记的雪停按新时限计算", n=changed), "success")
            return redirect(url_for("snow.limits"), 303)
        table = {**table, **wanted}
    return render_template("snow/limits.html", table=table, levels=LEVELS, roads=ROAD_CLASSES,
                           errors=errors, sent=request.form if errors else None), \
        422 if errors else 200


@bp.get("/<int:operation_id>/summary")
@role_required(*ROLES)
def summary(operation_id: int):
    """The operation's summary per town: figures, 清雪及时率, late points, photos."""
    operation, tasks = services.visible_operation(current_user, operation_id)
    now = clock.utcnow()
    return render_template("snow/summary.html", operation=operation, now=now,
                           towns=services.summary(operation, tasks, now))


@bp.get("/<int:operation_id>/summary.pdf")
@role_required(*ROLES)
def summary_pdf(operation_id: int):
    """The summary as a PDF (A4), with the clearing photos' thumbnails."""
    from urllib.parse import quote

    from flask import Response

    from events.storage import get_storage
    from snow.summary_pdf import pdf
    operation, tasks = services.visible_operation(current_user, operation_id)
    towns = services.summary(operation, tasks, clock.utcnow())
    storage = get_storage(current_app)
    body = pdf(operation, towns, zone=current_app.config["LOCAL_TIMEZONE"],
               read_photo=lambda photo: storage.read(photo.thumb_key))
    answer = Response(body, mimetype="application/pdf")
    answer.headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(
        f"清雪作战总结-{operation.id}.pdf")
    return answer


@bp.get("/photos/<int:attachment_id>/<any(thumb, full):size>")
@role_required(*ROLES)
def photo(attachment_id: int, size: str):
    """A photo of a clearing, to those who may see its task."""
    from flask import abort
    from events.models import Attachment
    from events.photos import photo_response
    if services.photo_task(current_user, attachment_id) is None:
        abort(404)
    return photo_response(db.session.get(Attachment, attachment_id), size)
