"""The plan's environment and care duties as figures beside the cases' (issue 14): per town
or grid, 清雪及时率 — snow tasks whose deadline fell in the period, cleared by it — and
巡访覆盖率 — visits due in the period, made on or before their due day (care/coverage.py).
They are rates of metrics.METRICS like the others: shown on the board, and scored in the
综合指标值 only where the admins weight them (the defaults do not)."""
from collections import defaultdict

from sqlalchemy import and_, case, func, select

from care.coverage import coverage
from core.extensions import db
from dashboard.stats import Period
from events.access import grid_scope_clause
from events.filters import local_day
from grid.models import Grid, Region
from snow.models import SnowTask

COUNTS = ("snow_tasks", "snow_on_time", "care_due", "care_on_time")


def _grids(user, args: dict):
    query = select(Grid.id, Grid.town_id).where(grid_scope_clause(user))
    if args.get("town"):
        query = query.where(Grid.town_id == select(Region.id).where(
            Region.code == args["town"]).scalar_subquery())
    if args.get("grid"):
        query = query.where(Grid.code == args["grid"])
    return db.session.execute(query).all()


def duty_counts(user, args: dict, period: Period, now, group: str) -> dict:
    """{town_id | grid_id: {snow_tasks, snow_on_time, care_due, care_on_time}} within the
    caller's reach (and the town or grid filter; the category, source and department
    filters are the cases' own). A snow task counts once its deadline has passed or it is
    cleared; a visit once its due day has passed or it is made."""
    if group not in ("town_id", "grid_id"):
        return {}
    grids = _grids(user, args)
    if not grids:
        return {}
    grid_ids = [row.id for row in grids]
    found: dict = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    column = SnowTask.town_id if group == "town_id" else SnowTask.grid_id
    due = and_(SnowTask.due_at >= period.start, SnowTask.due_at < period.end)
    for unit, tasks, on_time in db.session.execute(
            select(column, func.count(), func.sum(case((and_(
                SnowTask.cleared_at.is_not(None), SnowTask.cleared_at <= SnowTask.due_at), 1),
                else_=0)))
            .where(SnowTask.grid_id.in_(grid_ids), due,
                   (SnowTask.due_at <= now) | SnowTask.cleared_at.is_not(None))
            .group_by(column)):
        found[unit].update(snow_tasks=tasks, snow_on_time=int(on_time))
    today = local_day(now)
    if period.first <= today:
        towns, by_grid = coverage(period.first, min(period.last, today), today,
                                  grid_ids=grid_ids)
        for unit, result in (towns if group == "town_id" else by_grid).items():
            found[unit].update(care_due=result.due, care_on_time=result.on_time)
    return dict(found)
