"""When a visit is due, and how many fell due on time (issue 14, 巡访).

Days are the towns' local days, counted naturally: a visit due on the second day of the
Spring Festival is due then (the elderly are not on holiday). A monthly visit is due on the
same day of the next month, or its last day (31 January → 28 February). During a town's cold
wave (寒潮) the cold-wave interval applies too: the earlier of the two, never before the
wave begins, and only if it falls within the wave.

Coverage (巡访覆盖率) replays a person's visits: each due day is met on time by a visit on or
before it; a visit re-anchors the schedule, a late one without meeting anything. A due day
counts once it has passed or been met, and in the period that holds it."""
import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class Interval:
    every: int
    unit: str  # day | month
    cold_wave_days: int


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def after(day: date, interval: Interval) -> date:
    if interval.unit == "month":
        return add_months(day, interval.every)
    return day + timedelta(days=interval.every)


def next_due(anchor: date, interval: Interval, waves=()) -> date:
    """The day the visit after `anchor` (the last visit's day, or the registration's) is
    due, given the town's cold waves [(starts_on, ends_on)]."""
    due = after(anchor, interval)
    for starts_on, ends_on in waves:
        cold = max(anchor + timedelta(days=interval.cold_wave_days), starts_on)
        if cold <= ends_on and cold < due:
            due = cold
    return due


@dataclass
class Coverage:
    due: int = 0
    on_time: int = 0
    #: due days that passed unmet (or were met late), for the page's list
    missed: list = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    def add(self, other: "Coverage") -> None:
        self.due += other.due
        self.on_time += other.on_time
        self.missed += other.missed


def replay(registered_on: date, visit_days: list[date], interval: Interval, waves,
           start: date, end: date, today: date) -> Coverage:
    """The due days in [start, end] of one person: how many, how many met on time. A visit
    on or before a due day meets it and re-anchors the schedule. A due day that passes
    unmet is missed; the schedule rolls on from it until the late visit comes (a person
    left unvisited for a month misses each weekly visit of that month), and the late visit
    re-anchors it without meeting anything. A due day not yet passed is not counted."""
    result = Coverage()
    anchor = registered_on
    visits = [day for day in sorted(set(visit_days)) if day > registered_on]
    index = 0
    while True:
        due = next_due(anchor, interval, waves)
        if due > end:
            break
        visit = visits[index] if index < len(visits) else None
        if visit is not None and visit <= due:
            if due >= start:
                result.due += 1
                result.on_time += 1
            anchor, index = visit, index + 1
            continue
        if due >= today:
            break  # still to come
        if due >= start:
            result.due += 1
            result.missed.append(due)
        if visit is not None and visit <= next_due(due, interval, waves):
            anchor, index = visit, index + 1  # late: the schedule starts again from it
        else:
            anchor = due
    return result
