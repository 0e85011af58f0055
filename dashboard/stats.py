"""The figures of a scope and a period (GET /api/v1/stats, the dashboard): the period's
counts summed from the rollups (dashboard/rollups.py says which fact counts where), the
figures of this moment (open, overdue) from the open cases, then turned into rates and a
score by dashboard/metrics.py.

A period is [start, end): the towns' midnights of the first day and of the day after the
last (Asia/Shanghai). Each count's definition is in metrics.METRICS; the cohorts:
- reports: cases reported in the period;
- filed: cases filed (立案) in the period, judged at the period's end (or now, if sooner):
  closed by then, or past a stage deadline by then while not done (应结案);
- stage runs (核实, 处置, 核查) that ended in the period;
- ratings given in the period; cases open now (超期数 is a figure of this moment).
Scope: what the caller may see (auth.permissions.case_scope), narrowed by town, grid,
department (the department holding the case now; for stage runs, the one that held it
during the run), category and source."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, select

from auth.permissions import case_scope
from core.extensions import db
from dashboard import metrics
from dashboard.models import COUNTERS, rollup_cell, rollup_town
from events.filters import SOURCES, apply_filters, local_midnight
from events.models import Category, Department, Event
from grid.models import Grid, Region

OPEN_STATES = ("reported", "filed", "dispatched", "accepted", "handled")
#: the list filters a figure may be narrowed by (events.filters reads them)
FILTERS = ("town", "grid", "department", "category", "source")


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last, 1)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _cases(user, args: dict, now: datetime):
    """SELECT … FROM event narrowed to the caller's scope and the filters."""
    return apply_filters(select(), user, {k: args.get(k) for k in FILTERS}, now) \
        .select_from(Event)


def _rollup_query(user, args: dict, period: Period, group: str | None = None):
    """SELECT [group,] source, SUM(counter)… FROM the finest rollup grain the question needs
    (dashboard/models.py), within the caller's scope and the filters; one row per source."""
    fine = any(args.get(k) for k in ("grid", "department", "category")) or \
        case_scope(user).kind not in ("all", "town", "region") or \
        group in ("grid_id", "department_id", "category_id")
    table = rollup_cell if fine else rollup_town
    c = table.c
    query = select(*([c[group]] if group else []), c.source,
                   *(func.coalesce(func.sum(c[name]), 0).label(name) for name in COUNTERS))
    query = query.where(
        case_scope(user).clause(town=c.town_id, grid=c.get("grid_id"),
                                department=c.get("department_id")),
        c.cohort >= period.first, c.cohort <= period.last, c.day <= period.last)
    for key, model, column in (("town", Region, "town_id"), ("grid", Grid, "grid_id"),
                               ("department", Department, "department_id"),
                               ("category", Category, "category_id")):
        if args.get(key):
            query = query.where(c[column] == select(model.id).where(
                model.code == args[key]).scalar_subquery())
    if args.get("source"):
        query = query.where(c.source == args["source"])
    return query.group_by(*([c[group]] if group else []), c.source)


def _as_counts(rows) -> dict:
    """Rows of one unit (one per source) → the counts metrics.rates divides."""
    total = dict.fromkeys(COUNTERS, 0)
    by_source = dict.fromkeys(SOURCES, 0)
    patrol = 0
    for row in rows:
        for name in COUNTERS:
            total[name] += row[name]
        if row["source"] in by_source:
            by_source[row["source"]] += row["reported"]
        if row["source"] == "patrol":
            patrol += row["filed"]
    handled = total["handled"]
    return {**total, "valid_reports": total["reported"] - total["rejected"],
            "by_source": by_source, "patrol_filed": patrol, "due_to_close": total["due"],
            "avg_handle_hours": round(total["handle_sec"] / handled / 3600, 1)
            if handled else None}


def period_counts(user, args: dict, period: Period) -> dict:
    """The period's counts from the rollups (everything but the figures of this moment)."""
    return _as_counts(db.session.execute(_rollup_query(user, args, period)).mappings().all())


def period_counts_by(user, args: dict, period: Period, group: str) -> dict:
    """period_counts per town_id / grid_id / department_id / category_id: id → counts."""
    rows = defaultdict(list)
    for row in db.session.execute(_rollup_query(user, args, period, group)).mappings():
        rows[row[group]].append(row)
    return {unit: _as_counts(found) for unit, found in rows.items()}


def _now(user, args, now) -> dict:
    running = Event.state.in_(OPEN_STATES)
    open_now, overdue = db.session.execute(_cases(user, args, now).add_columns(
        _count(running), _count(and_(running, Event.due_at < now)))
        .where(Event.state.in_(OPEN_STATES))).one()
    return {"open_now": open_now, "overdue_now": overdue}


def counts(user, args: dict, period: Period, now: datetime) -> dict:
    """Every count of the period (what metrics.rates divides)."""
    return {**period_counts(user, args, period), **_now(user, args, now)}


def figures(user, args: dict, period: Period, now: datetime,
            weights: dict = metrics.TOWN_WEIGHTS) -> dict:
    """The API's answer: counts, rates (0–1 or None), the 综合指标值 and its grade."""
    found = counts(user, args, period, now)
    rates = metrics.rates(found)
    score = metrics.score(rates, weights)
    return {**{key: found[key] for key in (
        "reported", "filed", "due_to_close", "closed", "closed_on_time", "overdue_now",
        "open_now", "avg_handle_hours")},
        "reported_by_source": found["by_source"], **rates,
        "score": score, "grade": metrics.grade(score)}
