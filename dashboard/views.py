"""数据看板: the supervisor's home (dispatchers see their town's, admins the whole tree) —
the period's figures with their change, the overdue board, the trend and the categories,
and each town's (or grid's) figures, filtered by period, town, grid, department, category
and source; every figure's formula one tap away."""
import json
from datetime import timedelta

from urllib.parse import quote

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core import clock
from core.errors import AppError, InvalidInput
from core.extensions import db
from core.inputs import load_form
from core.roles import role_required
from dashboard import board, metrics, weights
from events.labels import holder_label
from dashboard.api import check_codes, local_today, period_of
from dashboard.schemas import StatsQueryIn
from dashboard.stats import Moment, Period, figures
from dashboard.wall import MAX_PINS, grid_counts, grid_shapes
from events.access import grid_scope_clause
from events.models import Category, Department
from grid.models import Grid, Region

bp = Blueprint("dashboard", __name__)

#: the filters' labels, as the page names a bad one
FIELDS = {"town": _l("镇（街道）"), "grid": _l("网格"), "department": _l("责任单位"),
          "category": _l("事项"), "source": _l("来源"), "from": _l("开始日期"), "to": _l("结束日期")}
PRESETS = ("today", "week", "month", "year")
#: the cards on top: figure, and whether a rise is good news
CARDS = (("reported", None), ("filed", None), ("close_rate", True),
         ("on_time_close_rate", True), ("overdue_now", False), ("satisfaction_rate", True))


def preset_period(name: str | None) -> Period | None:
    """今日 / 本周 (from Monday) / 本月 / 本年, up to today."""
    today = local_today()
    first = {"today": today, "week": today - timedelta(days=today.weekday()),
             "month": today.replace(day=1), "year": today.replace(month=1, day=1)}.get(name)
    return Period(first, today) if first else None


def previous(period: Period, preset: str | None = None) -> Period:
    """What the period is compared with: 本周 with the same days of last week, 本月 with the
    same days of last month, 本年 with last year's; any other period with the days of the
    same length just before."""
    first, last = period.first, period.last
    if preset == "week":
        return Period(first - timedelta(days=7), last - timedelta(days=7))
    if preset == "month":  # 1st–17th of this month: the 1st–17th of the last
        end_of_last = first - timedelta(days=1)
        return Period(end_of_last.replace(day=1),
                      end_of_last.replace(day=min(last.day, end_of_last.day)))
    if preset == "year":
        return Period(first.replace(year=first.year - 1), _year_before(last))
    length = last - first + timedelta(days=1)
    return Period(first - length, last - length)


def _year_before(day):
    return day.replace(year=day.year - 1, day=28) if (day.month, day.day) == (2, 29) \
        else day.replace(year=day.year - 1)


def _choices() -> dict:
    grids = db.session.execute(select(Grid.code, Grid.name, Grid.town_id)
                               .where(grid_scope_clause(current_user)).order_by(Grid.code)).all()
    town_ids = {grid.town_id for grid in grids}
    towns = db.session.execute(select(Region.code, Region.name).where(Region.id.in_(town_ids))
                               .order_by(Region.code)).all()
    departments = db.session.execute(
        select(Department.code, Department.name).where(
            Department.is_active.is_(True), Department.region_id.in_(town_ids))
        .order_by(Department.name)).all()
    categories = db.session.execute(select(Category.code, Category.name)
                                    .order_by(Category.code)).all()
    return dict(towns=towns, grids=grids, departments=departments, categories=categories,
                sources=("patrol", "resident", "hotline", "open311"))


def _change(now_value, before_value):
    if now_value is None or before_value is None:
        return None
    return now_value - before_value


def _board_query() -> tuple[dict, Period, str | None]:
    """The board's filters and period from the URL: (args, period, preset); AppError names
    a bad one."""
    args = load_form(StatsQueryIn(), request.args, FIELDS)
    check_codes(args)
    dated = args["date_from"] or args["date_to"]
    preset = None if dated else request.args.get("period")
    if preset_period(preset) is None and not dated:
        preset = "month"
    return args, preset_period(preset) or period_of(args), preset


@bp.get("/dashboard")
@role_required("supervisor", "dispatcher", "admin")
def home():
    raw = {key: value for key, value in request.args.items() if key in FIELDS or key == "period"}
    kept = {key: value for key, value in raw.items() if key not in ("period", "from", "to")}
    context = dict(_choices(), args=raw, error=None, metrics=metrics, preset=None, period=None,
                   preset_urls={name: url_for("dashboard.home", period=name, **kept)
                                for name in PRESETS})
    try:
        args, period, preset = _board_query()
    except AppError as error:
        context["error"] = error.message
        return render_template("dashboard/home.html", **context), error.status
    now = clock.utcnow()
    compared = previous(period, preset)
    moment = Moment(current_user, args, now)  # open and overdue: read once for the page
    current, before = figures(current_user, args, period, now, moment=moment), \
        figures(current_user, args, compared, now, moment=moment)
    kind, units = board.units(current_user, args, period, now, moment)
    context.update(departments=board.departments(current_user, args, period, now, moment),
                   heat=board.heat_table(current_user, args, period))
    context.update(
        preset=preset, period=period, before=compared, figures=current,
        cards=[(key, current[key], _change(current[key], before[key]), good)
               for key, good in CARDS],
        overdue=board.overdue_board(current_user, args, now), unit_kind=kind, units=units,
        shapes=grid_shapes(current_user, args),
        chart_data=json.dumps({
            "trend": board.trend(current_user, args, period, now),
            "categories": [list(row) for row in board.top_categories(
                current_user, args, period, now)],
            "grids": grid_counts(current_user, args, period, now, moment),
            "list": url_for("events.list_events"),
            "pins": url_for("dashboard.map_cases", **{key: args[key] for key in (
                "town", "grid", "department", "category", "source") if args.get(key)}),
            "labels": {"reported": _("上报"), "filed": _("立案"), "closed": _("结案"),
                       "open": _("在办"), "overdue": _("超期"), "pins": _("在办案件点位"),
                       "on_time": _("按期结案占比（按结案日）"),
                       "heat": _("上报热力"), "more": _("范围内案件较多，只显示最紧急的 %(n)s 件",
                                                        n=MAX_PINS),
                       "open_case": _("查看案件")}},
            ensure_ascii=False))  # an attribute: escaped like any text
    return render_template("dashboard/home.html", **context)


RANKING_FIELDS = {"level": _l("排名对象"), "period": _l("考核期"), "town": _l("镇（街道）")}
#: the marks as the bulletin words them
MARKS = {"commend": _l("通报表扬"), "criticize": _l("通报批评"), "eliminate_warning": _l("淘汰预警")}
LEVEL_LABELS = {"provincial": _l("省级示范镇"), "city": _l("市级示范镇"), "county": _l("县级示范镇"),
                "department": _l("责任单位"), "worker": _l("网格员")}


def _ranking(args: dict, today):
    """The ranking the page or its export asks for: towns of a level, or departments."""
    from dashboard.rankings import rank_departments, rank_towns, rank_workers
    period = args["period"] or str(today.year)
    if args["level"] in ("department", "worker"):
        check_codes({"town": args.get("town")})
    if args["level"] == "department":
        return rank_departments(current_user, args.get("town"), period, clock.utcnow())
    if args["level"] == "worker":
        return rank_workers(current_user, args.get("town"), period)
    return rank_towns(current_user, args["level"], period, clock.utcnow())


def period_choices(today) -> list[tuple[str, str]]:
    """This year and last, this year's quarters and months so far: (value, label)."""
    year = today.year
    choices = [(str(year), _("%(year)s 年", year=year)), (str(year - 1), _("%(year)s 年", year=year - 1))]
    choices += [(f"{year}-Q{q}", _("%(year)s 年第 %(q)s 季度", year=year, q=q))
                for q in range(1, (today.month - 1) // 3 + 2)]
    choices += [(f"{year}-{m:02d}", _("%(year)s 年 %(month)s 月", year=year, month=m))
                for m in range(today.month, 0, -1)]
    return choices


@bp.get("/dashboard/rankings")
@role_required("supervisor", "dispatcher", "admin")
def rankings():
    from dashboard.schemas import RankingQueryIn
    today = local_today()
    context = dict(levels=LEVEL_LABELS, marks=MARKS, choices=period_choices(today), error=None,
                   level=request.args.get("level", "provincial"),
                   period=request.args.get("period") or str(today.year), result=None)
    try:
        args = load_form(RankingQueryIn(), request.args, RANKING_FIELDS)
        context["result"] = _ranking(args, today)
        context["formula"] = weights.formula(weights.current(
            args["level"] if args["level"] in ("department", "worker") else "town"))
    except AppError as error:
        context["error"] = error.message
        return render_template("dashboard/rankings.html", **context), error.status
    return render_template("dashboard/rankings.html", **context)


@bp.get("/dashboard/export/<any(units, overdue, rankings):table>.<any(xlsx, csv):fmt>")
@role_required("supervisor", "dispatcher", "admin")
def export(table: str, fmt: str):
    """A table of the board or of the rankings, as the page shows it, to Excel or CSV."""
    from dashboard import exports
    now = clock.utcnow()
    if table == "rankings":
        from dashboard.schemas import RankingQueryIn
        result = _ranking(load_form(RankingQueryIn(), request.args, RANKING_FIELDS),
                          local_today())
        rows = [{**item, "mark": str(MARKS[item["mark"]]) if item["mark"] else ""}
                for item in result["items"]]
        name = f"{_('考核排名')}-{result['period']}"
    else:
        args, period, _preset = _board_query()
        span = f"{period.first.isoformat()}_{period.last.isoformat()}"
        if table == "units":
            _kind, rows = board.units(current_user, args, period, now)
            name = f"{_('综合评价')}-{span}"
        else:
            rows = [{"number": row.number, "category": row.category_name, "grid": row.grid_name,
                     "holder": holder_label(row), "due_at": row.due_at,
                     "late_hours": round((now - row.due_at).total_seconds() / 3600, 1)}
                    for row in board.overdue_board(current_user, args, now, limit=1000)]
            name = f"{_('超期案件')}-{now.date().isoformat()}"
    columns = exports.COLUMNS[table]()
    body = exports.xlsx(name, columns, rows) if fmt == "xlsx" else exports.to_csv(columns, rows)
    mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                if fmt == "xlsx" else "text/csv")
    answer = Response(body, mimetype=mimetype)
    answer.headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(f"{name}.{fmt}")
    return answer


def _bulletin_facts():
    """The bulletin the URL asks for: a region within the viewer's reach (their own by
    default) and a month (the last one by default)."""
    from dashboard.bulletin import facts
    from core.errors import Forbidden
    code = request.args.get("region") or ""
    if code:
        region = db.session.scalar(select(Region).where(Region.code == code[:12]))
        if region is None:
            raise InvalidInput(_("区划代码不存在"), fields={"region": ["unknown code"]})
    elif current_user.region_id:
        region = db.session.get(Region, current_user.region_id)
    else:  # an admin: the first county
        region = db.session.scalar(select(Region).where(Region.level == "county")
                                   .order_by(Region.code))
    mine = current_user.region.path if current_user.region is not None else None
    if current_user.role != "admin" and (mine is None or not region.path.startswith(mine)
                                         or (current_user.role == "dispatcher"
                                             and region.id != current_user.region_id)):
        raise Forbidden(_("无权查看该地区的通报"))
    month = request.args.get("month") or (local_today().replace(day=1)
                                          - timedelta(days=1)).strftime("%Y-%m")
    return facts(region, month, clock.utcnow())


@bp.get("/dashboard/bulletin")
@role_required("supervisor", "dispatcher", "admin")
def bulletin():
    from dashboard.bulletin import change, shown
    made = _bulletin_facts()
    return render_template("dashboard/bulletin.html", made=made, shown=shown, change=change,
                           marks=MARKS)


@bp.get("/dashboard/bulletin.pdf")
@role_required("supervisor", "dispatcher", "admin")
def bulletin_pdf():
    from dashboard.bulletin import pdf
    made = _bulletin_facts()
    answer = Response(pdf(made), mimetype="application/pdf")
    answer.headers["Content-Disposition"] = "attachment; filename*=UTF-8''" + quote(
        f"{made['title']}.pdf")
    return answer

