"""The grid worker's 清雪 page in the field app (issue 14): the running operations' tasks of
their grids, each point with its next step — 开始清雪, 已清除 (a photo and the three ticks),
and for the department's clear 核查通过 / 不通过. Under /field/ so the app's service worker
keeps it, and each form is marked for the app's outbox: made with no signal, it is sent
when the signal returns, with its key so a resend is not said twice."""
import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core import clock
from core.database import end_read, write_transaction
from core.errors import AppError
from core.extensions import db
from events.photos import add_photo, prepare_uploads
from field.views import worker_grids
from snow import progress, services
from snow.models import CHECKS, SnowOperation, SnowTask

bp = Blueprint("snow_field", __name__, url_prefix="/field/snow")


def _worker_only():
    if current_user.role != "grid_worker":
        abort(403)


def _page(error: str | None = None, status: int = 200):
    grids = worker_grids()
    rows = db.session.scalars(
        select(SnowTask).join(SnowOperation, SnowOperation.id == SnowTask.operation_id)
        .where(SnowOperation.ended_at.is_(None),
               SnowTask.grid_id.in_([grid.id for grid in grids]))
        .order_by(SnowTask.due_at.is_(None), SnowTask.due_at, SnowTask.id)).all()
    return render_template("snow/field.html", grids=grids, tasks=rows, now=clock.utcnow(),
                           late=services.is_late, checks=CHECKS, error=error,
                           key=lambda: uuid.uuid4().hex), status


@bp.get("")
@login_required
def tasks():
    _worker_only()
    return _page()


@bp.post("/<int:operation_id>/points/<int:point_id>")
@login_required
def act(operation_id: int, point_id: int):
    """A refusal is the page again with the server's words in p.error (the app's outbox
    shows them beside the kept work), never a redirect that reads as success."""
    _worker_only()
    form = request.form
    try:
        prepared = prepare_uploads(request.files.getlist("photos"))  # decoded before the write
        end_read()
        photo_ids = [int(i) for i in form.getlist("photo_ids") if i.isascii() and i.isdigit()]
        checks = {name: form.get(name) == "1" for name in CHECKS}
        with write_transaction():
            operation, _tasks = services.visible_operation(current_user, operation_id)
            photo_ids += [add_photo(photo, current_user.id).id for photo in prepared]
            progress.act_on_point(current_user, operation, point_id,
                                  action=form.get("action", ""), photo_ids=photo_ids,
                                  checks=checks, note=form.get("note"), now=clock.utcnow(),
                                  action_key=(form.get("action_key") or "")[:64] or None)
    except AppError as error:
        return _page(error.message, error.status)
    flash(_("已记录"), "success")
    return redirect(url_for("snow_field.tasks"), 303)
