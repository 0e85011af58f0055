"""The work calendar table (工作日历): one row per day of each year the table holds.

Seeded from the `chinese-calendar` package (statutory holidays and 调休 make-up days);
admins add a new year and override single days. Years not held yet are reported as
unknown, which the working-time functions count Monday–Friday, provisionally.
"""
from datetime import date, datetime, timedelta
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

from blinker import Namespace
from sqlalchemy import Boolean, Date, String, bindparam, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core import reference
from core.extensions import db
from core.rows import driver_rows

#: Sent inside the write unit that changed the calendar, with what changed as the sender:
#: "year" (a year entered: only provisional deadlines move) or "days" (a day overridden or a
#: region's working periods set: any running deadline may move). Receivers (events/ connects
#: its deadline recomputation) return how many cases they updated.
calendar_changed = Namespace().signal("calendar-changed")


def calendar_changed_in(change: str) -> int:
    """Tell the receivers; how many cases' deadlines moved."""
    return sum(count for _receiver, count in calendar_changed.send(change))

class WorkDay(db.Model):
    __tablename__ = "work_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    #: holiday or make-up day name, e.g. 春节 / 春节调休
    name: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(20))


#: a month of the calendar, built once (a report's deadline reads one)
_MONTH = select(WorkDay.day, WorkDay.is_workday).where(
    WorkDay.day >= bindparam("first", type_=Date), WorkDay.day <= bindparam("last", type_=Date))


class DbCalendar:
    """day -> True / False / None (year not in the table); loads a month at a time (a
    deadline rarely reaches past the next few weeks), kept between requests while the
    reference data stays the same (core.reference)."""

    def __init__(self):
        self._months: dict[tuple[int, int], dict[date, bool]] = {}

    def __call__(self, day: date) -> bool | None:
        key = (day.year, day.month)
        month = self._months.get(key)
        if month is None:
            month = self._months[key] = reference.kept("calendar.month", key, lambda: _month(key))
        return month.get(day)


def _month(key: tuple[int, int]) -> Mapping[date, bool]:
    first = date(key[0], key[1], 1)
    last = (first + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    # plain rows on the session's connection: no autoflush (a lookup: pending changes need
    # not be written), no ORM execution layer
    return MappingProxyType(dict(db.session.connection().execute(
        _MONTH, {"first": first, "last": last}).all()))  # read-only: it is kept


def package_years() -> list[int]:
    from chinese_calendar.constants import holidays
    return sorted({d.year for d in holidays})


def _package_day(day: date) -> tuple[bool, str]:
    import chinese_calendar
    on_holiday, holiday_name = chinese_calendar.get_holiday_detail(day)
    workday = chinese_calendar.is_workday(day)
    names = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
             "Labour Day": "劳动节", "Dragon Boat Festival": "端午节",
             "Mid-autumn Festival": "中秋节", "National Day": "国庆节"}
    name = names.get(holiday_name, holiday_name or "")
    if workday and day.weekday() >= 5:
        name = f"{name}调休上班" if name else "调休上班"
    return workday, name if (on_holiday or (workday and day.weekday() >= 5)) else ""


def enter_year(year: int, source: str = "chinese-calendar") -> int:
    """Write every day of `year` (replacing what was there); returns days written.
    `weekdays`: Monday–Friday, for a year the package does not know yet."""
    if source == "chinese-calendar" and year not in package_years():
        raise ValueError(f"chinese-calendar does not know {year} yet; "
                         f"enter it with --weekdays and override the holidays")
    db.session.execute(WorkDay.__table__.delete().where(
        WorkDay.day >= date(year, 1, 1), WorkDay.day <= date(year, 12, 31)))
    rows, day = [], date(year, 1, 1)
    while day.year == year:
        if source == "chinese-calendar":
            workday, name = _package_day(day)
        else:
            workday, name = day.weekday() < 5, ""
        rows.append({"day": day, "is_workday": workday, "name": name, "source": source})
        day += timedelta(days=1)
    db.session.execute(WorkDay.__table__.insert(), rows)
    return len(rows)


def set_day(day: date, is_workday: bool, name: str = "") -> None:
    if not held_years() or day.year not in held_years():
        raise ValueError(f"{day.year} is not in the calendar; enter the year first")
    row = db.session.get(WorkDay, day)
    row.is_workday, row.name, row.source = is_workday, name, "admin"


def held_years() -> list[int]:
    year = func.extract("year", WorkDay.day) if db.session.get_bind().dialect.name != "sqlite" \
        else func.strftime("%Y", WorkDay.day)
    return sorted(int(y) for y in db.session.scalars(select(year).distinct()))


def missing_next_year(now: datetime, tz: str = "Asia/Shanghai") -> int | None:
    """From 1 November, next year if the table does not hold it yet (admins are warned)."""
    local = now.astimezone(ZoneInfo(tz)).date()
    if local.month < 11:
        return None
    year = local.year + 1
    exists = driver_rows(db.session.connection(), _first_day_held(), {"day": date(year, 1, 1)})
    return None if exists else year


@cache
def _first_day_held():
    """Built once: an admin's every page asks it from November on (0.1 ms built each time)."""
    return select(WorkDay.day).where(WorkDay.day == bindparam("day"))
