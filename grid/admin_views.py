"""The grids' administration pages: import a town's grids from GeoJSON — previewed on a
map with every refusal named per feature before anything is saved — export them, rename
and retire a grid."""
import json

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core.database import write_transaction
from core.extensions import db
from core.roles import role_required
from grid import admin, geojson
from grid.locate import grids_geojson
from grid.models import Grid, Region

bp = Blueprint("grid_admin", __name__)


def _town(code: str | None) -> Region:
    town = db.session.scalar(select(Region).where(Region.code == (code or ""),
                                                  Region.level == "town"))
    if town is None:
        abort(404)
    if not admin.may_manage(current_user, town):
        abort(403)
    return town


def _page(town, plan=None, upload_text="", status=200):
    return render_template(
        "grid/import.html", town=town, towns=admin.towns_for(current_user), plan=plan,
        upload_text=upload_text, current=grids_geojson(admin.town_grids(town)),
        preview=geojson.as_collection(plan) if plan else None,
        bad={code for _i, code, _m in plan.errors} if plan else set()), status


@bp.get("/admin/grids/import")
@role_required("admin", "dispatcher")
def import_page():
    towns = admin.towns_for(current_user)
    if not towns:
        abort(404)
    return _page(_town(request.args.get("town") or towns[0].code))[0]


@bp.post("/admin/grids/import")
@role_required("admin", "dispatcher")
def import_grids():
    """step "preview": check the file and show it; step "save": check the same text again
    (sent back from the preview) and save it whole, or nothing."""
    town = _town(request.form.get("town"))
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        data = upload.read(geojson.MAX_BYTES + 1)
    else:
        data = (request.form.get("geojson") or "").encode("utf-8")
    if not data:
        flash(_("请选择要导入的 GeoJSON 文件"), "error")
        return _page(town, status=422)
    plan = admin.check(data, town)
    text = data.decode("utf-8", "replace") if len(data) <= geojson.MAX_BYTES else ""
    if not plan.ok or request.form.get("step") != "save":
        return _page(town, plan, text, 200 if plan.ok else 422)
    with write_transaction():
        added, changed = admin.save(plan, town, current_user)
    flash(_("已导入%(town)s的网格：新增 %(added)s 个，修改 %(changed)s 个；定位和上报即刻按新网格",
            town=town.name, added=len(added), changed=len(changed)), "success")
    return redirect(url_for("qr.grids"), 303)


@bp.get("/admin/grids/<code>.geojson")
@role_required("admin", "dispatcher")
def export_grids(code: str):
    town = _town(code)
    body = json.dumps(admin.export(town), ensure_ascii=False, separators=(",", ":"))
    return Response(body, mimetype="application/geo+json", headers={
        "Content-Disposition": f"attachment; filename=grids-{town.code}.geojson"})


def _grid(code: str) -> Grid:
    grid = db.session.scalar(select(Grid).where(Grid.code == code))
    if grid is None:
        abort(404)
    if not admin.may_manage(current_user, grid.town):
        abort(403)
    return grid


@bp.post("/admin/grids/<code>/name")
@role_required("admin", "dispatcher")
def rename_grid(code: str):
    name = (request.form.get("name") or "").strip()
    if not name or len(name) > 64:
        flash(_("网格名称须为 1–64 个字符"), "error")
        return redirect(url_for("qr.grid_page", code=code), 303)
    with write_transaction():
        grid = _grid(code)
        if request.form.get("original", grid.name) != grid.name:
            flash(_("网格名称已被他人改为 %(name)s：本次修改没有保存", name=grid.name), "error")
            return redirect(url_for("qr.grid_page", code=code), 303)
        admin.rename(grid, name, current_user)
    flash(_("已改名为 %(name)s", name=name), "success")
    return redirect(url_for("qr.grid_page", code=code), 303)


@bp.post("/admin/grids/<code>/retire")
@role_required("admin", "dispatcher")
def retire_grid(code: str):
    with write_transaction():
        grid = _grid(code)
        admin.retire(grid, current_user)
    flash(_("已撤销 %(name)s：其案件和历史记录保留，不再接收新的上报", name=grid.name), "success")
    return redirect(url_for("qr.grids"), 303)
