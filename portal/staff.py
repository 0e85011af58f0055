"""Staff side of QR points: the grid's page (manage points, posters) and the API list."""
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import Schema, fields
from sqlalchemy import func, select

from core.bearer import token_required
from core import clock
from core.errors import AppError, InvalidInput
from core.database import write_transaction, writes
from core.inputs import is_id
from core.roles import role_required
from core.extensions import csrf, db
from core import openapi as api
from audit.services import record
from auth.permissions import admits_grid, grid_scope
from auth.models import User
from grid.models import Grid, GridMember, Region
from portal import posters, services
from portal.models import QR_KINDS, SNOW_CLASSES, QrPoint

bp = Blueprint("qr", __name__)
api_bp = Blueprint("qr_api", __name__, url_prefix="/api/v1")
csrf.exempt(api_bp)


def can_manage(user, grid) -> bool:
    """Admins everywhere; dispatchers in their town."""
    return user.role == "admin" or (user.role == "dispatcher" and grid.town_id == user.region_id)


def can_view(user, grid) -> bool:
    """The grid's page (QR points, posters): whoever sees the grid's cases, except handlers,
    who work by department rather than by grid."""
    return user.role != "handler" and admits_grid(grid_scope(user), grid)


def _grid_or_404(code: str, check=can_view) -> Grid:
    grid = db.session.scalar(select(Grid).where(Grid.code == code))
    if grid is None or not check(current_user, grid):
        abort(404)
    return grid


def _points(grid_ids):
    return db.session.scalars(select(QrPoint).where(QrPoint.grid_id.in_(grid_ids))
                              .order_by(QrPoint.grid_id, QrPoint.id)).all()


@bp.get("/grids")
@login_required
def grids():
    """网格与二维码: the grids the user may see, by town, each with its QR points in use —
    the way into each grid's page (points, posters)."""
    if current_user.role == "handler":
        abort(403)
    rows = db.session.execute(
        select(Grid, func.count(QrPoint.id))
        .outerjoin(QrPoint, (QrPoint.grid_id == Grid.id) & QrPoint.is_active.is_(True))
        .where(grid_scope(current_user).clause(grid=Grid.id, town=Grid.town_id))
        .group_by(Grid.id).order_by(Grid.town_id, Grid.code)).all()
    towns = {}
    for grid, points in rows:
        towns.setdefault(grid.town, []).append((grid, points))
    return render_template("portal/grids.html", towns=towns,
                           may_manage=current_user.role in ("admin", "dispatcher"))


@bp.get("/grids/<code>")
@login_required
def grid_page(code: str):
    grid = _grid_or_404(code)
    members = db.session.execute(
        select(User.id, User.display_name, User.username, GridMember.grid_role)
        .join(GridMember, GridMember.user_id == User.id)
        .where(GridMember.grid_id == grid.id, User.is_enabled.is_(True))
        .order_by(GridMember.grid_role.desc(), User.username)).all()
    return render_template("portal/grid.html", grid=grid, points=_points([grid.id]),
                           kinds=QR_KINDS, snow_classes=SNOW_CLASSES,
                           can_manage=can_manage(current_user, grid),
                           url_for_point=posters.point_url, members=members)


@bp.post("/grids/<code>/qr-points")
@role_required("admin", "dispatcher")  # and only where can_manage says
def create_point(code: str):
    grid = _grid_or_404(code, can_manage)
    form = request.form
    try:
        lat = float(form.get("lat") or grid.centroid_lat)
        lon = float(form.get("lon") or grid.centroid_lon)
        with write_transaction():
            point = services.create_point(grid, form.get("label", ""), form.get("kind", ""),
                                          lat, lon)
            record(current_user, "qr_point", f"{grid.code} {point.label}", "create", None,
                   {"label": point.label, "kind": point.kind, "lat": lat, "lon": lon})
    except (AppError, ValueError) as error:
        flash(error.message if isinstance(error, AppError) else _("坐标格式有误"), "error")
        return redirect(url_for("qr.grid_page", code=code)), 303
    flash(_("已新增二维码点位"))
    return redirect(url_for("qr.grid_page", code=code)), 303


def _point_or_404(point_id: int, check=can_view) -> QrPoint:
    point = db.session.get(QrPoint, point_id)
    if point is None or not check(current_user, point.grid):
        abort(404)
    return point


@bp.post("/qr-points/<int:point_id>/reissue")
@role_required("admin", "dispatcher")  # and only where can_manage says
@writes
def reissue(point_id: int):
    point = _point_or_404(point_id, can_manage)
    services.reissue_point(point, clock.utcnow())
    record(current_user, "qr_point", f"{point.grid.code} {point.label}", "reissue")
    flash(_("「%(label)s」已换发新二维码，旧码停用；请打印新海报张贴", label=point.label))
    return redirect(url_for("qr.grid_page", code=point.grid.code)), 303


@bp.post("/qr-points/<int:point_id>/active")
@role_required("admin", "dispatcher")  # and only where can_manage says
@writes
def toggle(point_id: int):
    point = _point_or_404(point_id, can_manage)
    was = bool(point.is_active)
    services.set_point_active(point, request.form.get("active") == "1")
    if was != bool(point.is_active):
        record(current_user, "qr_point", f"{point.grid.code} {point.label}",
               "activate" if point.is_active else "deactivate",
               {"is_active": was}, {"is_active": bool(point.is_active)})
    return redirect(url_for("qr.grid_page", code=point.grid.code)), 303


@bp.post("/qr-points/<int:point_id>/snow")
@role_required("admin", "dispatcher")  # and only where can_manage says
def snow_class(point_id: int):
    """Mark a QR point as a snow point of a road class (清雪点位), or unmark it: the next
    snowfall declared gives its grid's task this point, due by its class."""
    point = _point_or_404(point_id, can_manage)
    chosen = request.form.get("snow_class") or None
    if chosen is not None and chosen not in SNOW_CLASSES:
        flash(_("道路等级须为 主干道、次干道、背街小巷 或 公共场所"), "error")
        return redirect(url_for("qr.grid_page", code=point.grid.code)), 303
    with write_transaction():
        point = _point_or_404(point_id, can_manage)
        was = point.snow_class
        point.snow_class = chosen
        if was != chosen:
            record(current_user, "qr_point", f"{point.grid.code} {point.label}", "update",
                   {"snow_class": was}, {"snow_class": chosen})
    flash(_("「%(label)s」已设为清雪点位（%(cls)s）", label=point.label, cls=chosen) if chosen
          else _("「%(label)s」不再是清雪点位", label=point.label))
    return redirect(url_for("qr.grid_page", code=point.grid.code)), 303


def _file(data: bytes, mimetype: str, name: str) -> Response:
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f"inline; filename={name}"})


@bp.get("/qr-points/<int:point_id>/qr.svg")
@login_required
def point_qr(point_id: int):
    """The point's QR code alone, small and sharp: the grid page's preview."""
    point = _point_or_404(point_id)
    return Response(posters.qr_svg(posters.point_url(point)), mimetype="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=300"})


@bp.get("/qr-points/<int:point_id>/poster.pdf")
@login_required
def poster_pdf(point_id: int):
    point = _point_or_404(point_id)
    return _file(posters.poster_pdf([point]), "application/pdf", f"qr-{point.id}.pdf")


@bp.get("/qr-points/<int:point_id>/poster.png")
@login_required
def poster_png(point_id: int):
    point = _point_or_404(point_id)
    return _file(posters.poster_png(point), "image/png", f"qr-{point.id}.png")


@bp.get("/grids/<code>/posters.pdf")
@login_required
def grid_posters(code: str):
    grid = _grid_or_404(code)
    points = [p for p in _points([grid.id]) if p.is_active]
    if not points:
        abort(404)
    return _file(posters.poster_pdf(points), "application/pdf", f"qr-{grid.code}.pdf")


@bp.get("/towns/<code>/posters.pdf")
@login_required
def town_posters(code: str):
    town = db.session.scalar(select(Region).where(Region.code == code, Region.level == "town"))
    if town is None:
        abort(404)
    grids = [g for g in db.session.scalars(select(Grid).where(Grid.town_id == town.id))
             if can_view(current_user, g)]
    points = [p for p in _points([g.id for g in grids]) if p.is_active]
    if not points:
        abort(404)
    return _file(posters.poster_pdf(points), "application/pdf", f"qr-{town.code}.pdf")


class QrPointOut(Schema):
    id = fields.Integer()
    grid_code = fields.String()
    label = fields.String()
    kind = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    url = fields.String(metadata={"description": "what the poster's QR code encodes"})
    is_active = fields.Boolean()


class QrPointListOut(Schema):
    items = fields.List(fields.Nested(QrPointOut))


@api_bp.get("/qr-points")
@token_required
def list_points():
    code = request.args.get("grid")
    if not code:
        raise InvalidInput(_("请指定网格"), fields={"grid": ["required"]})
    grid = db.session.scalar(select(Grid).where(Grid.code == code))
    if grid is None or not can_view(g.api_user, grid):
        from core.errors import NotFound
        raise NotFound(_("网格不存在"))
    return {"items": [{"id": p.id, "grid_code": grid.code, "label": p.label, "kind": p.kind,
                       "lat": p.lat, "lon": p.lon, "url": posters.point_url(p),
                       "is_active": p.is_active} for p in _points([grid.id])]}


@bp.route("/admin/open311-keys", methods=["GET", "POST"])
@role_required("admin")
def open311_keys():
    """Admins create (shown once) and revoke Open311 API keys."""
    from portal.models import Open311Key
    from portal.keys import create_key, revoke_key
    new_key = None
    if request.method == "POST":
        try:
            with write_transaction():
                if request.form.get("revoke"):
                    revoke = request.form["revoke"]
                    row = revoke_key(int(revoke) if is_id(revoke) else 0, clock.utcnow())
                    record(current_user, "open311_key", row.name, "deactivate",
                           {"is_active": True}, {"is_active": False})
                else:
                    new_key = create_key(request.form.get("name") or "")
                    record(current_user, "open311_key", (request.form.get("name") or "").strip(),
                           "create")  # the key itself is never recorded
        except InvalidInput as error:  # a bad name: said on the page; an unknown key is 404
            flash(error.message, "error")
            return redirect(url_for("qr.open311_keys")), 303
        if new_key is None:
            flash(_("已吊销「%(name)s」的 API key", name=row.name))
            return redirect(url_for("qr.open311_keys")), 303
    keys = db.session.scalars(select(Open311Key).order_by(Open311Key.id.desc())).all()
    return render_template("portal/keys.html", keys=keys, new_key=new_key)


# --- OpenAPI ---------------------------------------------------------------------------

def api_operations() -> dict:
    """This module's part of the OpenAPI document (core/openapi.py)."""
    return {
        "/qr-points": {"get": {
            "summary": "A grid's QR points",
            "parameters": [api.param("grid", {"type": "string", "minLength": 1}, required=True,
                                  description="grid code")],
            "responses": {**api.ok("the points", "QrPointListOut"),
                          **api.errors("401", "404", "422")}}},
    }
