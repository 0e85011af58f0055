"""巡查打卡 pages: the check-in a scanned QR point opens for its grid's worker, the worker's
day view of their grid's points, and the desk's view of every worker's day."""
import uuid
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from core import clock
from core.database import write_transaction
from core.errors import AppError, Conflict
from core.extensions import db
from events.access import grid_scope_clause
from field import checkins
from field.views import bp, worker_grids
from grid.models import Grid
from portal.models import QrPoint

DESK_ROLES = ("dispatcher", "supervisor", "admin")


def _point(token: str) -> QrPoint:
    point = db.session.scalar(select(QrPoint).where(QrPoint.token == token))
    if point is None or not checkins.may_check_in(current_user, point):
        abort(404)
    if not point.is_active:  # stopped since (a visit kept on the phone may arrive late)
        raise Conflict(_("该点位已停用，打卡未记录"))
    return point


def _day(text: str | None) -> date:
    if not text:
        return checkins.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


def scan_target(user, point) -> str | None:
    """Where a scanned QR point takes a logged-in member of staff (portal/ asks): its
    grid's worker checks in; anyone else gets the residents' form."""
    if checkins.may_check_in(user, point):
        return url_for("field.check_in_page", token=point.token)
    return None


@bp.route("/checkin/<token>", methods=["GET", "POST"])
@login_required
def check_in_page(token: str):
    """The page a scanned point opens: the phone's position is taken and the visit sent at
    once (static/js/checkin.js); without it, one tap sends the visit without a position."""
    point = _point(token)
    if request.method == "GET":
        return render_template("field/checkin.html", point=point, grids=worker_grids(),
                               key=uuid.uuid4().hex, error=None)
    form = request.form
    try:
        with write_transaction():
            visit, _created = checkins.check_in(
                current_user, point, clock.utcnow(), key=form.get("key", ""),
                lat=form.get("lat"), lon=form.get("lon"), accuracy=form.get("accuracy"))
            where = (_("距点位 %(m)s 米", m=visit.distance_m) if visit.distance_m is not None
                     else _("未定位"))
    except AppError as error:
        return render_template("field/checkin.html", point=point, grids=worker_grids(),
                               key=form.get("key") or uuid.uuid4().hex,
                               error=error.message), error.status
    flash(_("已打卡：%(point)s · %(where)s", point=point.label, where=where))
    return redirect(url_for("field.checkins_day"))


@bp.get("/checkin-offline")
@login_required
def check_in_shell():
    """The check-in page the service worker keeps for a QR point scanned with no signal: it
    takes the point from the scanned address and keeps the visit on the phone."""
    if current_user.role != "grid_worker":
        abort(403)
    return render_template("field/checkin.html", point=None, grids=worker_grids(),
                           key="", error=None)


@bp.get("/checkins")
@login_required
def checkins_day():
    """The worker's grid(s) today: each point visited (when, by whom, how near) or not."""
    if current_user.role != "grid_worker":
        abort(403)
    day = _day(request.args.get("date"))
    grids = worker_grids()
    return render_template("field/checkins.html", grids=grids, day=day,
                           view=checkins.day_view(grids, day))


@bp.get("/patrols")
@login_required
def patrols():
    """The desk's view: each worker's check-ins on a day and each grid's coverage."""
    if current_user.role not in DESK_ROLES:
        abort(403)
    day = _day(request.args.get("date"))
    grids = db.session.scalars(select(Grid).where(grid_scope_clause(current_user))
                               .order_by(Grid.code)).all()
    rows = checkins.desk_view(grids, day)
    visited = {}  # grid id → (points visited by anyone, points)
    for grid, points in checkins.day_view(grids, day):
        visited[grid.id] = (sum(1 for p in points if p.visits), len(points))
    return render_template("field/patrols.html", day=day, rows=rows, grids=grids,
                           visited=visited)
