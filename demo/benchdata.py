"""`flask --app wsgi bench-data --cases N`: fill a database with N realistic cases fast.

For benchmarks (bench/), not for demos: rows go in with bulk INSERTs, not through the
lifecycle services, so only the `create` log row is written. Needs the demo world
(`seed-demo --cases 0`) for towns, grids, categories, departments and people.
Spread: two years back from `now`; ~93 % closed or rejected, the rest open in every
state; open cases carry running clocks, `due` of them past their warning at `now`.
"""
import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, insert, select

from core.database import write_transaction
from dashboard.rollups import rebuild
from core.extensions import db
from events.intake import format_number
from events.models import Category, Department, Event, EventCounter, EventLog
from grid.models import Grid, Region

CHUNK = 10_000
OPEN_STATES = (("reported", "verify"), ("filed", "dispatch"), ("dispatched", "accept"),
               ("accepted", "handle"), ("handled", "check"))


def generate(now: datetime, cases: int, due: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    grids = db.session.execute(select(Grid.id, Grid.town_id, Grid.centroid_lat,
                                      Grid.centroid_lon)).all()
    if not grids:
        raise RuntimeError("no grids: run `flask --app wsgi seed-demo --cases 0` first")
    categories = db.session.execute(select(Category.id, Category.urgency)).all()
    departments = {}
    for dep_id, town_id in db.session.execute(select(Department.id, Department.region_id)):
        departments.setdefault(town_id, []).append(dep_id)
    counters = {}
    for town_id, year, last in db.session.execute(select(
            EventCounter.town_id, EventCounter.year, EventCounter.last_number)):
        counters[town_id, year] = last
    prefixes = dict(db.session.execute(select(Region.id, Region.case_prefix)
                                       .where(Region.level == "town")).all())
    first_id = (db.session.scalar(select(func.max(Event.id))) or 0) + 1
    # executemany needs every row to name the same columns
    blank = {c.name: None for c in Event.__table__.columns if c.name != "id"} | {"private": False}
    open_share = 0.07
    due_left = due
    made = {"cases": 0, "open": 0, "due": 0}
    for chunk_start in range(0, cases, CHUNK):
        events, logs = [], []
        for n in range(chunk_start, min(cases, chunk_start + CHUNK)):
            grid = rng.choice(grids)
            category_id, urgency = rng.choice(categories)
            is_due = due_left > 0 and rng.random() < due_left / (cases - n)  # exactly `due`
            is_open = is_due or rng.random() < open_share
            created = now - timedelta(days=rng.uniform(0, 3 if is_open else 730))
            year = created.year
            counters[grid.town_id, year] = counters.get((grid.town_id, year), 0) + 1
            row = {**blank, "number": format_number(prefixes[grid.town_id], year,
                                                   counters[grid.town_id, year]),
                   "source": rng.choice(("patrol", "patrol", "hotline", "resident")),
                   "category_id": category_id, "grid_id": grid.id, "town_id": grid.town_id,
                   "lat": grid.centroid_lat + rng.uniform(-0.003, 0.003),
                   "lon": grid.centroid_lon + rng.uniform(-0.003, 0.003),
                   "address": "", "description": "bench", "created_at": created,
                   "updated_at": created, "version": 1, "supervise_count": 0, "extension_granted_hours": 0,
                   "clock_seq": 0, "clock_used_min": 0, "escalation_step": 0,
                   "deadline_provisional": False}
            if is_open:
                state, stage = rng.choice(OPEN_STATES)
                started = created
                limit = 240.0
                if is_due:  # started long enough ago that the warning is behind `now`
                    started = now - timedelta(minutes=rng.uniform(200, 230))
                    kind, warn, due_at = "natural", started + timedelta(minutes=192), \
                        started + timedelta(minutes=240)
                    nxt = warn
                    due_left -= 1
                    made["due"] += 1
                else:  # far from due: the next step lies in the future
                    kind = "natural"
                    started = now - timedelta(minutes=rng.uniform(0, 100))
                    warn, due_at = started + timedelta(minutes=192), started + timedelta(minutes=240)
                    nxt = warn
                row.update(state=state, clock_stage=stage, clock_seq=1, clock_kind=kind,
                           clock_started_at=started, clock_limit_min=limit,
                           clock_ladder=current_app.config["ESCALATION_LADDERS"]["紧急"], warn_at=warn, due_at=due_at,
                           next_escalation_at=nxt,
                           department_id=rng.choice(departments[grid.town_id])
                           if state in ("dispatched", "accepted", "handled") else None)
                made["open"] += 1
            else:
                state = "closed" if rng.random() < 0.9 else "rejected"
                row.update(state=state, department_id=rng.choice(departments[grid.town_id]),
                           closed_at=created + timedelta(hours=6) if state == "closed" else None,
                           rejected_at=created + timedelta(hours=1) if state == "rejected" else None)
            if row["state"] not in ("reported", "rejected"):  # 立案 within the hour
                row["filed_at"] = created + timedelta(minutes=rng.uniform(5, 60))
            events.append(row)
        ids = range(first_id + chunk_start, first_id + chunk_start + len(events))
        logs = [{"event_id": event_id, "action": "create", "from_state": None,
                 "to_state": row["state"], "note": "", "data": {}, "actor_label": "bench",
                 "created_at": row["created_at"]} for event_id, row in zip(ids, events)]
        with write_transaction():  # one chunk per transaction: a million rows in steps
            db.session.execute(insert(Event.__table__), events)
            db.session.execute(insert(EventLog.__table__), logs)
        made["cases"] += len(events)
    with write_transaction():
        store_counters(counters)
        rebuild()  # the dashboards' counters (dashboard/rollups.py): rows were bulk-inserted
    return made


def store_counters(counters: dict) -> None:
    """The last case number handed out per (town, year), after a bulk insert numbered them."""
    for (town_id, year), last in counters.items():
        row = db.session.get(EventCounter, (town_id, year))
        if row is None:
            db.session.add(EventCounter(town_id=town_id, year=year, last_number=last))
        else:
            row.last_number = last
