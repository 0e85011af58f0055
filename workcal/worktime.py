"""Working time (工作时) on the Chinese work calendar. Pure: dates, times and a lookup.

`day_kind(date)` answers True (workday), False (day off) or None (the calendar does not
hold that year yet). Unknown days count Monday–Friday provisionally and the result says
so: a deadline is then marked provisional and recomputed when the year is entered.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

DayKind = Callable[[date], bool | None]
#: 1 工作日 = 8 工作时 (the catalogue's `wd` unit)
WORKDAY_MINUTES = 480
MAX_DAYS = 3660  # ten years: a limit no real deadline reaches


@dataclass(frozen=True)
class WorkPeriods:
    """The working periods of one day in a region's local time."""

    periods: tuple[tuple[time, time], ...] = ((time(8, 0), time(12, 0)),
                                              (time(13, 30), time(17, 30)))
    tz: str = "Asia/Shanghai"

    @classmethod
    def parse(cls, spec: list[str] | None, tz: str = "Asia/Shanghai") -> "WorkPeriods":
        """From ["08:00-12:00", "13:30-17:30"]."""
        if not spec:
            return cls(tz=tz)
        periods = []
        for item in spec:
            start, end = (time.fromisoformat(part.strip()) for part in item.split("-"))
            if end <= start:
                raise ValueError(f"period {item!r} ends before it starts")
            periods.append((start, end))
        periods.sort()
        for (_, end), (start, _) in zip(periods, periods[1:]):
            if start < end:
                raise ValueError("working periods overlap")
        return cls(tuple(periods), tz)


@dataclass(frozen=True)
class Result:
    value: object
    provisional: bool  # an unknown calendar day was counted as Monday–Friday


def _is_workday(day: date, day_kind: DayKind) -> tuple[bool, bool]:
    kind = day_kind(day)
    if kind is None:
        return day.weekday() < 5, True
    return kind, False


def _windows(day: date, periods: WorkPeriods, zone: ZoneInfo):
    for start, end in periods.periods:
        yield (datetime.combine(day, start, tzinfo=zone), datetime.combine(day, end, tzinfo=zone))


def add_working(start: datetime, minutes: float, day_kind: DayKind,
                periods: WorkPeriods = WorkPeriods()) -> Result:
    """The instant `minutes` of working time after `start` (aware, any zone; result UTC)."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    zone = ZoneInfo(periods.tz)
    cursor = start.astimezone(zone)
    remaining = timedelta(minutes=minutes)
    provisional = False
    day = cursor.date()
    for _ in range(MAX_DAYS):
        workday, unknown = _is_workday(day, day_kind)
        provisional |= unknown
        if workday:
            for window_start, window_end in _windows(day, periods, zone):
                begin = max(window_start, cursor)
                if begin >= window_end:
                    continue
                available = window_end - begin
                if remaining <= available:
                    if remaining == timedelta(0):
                        return Result(cursor.astimezone(ZoneInfo("UTC")), provisional)
                    return Result((begin + remaining).astimezone(ZoneInfo("UTC")), provisional)
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("no working time within ten years: is every day marked off?")


def working_between(start: datetime, end: datetime, day_kind: DayKind,
                    periods: WorkPeriods = WorkPeriods()) -> Result:
    """Working minutes from `start` to `end` (0 if end is not after start)."""
    zone = ZoneInfo(periods.tz)
    start, end = start.astimezone(zone), end.astimezone(zone)
    total = timedelta(0)
    provisional = False
    day = start.date()
    while day <= end.date():
        workday, unknown = _is_workday(day, day_kind)
        provisional |= unknown
        if workday:
            for window_start, window_end in _windows(day, periods, zone):
                overlap = min(window_end, end) - max(window_start, start)
                if overlap > timedelta(0):
                    total += overlap
        day += timedelta(days=1)
    return Result(total.total_seconds() / 60, provisional)


def add_natural(start: datetime, minutes: float) -> Result:
    return Result(start + timedelta(minutes=minutes), False)


def natural_between(start: datetime, end: datetime) -> Result:
    return Result(max((end - start).total_seconds() / 60, 0.0), False)
