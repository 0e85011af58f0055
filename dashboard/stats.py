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
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import g
from sqlalchemy import bindparam, case, func, select

from auth.permissions import case_scope
from core.extensions import db
from dashboard import metrics
from dashboard.models import (COUNTERS, rollup_cell, rollup_department, rollup_month,
                              rollup_town)
from dashboard.weights import current
from events.filters import SOURCES, apply_filters, local_midnight
from events.models import OPEN_CASE_STATES, Category, Department, Event
from grid.models import Grid, Region

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


def _cases(user, args: dict, now: datetime, *, unindexed: bool = False):
    """SELECT … FROM event narrowed to the caller's scope and the filters (`unindexed`: by
    no index of theirs, so the planner reads the open cases from ix_event_state)."""
    return apply_filters(select(), user, {k: args.get(k) for k in FILTERS}, now,
                         unindexed=unindexed).select_from(Event)


def rollup_table(user, args: dict, group: str | None = None):
    """The coarsest rollup grain (dashboard/models.py) that answers: the town grain, the
    department grain when a department filter, scope or grouping needs it, the cells when
    grids or categories do."""
    kind = case_scope(user).kind
    if any(args.get(k) for k in ("grid", "category")) or group in ("grid_id", "category_id") \
            or kind not in ("all", "town", "region", "department"):
        return rollup_cell
    if args.get("department") or kind == "department" or group == "department_id":
        return rollup_department
    return rollup_town


def rollup_where(query, table, user, args: dict):
    """`query` on a rollup table narrowed to the caller's scope and the filters."""
    c = table.c
    scope = case_scope(user)
    query = query.where(scope.clause(town=c.town_id, grid=c.get("grid_id"),
                                     department=c.get("department_id")))
    if scope.kind == "all" and db.engine.dialect.name == "sqlite":
        # every town named: the rollups' keys lead with the town, so a period's rows are
        # read by key, not by scanning the whole table (an admin's wall at a million cases)
        query = query.where(c.town_id.in_(select(Region.id).where(Region.level == "town")))
    for key, model, column in (("town", Region, "town_id"), ("grid", Grid, "grid_id"),
                               ("department", Department, "department_id"),
                               ("category", Category, "category_id")):
        if args.get(key):
            query = query.where(c[column] == select(model.id).where(
                model.code == args[key]).scalar_subquery())
    if args.get("source"):
        query = query.where(c.source == args["source"])
    return query


def _whole_months(period: Period) -> tuple[list[date], list[tuple[date, date]]]:
    """The period as the first days of the whole months inside it, and the runs of days
    around them: 2026-01-15 … 2026-04-10 → [Feb, Mar], [(Jan 15, Jan 31), (Apr 1, Apr 10)]."""
    months, start = [], period.first.replace(day=1)
    while start <= period.last:
        following = (start + timedelta(days=32)).replace(day=1)
        if start >= period.first and following - timedelta(days=1) <= period.last:
            months.append(start)
        start = following
    if not months:
        return [], [(period.first, period.last)]
    edges = [(period.first, months[0] - timedelta(days=1))] if period.first < months[0] else []
    after = (months[-1] + timedelta(days=32)).replace(day=1)
    if after <= period.last:
        edges.append((after, period.last))
    return months, edges


def reported_by(user, args: dict, period: Period, column: str | tuple[str, ...]) -> Counter:
    """The period's reports per grid_id or category_id (or per (grid_id, category_id) when
    both are named): whole months from `rollup_month`, the days around them from
    `rollup_cell` (a department filter or scope: all from cells)."""
    columns = (column,) if isinstance(column, str) else tuple(column)
    months, edges = _whole_months(period)
    if args.get("department") or case_scope(user).kind == "department":
        months, edges = [], [(period.first, period.last)]
    found = Counter()
    parts = [(rollup_month, rollup_month.c.month.in_(months))] if months else []
    parts += [(rollup_cell, rollup_cell.c.cohort.between(first, last)) for first, last in edges]
    for table, when in parts:
        c = table.c
        keys = [c[name] for name in columns]
        for *key, n in db.session.execute(
                rollup_where(select(*keys, func.sum(c.reported)), table, user, args)
                .where(when, c.reported != 0).group_by(*keys)):
            found[key[0] if len(key) == 1 else tuple(key)] += n
    return found


def reported_pairs(user, args: dict, period: Period) -> Counter:
    """(grid_id, category_id) → the period's reports, read once per request (flask.g): the
    most reported categories, the hot grids, the heat table and the map's counts are all
    sums of it (four reads of the rollups were half of a year's page on PostgreSQL)."""
    key = (user.id, repr(sorted(args.items())), period)
    cache = g.setdefault("reported_pairs", {})
    if key not in cache:
        cache[key] = reported_by(user, args, period, ("grid_id", "category_id"))
    return cache[key]


def reported_sums(user, args: dict, period: Period, column: str) -> Counter:
    """The period's reports per grid_id or category_id, summed from reported_pairs."""
    index = ("grid_id", "category_id").index(column)
    totals = Counter()
    for pair, n in reported_pairs(user, args, period).items():
        totals[pair[index]] += n
    return totals


def _rollup_query(user, args: dict, period: Period, group: str | None = None):
    """SELECT [group,] source, SUM(counter)… of the period, one row per source (and group)."""
    table = rollup_table(user, args, group)
    c = table.c
    query = select(*([c[group]] if group else []), c.source,
                   *(func.coalesce(func.sum(c[name]), 0).label(name) for name in COUNTERS))
    query = rollup_where(query, table, user, args).where(
        c.cohort >= period.first, c.cohort <= period.last, c.day <= period.last)
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


def running_clause():
    """state IN (the running states) as constants: the condition of the partial indexes
    ix_event_open_place and ix_event_open_units, which a bound parameter would not match."""
    return Event.state.in_(bindparam("open_states", OPEN_CASE_STATES, expanding=True,
                                     literal_execute=True))


class Moment:
    """The figures of this moment — open cases, and those past their deadline — of the
    caller's scope and filters, read once per (town, grid, department) from the partial
    index of the running cases (ix_event_open_units: the states named as constants, the
    scope tested on no index of its own), then summed as each table of a page needs."""

    GROUPS = ("town_id", "grid_id", "department_id")

    def __init__(self, user, args: dict, now: datetime):
        self.rows = db.session.execute(
            _cases(user, args, now, unindexed=True)
            .add_columns(Event.town_id, Event.grid_id, Event.department_id, func.count(),
                         _count(Event.due_at < now))
            .where(running_clause())
            .group_by(Event.town_id, Event.grid_id, Event.department_id)
            # without statistics SQLite reads state = ? from ix_event_state instead: every
            # running case's row and a sort (140 ms against 20 at a million cases)
            .with_hint(Event, "INDEXED BY ix_event_open_units", "sqlite")).all()

    def by(self, group: str | None = None) -> dict:
        """unit id → {open_now, overdue_now}; `None` → the total under the key None."""
        out = {}
        for row in self.rows:
            unit = row[self.GROUPS.index(group)] if group else None
            got = out.setdefault(unit, {"open_now": 0, "overdue_now": 0})
            got["open_now"] += row[3]
            got["overdue_now"] += row[4]
        return out

    def total(self) -> dict:
        return self.by().get(None, {"open_now": 0, "overdue_now": 0})


def counts(user, args: dict, period: Period, now: datetime,
           moment: "Moment | None" = None) -> dict:
    """Every count of the period (what metrics.rates divides)."""
    moment = moment or Moment(user, args, now)
    return {**period_counts(user, args, period), **moment.total()}


def _figures(found: dict, weights: dict) -> dict:
    rates = metrics.rates(found)
    score = metrics.score(rates, weights)
    return {**{key: found[key] for key in (
        "reported", "filed", "due_to_close", "closed", "closed_on_time", "overdue_now",
        "open_now", "avg_handle_hours")},
        "reported_by_source": found["by_source"], **rates,
        "score": score, "grade": metrics.grade(score)}


def figures(user, args: dict, period: Period, now: datetime,
            weights: dict | None = None, moment: Moment | None = None) -> dict:
    """The API's answer: counts, rates (0–1 or None), the 综合指标值 (with `weights`, by
    default the towns' as the admins set them) and its grade. `moment`: the figures of this
    moment already read for the same scope and filters."""
    return _figures(counts(user, args, period, now, moment), weights or current("town"))


def figures_by(user, args: dict, period: Period, now: datetime, group: str,
               weights: dict | None = None, moment: Moment | None | bool = None) -> dict:
    """figures() of every town_id / grid_id / department_id at once (two statements, not
    two per unit): id → figures; a unit with no case has none. `moment=False` leaves the
    figures of this moment at 0 (the rankings do not score them)."""
    counted = period_counts_by(user, args, period, group)
    if group in ("town_id", "grid_id"):  # the places' duties beside their cases
        from dashboard.duties import duty_counts
        for unit, duty in duty_counts(user, args, period, now, group).items():
            counted.setdefault(unit, _as_counts([])).update(duty)
    if moment is None:
        moment = Moment(user, args, now)
    now_by = moment.by(group) if moment else {}
    empty = {"open_now": 0, "overdue_now": 0}
    weights = weights or current("town")
    return {unit: _figures({**found, **now_by.get(unit, empty)}, weights)
            for unit, found in counted.items()}


def no_figures(weights: dict | None = None) -> dict:
    """The figures of a unit without a single case."""
    return _figures({**_as_counts([]), "open_now": 0, "overdue_now": 0},
                    weights or metrics.TOWN_WEIGHTS)
