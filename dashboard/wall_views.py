"""大屏 routes: the wall display page and the figures it asks for again (dashboard/wall.py)."""
import json

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from core import clock
from core.errors import InvalidInput
from core.extensions import db
from core.inputs import load_form
from core.roles import role_required
from dashboard import metrics
from dashboard.api import check_codes, local_today
from dashboard.schemas import StatsQueryIn
from dashboard.views import FIELDS, bp
from grid.models import Grid, Region

#: the wall display asks again this often (seconds); ?every= overrides within 2–600
WALL_EVERY = 30


def _wall_args():
    args = load_form(StatsQueryIn(), request.args, FIELDS)
    check_codes(args)
    return {key: args[key] for key in ("town", "grid", "department", "category", "source")
            if args.get(key)}


def _scope_name(args: dict) -> str:
    if args.get("grid"):
        return db.session.scalar(select(Grid.name).where(Grid.code == args["grid"]))
    if args.get("town"):
        return db.session.scalar(select(Region.name).where(Region.code == args["town"]))
    region = current_user.region
    return region.name if region is not None else _("全部辖区")


@bp.get("/dashboard/wall")
@role_required("supervisor", "dispatcher", "admin")
def wall():
    """大屏: the figures drawn at once, then asked for again every `every` seconds."""
    from dashboard.wall import CARDS, grid_shapes, wall_data
    args = _wall_args()
    try:
        every = min(max(int(request.args.get("every", WALL_EVERY)), 2), 600)
    except ValueError:
        every = WALL_EVERY
    labels = {"reported": _("上报"), "filed": _("立案"), "closed": _("结案"), "open": _("在办"),
              "overdue": _("超期"), "same": _("与上期持平"), "before": _("较上期"),
              "points": _("个百分点"), "at": _("数据更新于 {time}"),
              "stale": _("网络中断：显示的是 {time} 的数据，恢复后自动更新"),
              "login": _("登录已过期：请重新登录后刷新大屏")}
    cards = [(key, _(metrics.BY_KEY[key].label)) for key in CARDS]
    return render_template(
        "dashboard/wall.html", args=args, every=every, cards=cards,
        scope_name=_scope_name(args), shapes=grid_shapes(current_user, args),
        labels=json.dumps(labels, ensure_ascii=False),
        initial=json.dumps(wall_data(current_user, args, local_today(), clock.utcnow()),
                           ensure_ascii=False))


def _box() -> tuple[float, float, float, float]:
    """The map view a pin request names (south, west, north, east), checked: numbers, on
    the globe, in order, and no wider than PIN_SPAN degrees."""
    from dashboard.wall import PIN_SPAN
    try:
        box = tuple(float(request.args[name]) for name in ("south", "west", "north", "east"))
    except (KeyError, ValueError):
        raise InvalidInput(_("地图范围无效：需要 south、west、north、east 四个数"),
                           fields={"box": ["four numbers"]}) from None
    south, west, north, east = box
    if not (-90 <= south < north <= 90 and -180 <= west < east <= 180):
        raise InvalidInput(_("地图范围无效：南、西须小于北、东，且在经纬度范围内"),
                           fields={"box": ["out of range or out of order"]})
    if north - south > PIN_SPAN or east - west > PIN_SPAN:
        raise InvalidInput(_("范围过大：放大地图后再显示案件点位"),
                           fields={"box": [f"wider than {PIN_SPAN} degrees"]})
    return box


@bp.get("/dashboard/map/cases.json")
@role_required("supervisor", "dispatcher", "admin")
def map_cases():
    """The open cases inside a zoomed-in view of the board's map, as pins (dashboard.js)."""
    from dashboard.wall import case_pins
    return case_pins(current_user, _wall_args(), _box(), clock.utcnow())


@bp.get("/dashboard/wall.json")
@role_required("supervisor", "dispatcher", "admin")
def wall_data_json():
    from dashboard.wall import wall_data
    return wall_data(current_user, _wall_args(), local_today(), clock.utcnow())
