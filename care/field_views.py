"""The grid worker's 巡访 page in the field app (issue 14): the people of their grids due
within a week, overdue first, each with the visit form — the phone's position taken at the
home (the distance to it shown), the five checks, needs, a photo if the person agrees, a
problem raised as a case in one tap, or the paired neighbour's call. Under /field/ so the
app's service worker keeps it; a visit made with no signal is kept by the app's outbox and
sent when the signal returns, with its key, so it is stored once."""
import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select

from care import access, services, visits
from care.models import CHECKS
from care.schemas import VisitIn
from core import clock
from core.database import write_transaction
from core.errors import AppError, InvalidInput
from core.extensions import db
from events.filters import local_day
from events.models import Category
from events.photos import prepare_uploads
from field.views import worker_grids

bp = Blueprint("care_field", __name__, url_prefix="/field/care")
LABELS = {"lat": _l("位置"), "lon": _l("位置"), "accuracy": _l("定位精度"),
          "visited_at": _l("走访时间"), "needs": _l("需求"), "raise_case": _l("上报问题"),
          "key": _l("记录编号（请刷新页面）"), "kind": _l("走访方式"), "person_id": _l("老人")}


def _worker_only():
    if current_user.role != "grid_worker":
        abort(403)


def _page(error: str | None = None, status: int = 200, failed: int | None = None):
    now = clock.utcnow()
    today = local_day(now)
    people = services.due(current_user, today)
    with write_transaction():
        access.log_access(current_user, [p.id for p in people], action="list", via="phone",
                          now=now)
    categories = db.session.scalars(select(Category).where(Category.is_active.is_(True))
                                    .order_by(Category.code)).all()
    grids = worker_grids()
    return render_template("care/field.html", grids=grids, people=people, today=today,
                           checks=CHECKS, error=error, failed=failed, categories=categories,
                           key=lambda: uuid.uuid4().hex,
                           waves=services.running_waves({g.town_id for g in grids}, today)), \
        status


@bp.get("")
@login_required
def due():
    _worker_only()
    return _page()


def _visit_data(person_id: int) -> dict:
    """The form as the API's JSON, read by the same schema."""
    form = request.form
    raw = {"person_id": person_id, "kind": form.get("kind") or "visit",
           "key": (form.get("key") or "")[:64],
           "checks": {name: form.get(name) == "ok" for name in CHECKS},
           "needs": form.get("needs") or "", "photo_consent": form.get("photo_consent") == "1"}
    missing = [name for name in CHECKS if form.get(name) not in ("ok", "concern")]
    if missing:
        raise InvalidInput(_("请逐项填写五项情况（正常或需关注）"), fields={"checks": missing})
    for name in ("lat", "lon", "accuracy"):
        if (form.get(name) or "").strip():
            raw[name] = form[name]
    if (form.get("visited_at") or "").strip():
        raw["visited_at"] = form["visited_at"]
    if form.get("raise") == "1":
        raw["raise_case"] = {"category_code": form.get("category_code") or "",
                             "description": form.get("case_description") or ""}
    try:
        return VisitIn().load(raw)
    except ValidationError as error:
        names = "、".join(str(LABELS.get(name, name)) for name in sorted(error.messages))
        raise InvalidInput(_("请检查：%(problems)s", problems=names),
                           fields=dict(error.messages)) from None


@bp.post("/<int:person_id>/visits")
@login_required
def record(person_id: int):
    """A refusal is the page again with the server's words in p.error (the app's outbox
    shows them beside the kept visit), never a redirect that reads as success."""
    _worker_only()
    try:
        data = _visit_data(person_id)
        prepared = prepare_uploads(request.files.getlist("photos"))  # decoded before the write
        if prepared and not data["photo_consent"]:
            raise InvalidInput(_("老人同意后才能拍照：请勾选“本人同意拍照”，或不附照片"),
                               fields={"photo_consent": ["required"]})
        result = visits.record_visit(current_user, data, clock.utcnow(), prepared=prepared)
    except AppError as error:
        return _page(error.message, error.status, failed=person_id)
    visit = result.visit
    parts = [_("已记录走访：%(name)s", name=visit.person.name)]
    if visit.distance_m is not None:
        parts.append(_("距住址 %(m)s 米", m=visit.distance_m))
    if visit.event is not None:
        parts.append(_("已上报案件 %(number)s", number=visit.event.number))
    flash("，".join(parts), "success")
    return redirect(url_for("care_field.due"), 303)
