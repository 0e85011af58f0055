"""The task ledger pages (issue 15, 清单化管理 · 图表化推进): a town's 20 items with its
projects and milestones, the percent complete rolled up and charted (ECharts); the town's
dispatchers and admins add projects and milestones and report progress."""
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core import clock
from core.database import write_transaction
from core.errors import AppError, NotFound
from core.extensions import db
from events.filters import local_day
from programme import ledger
from programme.inputs import day, number
from programme.models import LedgerMilestone, LedgerProject

bp = Blueprint("ledger", __name__, url_prefix="/programme")


def _today() -> date:
    return local_day(clock.utcnow())


def _page(code: str, errors=None, status=200):
    entry = ledger.entry_for(current_user, code)
    today = _today()
    rows, percent = ledger.ledger(entry, today)
    may_edit = current_user.role == "admin" or (current_user.role == "dispatcher"
                                               and current_user.region_id == entry.town_id)
    chart = {"items": [f"{row.item}" for row in rows],
             "percent": [round(row.percent, 1) if row.percent is not None else None
                         for row in rows],
             "label": _("完成比例（%）")}
    return render_template("programme/ledger.html", entry=entry, rows=rows, percent=percent,
                           today=today, may_edit=may_edit, errors=errors or {},
                           chart=chart), status


@bp.get("/<code>/ledger")
@login_required
def show(code: str):
    return _page(code)


def _errors(error: AppError) -> dict:
    return {**(error.fields or {}), "_": [error.message]}


@bp.post("/<code>/ledger/projects")
@login_required
def add_project(code: str):
    try:
        item = number("item", int)
        data = {"item": item, "name": request.form.get("name"),
                "responsible": request.form.get("responsible"),
                "target": request.form.get("target"), "budget": number("budget", float),
                "starts_on": day("starts_on"), "ends_on": day("ends_on")}
        with write_transaction():
            entry = ledger.entry_for(current_user, code, write=True)
            ledger.add_project(entry, data, clock.utcnow())
    except AppError as error:
        return _page(code, _errors(error), error.status)
    flash(_("已添加项目"), "success")
    return redirect(url_for("ledger.show", code=code) + f"#item-{item}", 303)


def _project(entry, project_id: int) -> LedgerProject:
    project = db.session.get(LedgerProject, project_id)
    if project is None or project.entry_id != entry.id:
        raise NotFound(_("没有这个项目"))
    return project


@bp.post("/<code>/ledger/projects/<int:project_id>/milestones")
@login_required
def add_milestone(code: str, project_id: int):
    try:
        data = {"name": request.form.get("name"), "due_on": day("due_on"),
                "weight": number("weight", int)}
        with write_transaction():
            entry = ledger.entry_for(current_user, code, write=True)
            project = _project(entry, project_id)
            ledger.add_milestone(project, data)
    except AppError as error:
        return _page(code, _errors(error), error.status)
    flash(_("已添加节点"), "success")
    return redirect(url_for("ledger.show", code=code) + f"#item-{project.item}", 303)


@bp.post("/<code>/ledger/milestones/<int:milestone_id>")
@login_required
def progress(code: str, milestone_id: int):
    try:
        percent, spent = number("percent", int), number("spent", float)
        with write_transaction():
            entry = ledger.entry_for(current_user, code, write=True)
            milestone = db.session.scalar(select(LedgerMilestone).where(
                LedgerMilestone.id == milestone_id))
            if milestone is None or milestone.project.entry_id != entry.id:
                raise NotFound(_("没有这个节点"))
            ledger.set_progress(milestone, percent, spent, clock.utcnow())
            item = milestone.project.item
    except AppError as error:
        return _page(code, _errors(error), error.status)
    flash(_("已更新进度"), "success")
    return redirect(url_for("ledger.show", code=code) + f"#item-{item}", 303)


@bp.get("/overview")
@login_required
def overview():
    """Which towns are behind on which items: the province's, a city's or a county's."""
    from flask import abort

    from programme.models import LEVELS
    from programme.services import SEEING_ROLES
    if current_user.role not in SEEING_ROLES:
        abort(403)
    level = request.args.get("level") if request.args.get("level") in LEVELS else None
    return render_template("programme/overview.html", rows=ledger.overview(
        current_user, _today(), level), items=sorted(ledger.items()), level=level,
        levels=LEVELS)
