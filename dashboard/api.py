"""GET /api/v1/stats: the figures of the caller's scope for a period (综合评价)."""
from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import select

from core import clock, openapi as api
from core.bearer import token_required
from core.errors import Forbidden, InvalidInput
from core.extensions import db
from core.inputs import N_
from dashboard import metrics
from dashboard.rankings import rank_departments, rank_towns, rank_workers
from dashboard.schemas import RankingQueryIn, StatsQueryIn
from dashboard.stats import Period, figures
from events.api import place_params
from events.models import Category, Department
from grid.models import Grid, Region

bp = Blueprint("dashboard_api", __name__, url_prefix="/api/v1")

#: what each filter names, and the message when it names nothing
_KNOWN = {"town": (Region.code, N_("镇（街道）代码不存在")),
          "grid": (Grid.code, N_("网格代码不存在")),
          "department": (Department.code, N_("责任单位代码不存在")),
          "category": (Category.code, N_("事项代码不存在"))}


def local_today() -> date:
    return clock.utcnow().astimezone(ZoneInfo(current_app.config["LOCAL_TIMEZONE"])).date()


def period_of(args: dict) -> Period:
    """The dates asked for; by default this month up to today (the towns' dates)."""
    today = local_today()
    last = args.get("date_to") or max(today, args.get("date_from") or today)
    first = args.get("date_from") or last.replace(day=1)
    return Period(first, last)


def check_codes(args: dict) -> None:
    """A filter naming nothing is a mistake to say, not a page of zeros."""
    for name, (column, message) in _KNOWN.items():
        query = select(column).where(column == args.get(name))
        if name == "town":
            query = query.where(Region.level == "town")
        if args.get(name) and db.session.scalar(query) is None:
            raise InvalidInput(_(message), fields={name: ["unknown code"]})


@bp.get("/stats")
@token_required
def stats():
    args = StatsQueryIn().load(request.args)
    check_codes(args)
    period = period_of(args)
    answer = figures(g.api_user, args, period, clock.utcnow())
    return {**answer, "period": {"from": period.first.isoformat(), "to": period.last.isoformat()}}


#: who sees the 考核 rankings
RANKING_ROLES = ("supervisor", "dispatcher", "admin")


@bp.get("/rankings")
@token_required
def rankings():
    if g.api_user.role not in RANKING_ROLES:
        raise Forbidden(_("只有督办领导、派遣员和管理员可以查看考核排名"))
    args = RankingQueryIn().load(request.args)
    period = args["period"] or str(local_today().year)
    if args["level"] == "department":
        check_codes({"town": args["town"]})
        return rank_departments(g.api_user, args["town"], period, clock.utcnow())
    if args["level"] == "worker":
        check_codes({"town": args["town"]})
        return rank_workers(g.api_user, args["town"], period)
    return rank_towns(g.api_user, args["level"], period, clock.utcnow())


def api_operations() -> dict:
    described = "; ".join(f"{m.key} {m.label} = {m.formula}" for m in metrics.RATES)
    return {"/stats": {"get": {
        "summary": "综合评价: the figures of the caller's scope for a period",
        "description": "Rates are fractions 0–1, null when the denominator is 0. " + described,
        "parameters": [
            *place_params(),
            api.param("from", {"type": "string", "format": "date"},
                      description="first local date (default: the 1st of `to`'s month)"),
            api.param("to", {"type": "string", "format": "date"},
                      description="last local date, inclusive (default: today)")],
        "responses": {**api.ok("the figures", "StatsOut"), **api.errors("401", "422")}}},
        "/rankings": {"get": {
            "summary": "考核排名: the demonstration towns of a level ranked by 综合指标值",
            "description": "Top 5 commended, bottom N criticised, bottom N two years running "
                           "warned of elimination, the best 市级 town named to take the place. "
                           "Ties: higher 按期结案率, then 结案率, then the lower town code.",
            "parameters": [
                api.param("level", {"type": "string", "enum": ["provincial", "city", "county",
                                                                 "department", "worker"],
                                    "default": "provincial"},
                          description="a demonstration level (towns); department: the 责任单位 "
                                      "of the towns in reach; worker: their 网格员 (code = "
                                      "username), each by their own score"),
                api.param("town", {"type": "string", "maxLength": 12},
                          description="department, worker: only this town's"),
                api.param("period", {"type": "string", "pattern": r"^2[01]\d\d(-Q[1-4]|-(0[1-9]|1[0-2]))?$"},
                          description="2026, 2026-Q3 or 2026-09 (default: this year)")],
            "responses": {**api.ok("the ranking", "RankingOut"),
                          **api.errors("401", "403", "422")}}}}
