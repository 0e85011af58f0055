"""What the dashboard shows besides the figures: the day-by-day trend, the categories most
reported, the figures of each town (or each grid of a town) and the overdue board. Each is
one grouped statement over the caller's scope, except the units table (one figures() call
per unit, at most MAX_UNITS)."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from core import clock
from core.extensions import db
from dashboard.stats import Period, _cases, figures
from events.access import grid_scope_clause
from events.filters import read_page
from events.models import Category, Event
from grid.models import Grid, Region

MAX_UNITS = 60
OVERDUE_BOARD = 15


def local_day(column):
    """A UTC column as the towns' date, 'YYYY-MM-DD'. SQLite has no zone database: the
    zone's offset is added (Asia/Shanghai keeps +8 all year)."""
    zone = current_app.config["LOCAL_TIMEZONE"]
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(zone, column), "YYYY-MM-DD")
    offset = clock.utcnow().astimezone(ZoneInfo(zone)).utcoffset()
    return func.strftime("%Y-%m-%d", column, f"{int(offset.total_seconds() // 60):+d} minutes")


def trend(user, args: dict, period: Period, now) -> dict:
    """Per day of the period: cases reported, filed and closed."""
    days = [(period.first + timedelta(days=n)).isoformat()
            for n in range((period.last - period.first).days + 1)]
    series = {}
    for name, column in (("reported", Event.created_at), ("filed", Event.filed_at),
                         ("closed", Event.closed_at)):
        day = local_day(column)
        counted = dict(db.session.execute(
            _cases(user, args, now).add_columns(day, func.count())
            .where(column >= period.start, column < period.end).group_by(day)).all())
        series[name] = [counted.get(d, 0) for d in days]
    return {"days": days, **series}


def top_categories(user, args: dict, period: Period, now, limit: int = 10) -> list[tuple]:
    """(category name, cases reported) for the most reported categories of the period."""
    count = func.count().label("n")
    return db.session.execute(
        _cases(user, args, now).add_columns(Category.name, count)
        .join(Category, Category.id == Event.category_id)
        .where(Event.created_at >= period.start, Event.created_at < period.end)
        .group_by(Category.name).order_by(count.desc(), Category.name).limit(limit)).all()


def units(user, args: dict, period: Period, now) -> tuple[str, list[dict]]:
    """The figures of each town of the caller's scope, or of each grid when a town is
    chosen (or the caller's scope is one town): ("town" | "grid", rows best first)."""
    grids = select(Grid.id, Grid.code, Grid.name, Grid.town_id).where(grid_scope_clause(user))
    town_ids = {row.town_id for row in db.session.execute(grids)}
    chosen = args.get("town")
    if chosen or len(town_ids) <= 1:
        if chosen:
            grids = grids.where(Grid.town_id == select(Region.id).where(
                Region.code == chosen).scalar_subquery())
        kind, members = "grid", [(row.code, row.name) for row in
                                 db.session.execute(grids.order_by(Grid.code).limit(MAX_UNITS))]
    else:
        kind, members = "town", db.session.execute(
            select(Region.code, Region.name).where(Region.id.in_(town_ids))
            .order_by(Region.code).limit(MAX_UNITS)).all()
    rows = [{"code": code, "name": name, **figures(user, {**args, kind: code}, period, now)}
            for code, name in members]
    rows.sort(key=lambda row: (row["score"] is None, -(row["score"] or 0), row["code"]))
    return kind, rows


def overdue_board(user, args: dict, now, limit: int = OVERDUE_BOARD) -> list:
    """The open cases past their deadline, the latest first, with who holds them."""
    rows, _cursor = read_page(user, {**args, "overdue": True}, "urgency", None, limit)
    return [row for row in rows if row.due_at is not None and row.due_at < now]


def hot_grids(user, args: dict, period: Period, now, limit: int = 5) -> list[tuple]:
    """(grid name, town name, cases reported) for the grids most reported in the period."""
    count = func.count().label("n")
    town = Region.__table__.alias("town")
    return db.session.execute(
        _cases(user, args, now).add_columns(Grid.name, town.c.name, count)
        .join(Grid, Grid.id == Event.grid_id).join(town, town.c.id == Event.town_id)
        .where(Event.created_at >= period.start, Event.created_at < period.end)
        .group_by(Grid.name, town.c.name).order_by(count.desc(), Grid.name).limit(limit)).all()
