"""考核排名 of the demonstration towns a caller may see: each town's 综合指标值 for a month,
a quarter or a year (dashboard/stats.py), put in order and marked by dashboard/ranking.py."""
import re
from calendar import monthrange
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from core.errors import InvalidInput
from core.extensions import db
from dashboard import ranking
from dashboard.stats import Period, figures_by, no_figures
from dashboard.weights import current
from dashboard.workers import worker_entries
from events.access import grid_scope_clause
from events.filters import local_day
from events.models import Department
from grid.models import Grid, Region

#: the API's level names → Region.demo_level (示范镇 level)
LEVELS = {"provincial": "省级", "city": "市级", "county": "县级"}
_PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(0[1-9]|1[0-2])))?$")


def parse_period(text: str) -> tuple[Period, str]:
    """"2026" → the year, "2026-Q3" → July–September, "2026-09" → September; with its kind
    (year / quarter / month)."""
    found = _PERIOD.match(text or "")
    if not found or not 2000 <= int(found.group(1)) <= 2199:
        raise InvalidInput(_("考核期无效：如 2026、2026-Q3 或 2026-09"),
                           fields={"period": ["expected YYYY, YYYY-Qn or YYYY-MM"]})
    year, quarter, month = int(found.group(1)), found.group(2), found.group(3)
    if quarter:
        first_month = 3 * (int(quarter) - 1) + 1
        return Period(date(year, first_month, 1),
                      date(year, first_month + 2, monthrange(year, first_month + 2)[1])), "quarter"
    if month:
        m = int(month)
        return Period(date(year, m, 1), date(year, m, monthrange(year, m)[1])), "month"
    return Period(date(year, 1, 1), date(year, 12, 31)), "year"


def towns_of_level(user, level: str, day: date | None = None) -> list[tuple[int, str, str]]:
    """(id, code, name) of the demonstration towns of `level` within the caller's reach — as
    they were on `day` when the programme's registry answers that ("programme.members":
    a 递补 decided today leaves last year's ranking as it was), else as marked today."""
    reach = select(Grid.town_id).where(grid_scope_clause(user))
    members = current_app.extensions.get("programme.members")
    which = (Region.demo_level == LEVELS[level]) if members is None or day is None else \
        Region.id.in_(members(LEVELS[level], day))
    return db.session.execute(select(Region.id, Region.code, Region.name).where(
        Region.level == "town", which, Region.id.in_(reach)).order_by(Region.code)).all()


def _entries(user, units, period: Period, now, kind: str = "town") -> list[ranking.Entry]:
    """Each unit's figures from one grouped read of the rollups; `units` are (id, code, name)."""
    weights = current(kind)  # as the admins set them (dashboard/weights.py)
    # 超期率 is a figure of this moment: it scores only in the period running now, and only
    # when the admins weighted it (else the open cases are not read)
    running = period.start <= now < period.end and weights.get("overdue_rate", 0) > 0
    found = figures_by(user, {}, period, now, f"{kind}_id", weights,
                       moment=None if running else False)
    entries = []
    for unit_id, code, name in units:
        got = found.get(unit_id) or no_figures(weights)
        entries.append(ranking.Entry(code=code, name=name, score=got["score"], grade=got["grade"],
                                     on_time_close_rate=got["on_time_close_rate"],
                                     close_rate=got["close_rate"]))
    return entries


def rank_towns(user, level: str, period_text: str, now) -> dict:
    """The ranking the API answers: items in order, and the 递补 candidate if any."""
    period, kind = parse_period(period_text)
    today = local_day(now)
    towns = towns_of_level(user, level, min(period.last, today))
    limits = _limits()
    last_year_bottom = set()
    if kind == "year":
        before = Period(period.first.replace(year=period.first.year - 1),
                        period.last.replace(year=period.last.year - 1))
        last_year_bottom = ranking.bottom_codes(ranking.rank(
            _entries(user, towns_of_level(user, level, before.last), before, now), **limits))
    ranked = ranking.rank(_entries(user, towns, period, now), **limits,
                          last_year_bottom=last_year_bottom, yearly=kind == "year")
    candidate = None
    if level == "provincial" and any(e.mark == ranking.ELIMINATE_WARNING for e in ranked):
        city = ranking.rank(_entries(user, towns_of_level(user, "city", min(period.last, today)),
                                      period, now), **limits)
        candidate = ranking.replacement_candidate(ranked, city)
    return {"level": level, "period": period_text, "kind": kind,
            "from": period.first.isoformat(), "to": period.last.isoformat(),
            "items": [{"code": e.code, "name": e.name, "town_code": e.code, "town_name": e.name,
                       "score": e.score, "grade": e.grade, "rank": e.rank, "mark": e.mark}
                      for e in ranked],
            "replacement_candidate": None if candidate is None else {
                "town_code": candidate.code, "town_name": candidate.name,
                "score": candidate.score, "grade": candidate.grade}}


def departments_in_reach(user, town: str | None) -> list[tuple[int, str, str]]:
    """(id, code, name) of the active departments of the towns within the caller's reach — of
    one town when `town` names it; a department of several towns is named with its town."""
    reach = select(Grid.town_id).where(grid_scope_clause(user))
    query = (select(Department.id, Department.code, Department.name,
                    Region.name.label("town"))
             .join(Region, Region.id == Department.region_id)
             .where(Department.is_active.is_(True), Department.region_id.in_(reach))
             .order_by(Department.code))
    if town:
        query = query.where(Region.code == town)
    rows = db.session.execute(query).all()
    several = len({row.town for row in rows}) > 1
    return [(row.id, row.code, f"{row.town} · {row.name}" if several else row.name)
            for row in rows]


def _limits() -> dict:
    return dict(top_n=current_app.config["RANKING_TOP_N"],
                bottom_n=current_app.config["RANKING_BOTTOM_N"])


def _answer(level: str, period_text: str, kind: str, period: Period, ranked) -> dict:
    return {"level": level, "period": period_text, "kind": kind,
            "from": period.first.isoformat(), "to": period.last.isoformat(),
            "items": [{"code": e.code, "name": e.name, "score": e.score, "grade": e.grade,
                       "rank": e.rank, "mark": e.mark} for e in ranked],
            "replacement_candidate": None}


def rank_departments(user, town: str | None, period_text: str, now) -> dict:
    """责任单位 ranked the same way within a town (or every town in reach), by their own score
    (dashboard/weights.py; by default 按期处置率, 结案率, 返工率, 满意率); commended and criticised,
    never warned of elimination (that rule is the demonstration towns')."""
    period, kind = parse_period(period_text)
    ranked = ranking.rank(_entries(user, departments_in_reach(user, town), period, now,
                                   "department"), **_limits())
    return _answer("department", period_text, kind, period, ranked)


def rank_workers(user, town: str | None, period_text: str) -> dict:
    """网格员 ranked within a town (or every town in reach) by their own score
    (dashboard/workers.py; by default 按时核实率 30, 按时核查率 30, 主动发现率 40);
    commended and criticised, never warned of elimination. Ties: the username."""
    period, kind = parse_period(period_text)
    ranked = ranking.rank(worker_entries(user, town, period), **_limits())
    return _answer("worker", period_text, kind, period, ranked)
