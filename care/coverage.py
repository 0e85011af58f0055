"""巡访覆盖率 (issue 14): of the visits that fell due in a period, the share done on time,
per grid and per town, replayed from each person's visits (care/schedule.py) with the
schedule and the risk levels as they are now.

The replay starts at each person's last visit at least one interval (SPAN) before the
period, or their registration: every visit restarts the schedule, so what came before it
changes nothing after it, and the due day that visit met lies before the period (it came
within one interval of the anchor before it). A year's figures read the year's visits and
one interval more, not every visit since the register began; a test keeps the two equal."""
import hashlib
from datetime import date, timedelta

from sqlalchemy import String, cast, func, select

from care import schedule
from care.models import CarePerson, CareVisit, ColdWave
from care.services import intervals, waves_of
from core.extensions import cache, db


def _span(interval: schedule.Interval) -> int:
    """The most days an interval can last (a month: 31)."""
    return interval.every * (31 if interval.unit == "month" else 1) + 1


#: how long a figure is kept (its key also changes with any visit, edit or schedule change)
KEEP_SECONDS = 600


def _fingerprint(table: dict) -> tuple:
    """What coverage depends on beyond the period: the last visit, the register's last
    change, the last cold wave (one statement), the schedule (`table`)."""
    row = db.session.execute(select(
        select(func.max(CareVisit.id)).scalar_subquery(),
        select(func.max(CarePerson.updated_at)).scalar_subquery(),
        select(func.count(CarePerson.id)).scalar_subquery(),
        select(func.sum(CarePerson.version)).scalar_subquery(),
        select(func.max(ColdWave.id)).scalar_subquery())).one()
    return (*(str(value) for value in row),
            tuple(sorted(table.items())))


def coverage(start: date, end: date, today: date, *, town_ids=None, grid_ids=None):
    """({town_id: Coverage}, {grid_id: Coverage}) over the people on the register in the
    period (someone who left counts until the day before they left). Kept in the app's
    cache (the dashboards ask again every few seconds) under a key that changes with any
    visit, edit, cold wave or schedule change."""
    table = intervals()
    key = "care.coverage:" + hashlib.sha256(repr((
        start, end, today, sorted(town_ids) if town_ids is not None else None,
        sorted(grid_ids) if grid_ids is not None else None,
        _fingerprint(table))).encode()).hexdigest()
    found = cache.get(key)
    if found is None:
        found = _replayed(start, end, today, town_ids, grid_ids, table)
        cache.set(key, found, timeout=KEEP_SECONDS)
    return found


def _replayed(start: date, end: date, today: date, town_ids, grid_ids, table: dict):
    query = select(CarePerson.id, CarePerson.town_id, CarePerson.grid_id, CarePerson.risk,
                   CarePerson.registered_on, CarePerson.left_on).where(
        CarePerson.registered_on <= end)
    if town_ids is not None:
        query = query.where(CarePerson.town_id.in_(list(town_ids)))
    if grid_ids is not None:
        query = query.where(CarePerson.grid_id.in_(list(grid_ids)))
    people = [p for p in db.session.execute(query) if p.left_on is None or p.left_on > start]
    towns: dict[int, schedule.Coverage] = {}
    grids: dict[int, schedule.Coverage] = {}
    if not people:
        return towns, grids
    ids = [p.id for p in people]
    cutoff = start - timedelta(days=max(_span(interval) for interval in table.values()))
    anchors = dict(db.session.execute(
        select(CareVisit.person_id, func.max(CareVisit.visited_on))
        .where(CareVisit.person_id.in_(ids), CareVisit.visited_on <= cutoff)
        .group_by(CareVisit.person_id)).all())
    visits: dict[int, list[date]] = {}
    # a year of a county's visits: the days as text, parsed here (the Date type's own
    # processing was half the time of a county's year: 160,000 rows)
    for person_id, day in db.session.execute(
            select(CareVisit.person_id, cast(CareVisit.visited_on, String)).where(
                CareVisit.person_id.in_(ids), CareVisit.visited_on > cutoff,
                CareVisit.visited_on <= end)):
        visits.setdefault(person_id, []).append(date.fromisoformat(day))
    waves = waves_of({p.town_id for p in people})
    for person in people:
        last = end if person.left_on is None else min(end, person.left_on - timedelta(days=1))
        anchor = max(person.registered_on, anchors.get(person.id, person.registered_on))
        result = schedule.replay(anchor, visits.get(person.id, []), table[person.risk],
                                 waves.get(person.town_id, ()), start, last, today)
        towns.setdefault(person.town_id, schedule.Coverage()).add(result)
        grids.setdefault(person.grid_id, schedule.Coverage()).add(result)
    return towns, grids
