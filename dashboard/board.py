"""What the dashboard shows besides the figures: the day-by-day trend, the categories most
reported, the figures of each town (or each grid of a town) and the overdue board. Each is
one grouped statement over the rollups (dashboard/rollups.py) or the open cases, within the
caller's scope."""
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from core.extensions import db
from dashboard.stats import (Moment, Period, figures_by, no_figures, reported_pairs,
                             reported_sums, rollup_table,
                             rollup_where)
from dashboard.weights import current
from events.access import grid_scope_clause
from events.filters import read_page
from events.models import Category, Department
from grid.models import Grid, Region

MAX_UNITS = 60
OVERDUE_BOARD = 15


def trend(user, args: dict, period: Period, now) -> dict:
    """Per day of the period: cases reported, filed (on their day) and closed (on theirs,
    whenever filed) and of those closed how many on time, from the rollups."""
    days = [(period.first + timedelta(days=n)).isoformat()
            for n in range((period.last - period.first).days + 1)]
    table = rollup_table(user, args)
    c = table.c
    series = {}
    for name, on in (("reported", c.cohort), ("filed", c.cohort), ("closed", c.day),
                     ("closed_on_time", c.day)):
        counted = {day.isoformat(): n for day, n in db.session.execute(rollup_where(
            select(on, func.sum(c[name])), table, user, args)
            .where(on >= period.first, on <= period.last, c[name] != 0).group_by(on))}
        series[name] = [counted.get(d, 0) for d in days]
    return {"days": days, **series}


def _most_reported(user, args: dict, period: Period, column: str, limit: int) -> list[tuple]:
    """(id, cases reported) of the `column` values most reported in the period."""
    return sorted(reported_sums(user, args, period, column).items(),
                  key=lambda item: (-item[1], item[0]))[:limit]


def top_categories(user, args: dict, period: Period, now, limit: int = 10) -> list[tuple]:
    """(category name, cases reported) for the most reported categories of the period."""
    found = _most_reported(user, args, period, "category_id", limit)
    names = dict(db.session.execute(select(Category.id, Category.name).where(
        Category.id.in_([row[0] for row in found]))).all())
    return sorted(((names[cid], n) for cid, n in found), key=lambda row: (-row[1], row[0]))


def units(user, args: dict, period: Period, now,
          moment: Moment | None = None) -> tuple[str, list[dict]]:
    """The figures of each town of the caller's scope, or of each grid when a town is
    chosen (or the caller's scope is one town): ("town" | "grid", rows best first)."""
    grids = select(Grid.id, Grid.code, Grid.name, Grid.town_id).where(grid_scope_clause(user))
    town_ids = {row.town_id for row in db.session.execute(grids)}
    chosen = args.get("town")
    if chosen or len(town_ids) <= 1:
        if chosen:
            grids = grids.where(Grid.town_id == select(Region.id).where(
                Region.code == chosen).scalar_subquery())
        kind, members = "grid", [(row.id, row.code, row.name) for row in
                                 db.session.execute(grids.order_by(Grid.code).limit(MAX_UNITS))]
    else:
        kind, members = "town", db.session.execute(
            select(Region.id, Region.code, Region.name).where(Region.id.in_(town_ids))
            .order_by(Region.code).limit(MAX_UNITS)).all()
    found = figures_by(user, args, period, now, f"{kind}_id", moment=moment)
    rows = [{"code": code, "name": name, **(found.get(unit_id) or no_figures())}
            for unit_id, code, name in members]
    rows.sort(key=lambda row: (row["score"] is None, -(row["score"] or 0), row["code"]))
    return kind, rows


def overdue_board(user, args: dict, now, limit: int = OVERDUE_BOARD) -> list:
    """The open cases past their deadline, the latest first, with who holds them."""
    rows, _cursor = read_page(user, {**args, "overdue": True}, "urgency", None, limit)
    return [row for row in rows if row.due_at is not None and row.due_at < now]


def hot_grids(user, args: dict, period: Period, now, limit: int = 5) -> list[tuple]:
    """(grid name, town name, cases reported) for the grids most reported in the period."""
    found = _most_reported(user, args, period, "grid_id", limit)
    town = Region.__table__.alias("town")
    names = {row.id: (row.name, row.town) for row in db.session.execute(
        select(Grid.id, Grid.name, town.c.name.label("town"))
        .join(town, town.c.id == Grid.town_id).where(Grid.id.in_([r[0] for r in found])))}
    return sorted(((*names[gid], n) for gid, n in found), key=lambda row: (-row[2], row[0]))


#: the heat table: its most reported categories and grids
HEAT_CATEGORIES, HEAT_GRIDS = 8, 15


def departments(user, args: dict, period: Period, now, moment: Moment | None = None
                ) -> list[dict]:
    """The figures of each department that held cases of the scope in the period (by the
    departments' own weights), best first; cases with no department are left out."""
    found = figures_by(user, args, period, now, "department_id", current("department"), moment)
    held = db.session.execute(
        select(Department.id, Department.code, Department.name, Region.name.label("town"))
        .join(Region, Region.id == Department.region_id)
        .where(Department.id.in_([d for d in found if d]))).all()
    several = len({row.town for row in held}) > 1  # then each is named with its town
    rows = [{"code": row.code, "name": f"{row.town} · {row.name}" if several else row.name,
             **found[row.id]} for row in held]
    rows.sort(key=lambda row: (row["score"] is None, -(row["score"] or 0), row["code"]))
    return rows


def heat_table(user, args: dict, period: Period) -> dict:
    """事项 × 网格: the period's reports of the most reported categories in the most reported
    grids — {categories: [name], rows: [{grid, town, cells: [(n, level 0–5)]}]}."""
    counts = reported_pairs(user, args, period)
    by_category, by_grid = Counter(), Counter()
    for (grid_id, category_id), n in counts.items():
        by_category[category_id] += n
        by_grid[grid_id] += n
    categories = [c for c, _n in sorted(by_category.items(), key=lambda i: (-i[1], i[0]))
                  [:HEAT_CATEGORIES]]
    grids = [g for g, _n in sorted(by_grid.items(), key=lambda i: (-i[1], i[0]))[:HEAT_GRIDS]]
    category_names = dict(db.session.execute(select(Category.id, Category.name).where(
        Category.id.in_(categories))).all())
    town = Region.__table__.alias("town")
    grid_names = {row.id: (row.name, row.town) for row in db.session.execute(
        select(Grid.id, Grid.name, town.c.name.label("town"))
        .join(town, town.c.id == Grid.town_id).where(Grid.id.in_(grids)))}
    top = max((counts.get((g, c), 0) for g in grids for c in categories), default=0)
    return {"categories": [category_names[c] for c in categories],
            "rows": [{"grid": grid_names[g][0], "town": grid_names[g][1],
                      "cells": [(n, -(-5 * n // top) if top else 0)
                                for n in (counts.get((g, c), 0) for c in categories)]}
                     for g in grids]}
