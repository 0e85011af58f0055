"""热线受理: a dispatcher taking a 12345 or town-hotline call records the case in under a
minute — the caller's number (their earlier cases come up), name, the problem as a tile or
by search, the place picked on the town's grid map (or a grid and an address), and a
description. The case awaits 核实 like any hotline report; the page then shows its 查询码
large, to read back to the caller, beside a fresh form for the next call."""
import uuid
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from auth.masking import may_see_contact
from core import clock
from core.errors import AppError, InvalidInput
from core.extensions import db
from core.inputs import is_id, load_form
from events import intake, labels
from events.access import can_see, reportable_grids_clause
from events.catalogue import COMMON_CATEGORIES, OTHER_CATEGORY
from events.filters import normalize_phone, read_page
from events.models import Category, Event
from events.schemas import EventCreateIn, ListQueryIn
from grid.locate import grids_geojson, point_inside
from events.views import unconfirmed_duplicates
from grid.models import Grid

bp = Blueprint("hotline", __name__)

#: the form's inputs, named as the page names them
FIELDS = {"category_code": _l("问题类别"), "lat": _l("纬度"), "lon": _l("经度"),
          "description": _l("问题描述"), "address": _l("地址"), "grid_code": _l("网格"),
          "caller_name": _l("来电人"), "caller_phone": _l("来电号码")}
#: how many earlier cases of a number the page lists
HISTORY_SIZE = 8


def _desk_only():
    if not may_see_contact(current_user):  # dispatchers and admins
        abort(403)


def _grids():
    return db.session.scalars(select(Grid).where(reportable_grids_clause(current_user))
                              .order_by(Grid.code)).all()


def _categories():
    rows = db.session.scalars(select(Category).where(Category.is_active.is_(True))
                              .order_by(Category.code)).all()
    by_code = {c.code: c for c in rows}
    tiles = [(by_code[code], icon) for code, icon in COMMON_CATEGORIES if code in by_code]
    if OTHER_CATEGORY in by_code:
        tiles.append((by_code[OTHER_CATEGORY], "❓"))
    return tiles, rows


def _received(event_id: str | None) -> Event | None:
    """The call just recorded at this desk (?done=<id>), to read its 查询码 back."""
    if not event_id or not is_id(event_id):
        return None
    event = db.session.get(Event, int(event_id))
    if (event is None or event.source != "hotline" or event.reporter_id != current_user.id
            or not event.tracking_code or not can_see(current_user, event)):
        return None
    return event


def _located(form: MultiDict, grids) -> MultiDict:
    """The form with a place: the pin picked on the map, or a point inside the chosen grid
    (the address then says where in it)."""
    if (form.get("lat") or "").strip() and (form.get("lon") or "").strip():
        return form
    grid = next((g for g in grids if g.code == form.get("grid_code")), None)
    if grid is None:
        raise InvalidInput(_("请在地图上点选位置，或选择网格并填写地址"),
                           fields={"lat": ["required"], "grid_code": ["required"]})
    located = form.copy()
    located["lat"], located["lon"] = (str(value) for value in point_inside(grid))
    return located


def _checked(form: MultiDict, grids) -> MultiDict:
    """The caller's number and the place checked together, so one answer names both."""
    problems, located = [], form
    try:
        if not (form.get("caller_phone") or "").strip():
            raise InvalidInput(_("请填写来电号码"), fields={"caller_phone": ["required"]})
        intake.caller_contact("hotline", None, form["caller_phone"])
    except InvalidInput as error:
        problems.append(error)
    try:
        located = _located(form, grids)
    except InvalidInput as error:
        problems.append(error)
    if problems:
        raise InvalidInput("；".join(error.message for error in problems),
                           fields={name: texts for error in problems
                                   for name, texts in (error.fields or {}).items()})
    return located


@bp.route("/hotline", methods=["GET", "POST"])
@login_required
def take_call():
    _desk_only()
    grids = _grids()
    if not grids:
        abort(403)
    tiles, categories = _categories()
    fresh = {"form_token": uuid.uuid4().hex}
    form = request.form if request.method == "POST" else fresh
    context = dict(tiles=tiles, categories=categories, grids=grids,
                   shapes=grids_geojson(grids), form=form, error=None, fields={},
                   duplicates=[], received=_received(request.args.get("done")),
                   common={c.code for c, _icon in tiles})
    if request.method == "GET":
        return render_template("events/hotline.html", **context)
    replay = intake.find_replay(f"user:{current_user.id}", form.get("form_token") or "")
    if replay is not None:  # a second tap on 受理: the case it already made
        return redirect(url_for("hotline.take_call", done=replay.id))
    now = clock.utcnow()
    try:
        data = load_form(EventCreateIn(), _checked(form, grids), FIELDS)
        duplicates = unconfirmed_duplicates(form, data, now)
        if duplicates:
            context.update(duplicates=duplicates)
            return render_template("events/hotline.html", **context), 200
        event, _created = intake.report_once(
            current_user, now, category_code=data["category_code"], lat=data["lat"],
            lon=data["lon"], description=data["description"].strip(),
            address=data["address"], grid_code=data["grid_code"], source="hotline",
            caller_name=data["caller_name"], caller_phone=data["caller_phone"],
            idempotency_key=form.get("form_token") or None)
    except AppError as error:
        context.update(error=error.message, fields=error.fields or {})
        return render_template("events/hotline.html", **context), error.status
    return redirect(url_for("hotline.take_call", done=event.id))


@bp.get("/hotline/calls")
@login_required
def earlier_calls():
    """A number's earlier cases, newest first (the page asks as the number is typed)."""
    _desk_only()
    phone = normalize_phone(request.args.get("phone", ""))
    if len(phone) < 7:
        return {"items": [], "more": None}
    args = ListQueryIn().load({"phone": phone})
    rows, more = read_page(current_user, args, "newest", None, HISTORY_SIZE)
    zone = ZoneInfo(current_app.config["LOCAL_TIMEZONE"])
    return {"items": [{
        "number": row.number, "category": row.category_name,
        "state": labels.state_label(row.state), "state_code": row.state,
        "reported": row.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "url": url_for("events.show_event", event_id=row.id)} for row in rows],
        "more": url_for("events.list_events", phone=phone, sort="newest") if more else None}
