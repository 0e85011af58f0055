"""The grid worker's phone pages: 我的网格 (home: the queue in tabs, counts on top) and
巡查上报 (the patrol report: category tiles, camera, GPS and the grid map, filed directly)."""
import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from core import clock
from core.errors import AppError, InvalidInput
from core.extensions import db
from core.inputs import is_id, load_form
from events import intake
from events.access import reportable_grids_clause
from events.catalogue import COMMON_CATEGORIES, OTHER_CATEGORY
from events.models import Category
from events.photos import prepare_uploads
from events.presenting import case_links, case_rows
from events.queries import pin_json
from events.schemas import EventCreateIn
from events.views import held_photos, unconfirmed_duplicates
from field import services
from grid.locate import grids_geojson
from grid.models import Grid
from portal.models import QrPoint

bp = Blueprint("field", __name__, url_prefix="/field")

#: the patrol form's inputs, named as the page names them
FIELDS = {"category_code": _l("问题类别"), "lat": _l("纬度"), "lon": _l("经度"),
          "description": _l("问题描述"), "address": _l("地址"), "grid_code": _l("网格"),
          "photo_ids": _l("照片")}
ICONS = dict(COMMON_CATEGORIES) | {OTHER_CATEGORY: "❓"}


def _worker_only():
    if current_user.role != "grid_worker":
        abort(403)


def worker_grids():
    return db.session.scalars(select(Grid).where(reportable_grids_clause(current_user))
                              .order_by(Grid.code)).all()


@bp.get("/")
@login_required
def home():
    _worker_only()
    tab = request.args.get("tab", "todo")
    if tab not in services.TABS:
        tab = "todo"
    now = clock.utcnow()
    cases, more = services.rows(current_user, tab)
    return render_template("field/home.html", grids=worker_grids(), tab=tab,
                           cases=case_rows(cases, case_links(), now),
                           more=more, counts=services.counts(current_user, now))


def _tiles():
    """Eight tiles: this worker's most used categories, topped up with the common ones."""
    rows = db.session.scalars(select(Category).where(Category.is_active.is_(True))
                              .order_by(Category.code)).all()
    by_code = {c.code: c for c in rows}
    codes = services.most_used_categories(current_user)
    codes += [code for code, _icon in COMMON_CATEGORIES if code not in codes]
    tiles = [(by_code[code], ICONS.get(code, "📌")) for code in codes[:8] if code in by_code]
    if OTHER_CATEGORY in by_code and all(c.code != OTHER_CATEGORY for c, _i in tiles):
        tiles.append((by_code[OTHER_CATEGORY], ICONS[OTHER_CATEGORY]))
    return tiles, rows


def _fresh_form(grids) -> dict:
    """A new report; from a check-in (?point=<id>), placed at that QR point."""
    form = {"form_token": uuid.uuid4().hex}
    ident = request.args.get("point", "")
    point = db.session.get(QrPoint, int(ident)) if is_id(ident) else None
    if point is not None and point.is_active and point.grid_id in {g.id for g in grids}:
        form.update(lat=f"{point.lat:.6f}", lon=f"{point.lon:.6f}", grid_code=point.grid.code,
                    address=point.label)
    return form


@bp.route("/report", methods=["GET", "POST"])
@login_required
def report():
    """巡查上报: filed directly (a grid worker's own report needs no 核实)."""
    _worker_only()
    grids = worker_grids()
    if not grids:
        abort(403)
    tiles, categories = _tiles()
    form = request.form if request.method == "POST" else _fresh_form(grids)
    context = dict(tiles=tiles, categories=categories, grids=grids, form=form, error=None,
                   fields={}, duplicates=[], shapes=grids_geojson(grids),
                   common={c.code for c, _icon in tiles}, held=held_photos(form))
    if request.method == "GET":
        return render_template("field/report.html", **context)
    replay = intake.find_replay(f"user:{current_user.id}", form.get("form_token") or "")
    if replay is not None:  # a second tap on 上报: the case it already made
        return redirect(url_for("events.show_event", event_id=replay.id))
    now = clock.utcnow()
    try:
        if not (form.get("lat") or "").strip() or not (form.get("lon") or "").strip():
            raise InvalidInput(_("还没有位置：请允许定位，或在地图上点选问题位置"),
                               fields={"lat": ["required"]})
        data = load_form(EventCreateIn(), form, FIELDS)
        duplicates = unconfirmed_duplicates(form, data, now)
        if duplicates:
            context.update(duplicates=duplicates)
            return render_template("field/report.html", **context), 200
        # photos kept on the phone for lack of signal come as files; decoded before the unit
        photos = prepare_uploads(request.files.getlist("photos"))
        event, _created = intake.report_once(
            current_user, now, category_code=data["category_code"], lat=data["lat"],
            lon=data["lon"], description=data["description"].strip(),
            address=data["address"], grid_code=data["grid_code"], source="patrol",
            photo_ids=data["photo_ids"], photos=photos,
            idempotency_key=form.get("form_token") or None)
    except AppError as error:
        context.update(error=error.message, fields=error.fields or {})
        return render_template("field/report.html", **context), error.status
    flash(_("案件 %(number)s 已上报", number=event.number))
    return redirect(url_for("events.show_event", event_id=event.id))


#: at most this many open cases on the map, most urgent first
MAP_CASES = 300


@bp.get("/map")
@login_required
def grid_map():
    """The worker's grid(s): boundary and QR points as the base, open cases as pins coloured
    by their clock, the worker's own position (static/js/fieldmap.js)."""
    _worker_only()
    grids = worker_grids()
    now = clock.utcnow()
    cases, _more = services.open_cases(current_user, MAP_CASES)
    points = db.session.scalars(select(QrPoint).where(
        QrPoint.grid_id.in_([g.id for g in grids]), QrPoint.is_active.is_(True))).all()
    pins = [pin_json(e, now) for e in cases]
    marks = [{"lat": p.lat, "lon": p.lon, "label": p.label, "kind": p.kind} for p in points]
    return render_template("field/map.html", grids=grids, shapes=grids_geojson(grids),
                           pins=pins, marks=marks)
