"""巡访覆盖率 (issue 14): of the visits that fell due in a period, the share done on time,
per grid and per town, replayed from each person's visits (care/schedule.py) with the
schedule and the risk levels as they are now."""
from datetime import date, timedelta

from sqlalchemy import select

from care import schedule
from care.models import CarePerson, CareVisit
from care.services import intervals, waves_of
from core.extensions import db


def coverage(start: date, end: date, today: date, *, town_ids=None, grid_ids=None):
    """({town_id: Coverage}, {grid_id: Coverage}) over the people on the register in the
    period (someone who left counts until the day before they left)."""
    query = select(CarePerson).where(CarePerson.registered_on <= end)
    if town_ids is not None:
        query = query.where(CarePerson.town_id.in_(list(town_ids)))
    if grid_ids is not None:
        query = query.where(CarePerson.grid_id.in_(list(grid_ids)))
    people = [p for p in db.session.scalars(query)
              if p.left_on is None or p.left_on > start]
    visits: dict[int, list[date]] = {}
    if people:
        for person_id, day in db.session.execute(
                select(CareVisit.person_id, CareVisit.visited_on).where(
                    CareVisit.person_id.in_([p.id for p in people]),
                    CareVisit.visited_on <= end)):
            visits.setdefault(person_id, []).append(day)
    table = intervals()
    waves = waves_of({p.town_id for p in people})
    towns: dict[int, schedule.Coverage] = {}
    grids: dict[int, schedule.Coverage] = {}
    for person in people:
        last = end if person.left_on is None else min(end, person.left_on - timedelta(days=1))
        result = schedule.replay(person.registered_on, visits.get(person.id, []),
                                 table[person.risk], waves.get(person.town_id, ()),
                                 start, last, today)
        towns.setdefault(person.town_id, schedule.Coverage()).add(result)
        grids.setdefault(person.grid_id, schedule.Coverage()).add(result)
    return towns, grids
