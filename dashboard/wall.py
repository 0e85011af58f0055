"""大屏: the wall display's figures as one JSON answer, fetched again every few seconds by
static/js/wall.js — today and this week against the days before, the overdue board, the
last fortnight's trend, the categories, and each grid's open and overdue cases for the map.
Answers for the viewer's scope, like the board."""
from datetime import timedelta

from sqlalchemy import select

from core.extensions import db
from dashboard import board
from dashboard.stats import Moment, Period, figures, reported_sums, running_clause
from events.filters import summary_rows_query
from events.models import Event
from events.queries import pin_json
from events.access import grid_scope_clause
from events.labels import holder_label, time_left_label
from grid.locate import grids_geojson
from grid.models import Grid

#: the most grids a map draws (a county has hundreds; a province's own view stays readable)
MAX_GRIDS = 2000
#: case pins: the most a view gets, and the widest view (degrees) that gets them at all —
#: zoomed out, the map shows the grids' counts and the heat, never every case
MAX_PINS = 300
PIN_SPAN = 0.25
CARDS = ("reported", "filed", "closed", "overdue_now", "on_time_close_rate")


def grid_counts(user, args: dict, period: Period, now, moment: Moment | None = None) -> dict:
    """{grid code: {reported (in the period, from the rollups), open, overdue (now)}}."""
    counts = {}
    reported = reported_sums(user, args, period, "grid_id")
    by_grid = (moment or Moment(user, args, now)).by("grid_id")
    codes = dict(db.session.execute(select(Grid.id, Grid.code).where(
        Grid.id.in_([*reported, *by_grid]))).all())
    for grid_id, n in reported.items():
        counts.setdefault(codes[grid_id], {"reported": 0, "open": 0, "overdue": 0})["reported"] = n
    for grid_id, got in by_grid.items():
        counts.setdefault(codes[grid_id], {"reported": 0, "open": 0, "overdue": 0}).update(
            open=got["open_now"], overdue=got["overdue_now"])
    return counts


def case_pins(user, args: dict, box: tuple[float, float, float, float], now) -> dict:
    """The open cases inside `box` (south, west, north, east) as map pins, soonest due first:
    {pins, more (True when the view holds more than MAX_PINS)}."""
    south, west, north, east = box
    rows = db.session.execute(  # read from ix_event_open_place
        summary_rows_query(user, args, now)
        .where(running_clause(), Event.lat.between(south, north), Event.lon.between(west, east))
        .order_by(Event.due_at.is_(None), Event.due_at, Event.id).limit(MAX_PINS + 1)).all()
    return {"pins": [pin_json(row, now) for row in rows[:MAX_PINS]],
            "more": len(rows) > MAX_PINS}


def grid_shapes(user, args: dict) -> dict:
    """The grids the map draws: the viewer's, or one town's or grid's when the filter says."""
    query = select(Grid).where(grid_scope_clause(user)).order_by(Grid.code).limit(MAX_GRIDS)
    if args.get("grid"):
        query = query.where(Grid.code == args["grid"])
    elif args.get("town"):
        from grid.models import Region
        query = query.where(Grid.town_id == select(Region.id).where(
            Region.code == args["town"]).scalar_subquery())
    return grids_geojson(db.session.scalars(query))


def wall_data(user, args: dict, today, now) -> dict:
    day = Period(today, today)
    week = Period(today - timedelta(days=today.weekday()), today)
    days_before = {"day": Period(today - timedelta(days=1), today - timedelta(days=1)),
                   "week": Period(week.first - timedelta(days=7), week.last - timedelta(days=7))}
    cards = {}
    moment = Moment(user, args, now)
    for name, period in (("day", day), ("week", week)):
        now_figures = figures(user, args, period, now, moment=moment)
        before = figures(user, args, days_before[name], now, moment=moment)
        cards[name] = {key: {"value": now_figures[key], "before": before[key]} for key in CARDS}
    fortnight = Period(today - timedelta(days=13), today)
    overdue = [{"id": row.id, "number": row.number, "category": row.category_name,
                "grid": row.grid_name, "holder": holder_label(row),
                "late": time_left_label(row.due_at, now)}
               for row in board.overdue_board(user, args, now, limit=8)]
    return {"at": now.isoformat(), "cards": cards, "overdue": overdue,
            "trend": board.trend(user, args, fortnight, now),
            "categories": [list(row) for row in board.top_categories(user, args, fortnight, now, 8)],
            "grids": grid_counts(user, args, fortnight, now, moment)}
