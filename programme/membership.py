"""Who was a demonstration town of a level on a given day, read from the registry's history
(programme_change), so a past year's ranking or assessment keeps the towns it had then: a
递补 decided today changes today's list, never last year's.

Each entry's state on a day is its history replayed up to the end of that day. An entry
whose history starts later (the registry filled in after the fact: migration 0030, the
demo) counts from its designated year (always, without one) with the state it was
entered with. A town marked as
a demonstration town on its region (Region.demo_level) without a registry entry counts as
marked — data from before the registry."""
from datetime import date

from flask import g
from sqlalchemy import select

from core.extensions import db
from events.filters import local_midnight
from grid.models import Region
from programme.models import IN_PROGRAMME, ProgrammeChange, ProgrammeTown

STATE = ("level", "status", "designated_year")


def states_on(day: date) -> dict[int, dict]:
    """town_id → {level, status, designated_year} of every registry entry on `day` (read
    once per request and day: an assessment asks for several levels and years)."""
    kept = g.setdefault("programme_states", {})
    if day not in kept:
        kept[day] = _states_on(day)
    return kept[day]


def _states_on(day: date) -> dict[int, dict]:
    end = local_midnight(day, 1)
    rows = db.session.execute(
        select(ProgrammeTown.town_id, ProgrammeChange.at, ProgrammeChange.action,
               ProgrammeChange.after)
        .join(ProgrammeChange, ProgrammeChange.entry_id == ProgrammeTown.id)
        .order_by(ProgrammeTown.town_id, ProgrammeChange.id)).all()
    states: dict[int, dict] = {}
    first: dict[int, dict] = {}
    for town_id, at, action, after in rows:
        after = after or {}
        if action == "create":
            first[town_id] = {key: after.get(key) for key in STATE}
        if at >= end:
            continue
        state = states.setdefault(town_id, dict.fromkeys(STATE))
        state.update({key: after[key] for key in STATE if key in after})
    for town_id, created in first.items():
        if town_id not in states and (created["designated_year"] or 0) <= day.year:
            states[town_id] = created
    return states


def members(level: str, day: date) -> set[int]:
    """The ids of the towns in the programme at `level` on `day`."""
    states = states_on(day)
    found = {town_id for town_id, state in states.items()
             if state["level"] == level and state["status"] in IN_PROGRAMME}
    listed = set(db.session.scalars(select(ProgrammeTown.town_id)))
    found |= set(db.session.scalars(select(Region.id).where(
        Region.level == "town", Region.demo_level == level))) - listed
    return found
