"""Stage clocks and the escalation ladder (催办 → 超期 → 督办). Pure: values in, values out.

A stage clock has a limit in minutes on a working or natural clock. Its ladder has
steps: 1 = warning (催办) at a share of the limit, 2 = overdue level 1 at the limit,
3 and 4 = overdue levels 2 and 3 after further delays on the same clock.
"""
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from workcal.worktime import (DayKind, WorkPeriods, add_natural, add_working, natural_between,
                           working_between)

#: steps of the ladder
NONE, WARNING, OVERDUE_1, OVERDUE_2, OVERDUE_3 = 0, 1, 2, 3, 4
STEP_NAMES = {WARNING: "warning", OVERDUE_1: "overdue_1", OVERDUE_2: "overdue_2",
              OVERDUE_3: "overdue_3"}

#: which stage a state's clock measures
STAGE_OF_STATE = {"reported": "verify", "filed": "dispatch", "dispatched": "accept",
                  "accepted": "handle", "handled": "check"}


@dataclass(frozen=True)
class Clock:
    """What a stage clock needs, as copied onto the case when the stage starts."""

    started_at: datetime  # when the clock (re)started counting
    limit_min: float
    used_min: float  # minutes already used before a suspension
    kind: str  # "work" or "natural"
    warn_ratio: float
    delays: tuple


@dataclass(frozen=True)
class Plan:
    warn_at: datetime
    due_at: datetime
    step_times: dict = field(default_factory=dict)  # step -> instant
    provisional: bool = False

    def next_step_after(self, step: int) -> tuple[int, datetime] | None:
        later = [(s, t) for s, t in sorted(self.step_times.items()) if s > step]
        return later[0] if later else None

    def step_at(self, now: datetime) -> int:
        reached = [s for s, t in self.step_times.items() if t <= now]
        return max(reached, default=NONE)


def _add(clock: Clock, start: datetime, minutes: float, day_kind, periods):
    if clock.kind == "natural":
        return add_natural(start, minutes)
    return add_working(start, minutes, day_kind, periods)


def plan(clock: Clock, day_kind: DayKind, periods: WorkPeriods = WorkPeriods()) -> Plan:
    remaining = max(clock.limit_min - clock.used_min, 0)
    warn_remaining = max(clock.limit_min * clock.warn_ratio - clock.used_min, 0)
    due = _add(clock, clock.started_at, remaining, day_kind, periods)
    warn = _add(clock, clock.started_at, warn_remaining, day_kind, periods)
    steps = {WARNING: warn.value, OVERDUE_1: due.value}
    provisional = due.provisional or warn.provisional
    for step, delay in zip((OVERDUE_2, OVERDUE_3), clock.delays[1:3]):
        later = _add(clock, due.value, delay, day_kind, periods)
        steps[step] = later.value
        provisional |= later.provisional
    if clock.delays and clock.delays[0]:
        first = _add(clock, due.value, clock.delays[0], day_kind, periods)
        steps[OVERDUE_1] = first.value
    return Plan(warn_at=warn.value, due_at=due.value, step_times=steps, provisional=provisional)


def used_minutes(clock: Clock, until: datetime, day_kind: DayKind,
                 periods: WorkPeriods = WorkPeriods()) -> float:
    """Minutes of the limit used by `until` (for 挂账: stored, then resumed from)."""
    if clock.kind == "natural":
        spent = natural_between(clock.started_at, until)
    else:
        spent = working_between(clock.started_at, until, day_kind, periods)
    return clock.used_min + spent.value


def color(now: datetime, warn_at: datetime | None, due_at: datetime | None) -> str:
    """green < 80 % of the limit, yellow 80–100 %, red overdue; grey without a clock."""
    if due_at is None:
        return "grey"
    if now >= due_at:
        return "red"
    if warn_at is not None and now >= warn_at:
        return "yellow"
    return "green"


def overdue_level(step: int) -> int:
    """0 while not overdue; 1..3 for the overdue levels."""
    return max(step - WARNING, 0)


class Signals(NamedTuple):
    """What a running clock shows: its colour, its overdue level, whether it is paused."""
    color: str
    level: int
    paused: bool


def signals(now: datetime, state: str, warn_at: datetime | None, due_at: datetime | None,
            step: int | None) -> Signals:
    """A case's clock as the API's `clock` and the pages' badges both show it."""
    return Signals(color(now, warn_at, due_at), overdue_level(step or 0), state == "suspended")


def limit_minutes(value: float, unit: str) -> tuple[float, str]:
    """A catalogue limit as (minutes, clock kind): wh/wd working, h natural."""
    if unit == "wh":
        return value * 60, "work"
    if unit == "wd":
        return value * 480, "work"
    if unit == "h":
        return value * 60, "natural"
    raise ValueError(f"unknown unit {unit!r}")


#: 分阶段 (私搭乱建): 停工 4 工作时 → 依法处罚 7 工作日 → 拆除 20 工作日, each from 签收
STAGED_MILESTONES = (("停工", 4 * 60), ("处罚", 7 * 480), ("拆除", 20 * 480))


def milestones(start: datetime, day_kind: DayKind,
               periods: WorkPeriods = WorkPeriods()) -> list[tuple[str, datetime, bool]]:
    out = []
    for name, minutes in STAGED_MILESTONES:
        result = add_working(start, minutes, day_kind, periods)
        out.append((name, result.value, result.provisional))
    return out
