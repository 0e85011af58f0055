"""Working time on real Chinese calendar dates (chinese-calendar package as the table)."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from workcal.worktime import WorkPeriods, add_working, working_between

CST = ZoneInfo("Asia/Shanghai")


def known(day: date):
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def at(*args):
    return datetime(*args, tzinfo=CST)


def test_friday_afternoon_plus_four_hours_lands_on_the_sunday_makeup_day():
    result = add_working(at(2025, 9, 26, 16, 0), 4 * 60, known)
    assert result.value == at(2025, 9, 28, 10, 30)
    assert result.value.tzinfo == timezone.utc or result.value.utcoffset().total_seconds() == 0
    assert not result.provisional


def test_nothing_lands_inside_national_day_week():
    start = at(2025, 9, 30, 9, 0)
    for hours in (1, 7, 8, 9, 16):
        landed = add_working(start, hours * 60, known).value.astimezone(CST)
        assert not date(2025, 10, 1) <= landed.date() <= date(2025, 10, 8), (hours, landed)
    # 8 working hours from Tuesday 30 Sep 09:00: the rest of the 30th is 7 h, then Oct 9
    assert add_working(start, 8 * 60, known).value == at(2025, 10, 9, 9, 0)


def test_spring_festival_2026():
    # 02-14 (Saturday) is a make-up working day; 02-15..02-23 off; 02-28 (Saturday) works
    assert add_working(at(2026, 2, 13, 17, 0), 60, known).value == at(2026, 2, 14, 8, 30)
    assert add_working(at(2026, 2, 14, 17, 0), 60, known).value == at(2026, 2, 24, 8, 30)
    monday = add_working(at(2026, 2, 27, 17, 0), 60, known).value
    assert monday == at(2026, 2, 28, 8, 30)


def test_lunch_break_and_evening_are_not_working_time():
    assert add_working(at(2026, 3, 10, 11, 30), 60, known).value == at(2026, 3, 10, 14, 0)
    assert add_working(at(2026, 3, 10, 12, 15), 30, known).value == at(2026, 3, 10, 14, 0)
    assert add_working(at(2026, 3, 10, 20, 0), 30, known).value == at(2026, 3, 11, 8, 30)


def test_working_between_is_the_inverse_of_add():
    start = at(2025, 9, 26, 16, 0)
    end = add_working(start, 4 * 60, known).value
    assert working_between(start, end, known).value == pytest.approx(240)
    assert working_between(end, start, known).value == 0
    assert working_between(at(2026, 2, 14, 8, 0), at(2026, 2, 24, 8, 0), known).value == 480


def test_unknown_year_counts_monday_to_friday_and_says_provisional():
    result = add_working(at(2027, 1, 8, 16, 0), 4 * 60, known)  # Friday, year not published
    assert result.provisional
    assert result.value == at(2027, 1, 11, 10, 30)  # the next Monday


def test_custom_periods():
    periods = WorkPeriods.parse(["09:00-12:00", "14:00-18:00"])
    assert add_working(at(2026, 3, 10, 11, 0), 120, known, periods).value == at(2026, 3, 10, 15, 0)
    with pytest.raises(ValueError):
        WorkPeriods.parse(["12:00-09:00"])
    with pytest.raises(ValueError):
        WorkPeriods.parse(["08:00-12:00", "11:00-13:00"])
