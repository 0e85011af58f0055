"""Stage clocks on cases: started, paused, resumed and extended by the lifecycle services.

The rules (limit, clock kind, ladder) are copied onto the case when a stage starts, so
editing a category changes only new stages. Deadlines are stored and recomputed only
here, when something happens to the case.
"""
from datetime import datetime
from functools import cache, lru_cache

from flask import current_app
from sqlalchemy import bindparam, func, select

from workcal.calendar import DbCalendar
from core import reference
from core.extensions import db
from workcal.worktime import WorkPeriods
from events import escalation
from events.escalation import Clock, STAGE_OF_STATE
from events.labels import stage_label


@cache
def _ancestors_statement(depth: int):
    """The periods of a region's `depth` ancestors (itself included), nearest first: built
    once a depth (every create and every stage reads it), on first use when the models are
    mapped. One parameter a path, not an expanding list: SQLAlchemy renders an expanding
    IN anew on every execution (~20 µs)."""
    from grid.models import Region
    return (select(Region.path, Region.work_periods)
            .where(Region.path.in_([bindparam(f"path{n}") for n in range(depth)]))
            .order_by(func.length(Region.path).desc()))


@lru_cache(maxsize=256)
def _parsed(spec: tuple, tz: str) -> WorkPeriods:
    return WorkPeriods.parse(list(spec), tz)


def region_periods(town) -> WorkPeriods:
    """The working periods of the nearest region up the tree that sets its own (one query:
    an ancestor's path is a prefix of the town's), kept while the reference data stays the
    same (core.reference)."""
    config = current_app.config
    key = (town.path, config["LOCAL_TIMEZONE"], tuple(config["WORK_PERIODS"]))
    return reference.kept("region.periods", key, lambda: _read_periods(town))


def _read_periods(town) -> WorkPeriods:
    tz = current_app.config["LOCAL_TIMEZONE"]
    parts = town.path.rstrip("/").split("/")  # "22…/2202…/…/" — ancestors' paths are prefixes
    paths = ["/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]
    # plain rows, read on the session's connection (past the ORM's execution layer)
    ancestors = db.session.connection().execute(
        _ancestors_statement(len(paths)), {f"path{n}": path for n, path in enumerate(paths)}).all()
    own = next((periods for _path, periods in ancestors if periods), None)
    return _parsed(tuple(own or current_app.config["WORK_PERIODS"]), tz)


def ladder_for(urgency: str) -> dict:
    """The ladder a stage clock copies (the ESCALATION_LADDERS setting; 一般 when the
    urgency has none)."""
    ladders = current_app.config["ESCALATION_LADDERS"]
    return ladders.get(urgency) or ladders["一般"]


def clock_of(case) -> Clock:
    """The running stage clock of a case (a model or a row with the clock columns): the
    ladder it copied when the stage started."""
    ladder = case.clock_ladder or ladder_for("一般")
    return Clock(started_at=case.clock_started_at, limit_min=case.clock_limit_min,
                 used_min=case.clock_used_min or 0, kind=case.clock_kind,
                 warn_ratio=ladder["warn_ratio"], delays=tuple(ladder["delays"]))


def _stage_limit(category, stage: str) -> tuple[float, str]:
    if stage == "handle":
        return escalation.limit_minutes(category.limit_value, category.limit_unit)
    kind = "natural" if category.urgency == "紧急" else "work"
    return float(getattr(category, f"{stage}_limit_min")), kind


def _clear(event) -> None:
    event.clock_stage = None
    event.clock_started_at = None
    event.warn_at = event.due_at = event.next_escalation_at = None
    event.deadline_provisional = False


def apply_plan(event, calendar=None, periods=None) -> None:
    """Store warn/due/next-step instants from the clock copied onto the case."""
    calendar = calendar or DbCalendar()
    periods = periods or region_periods(event.town)
    plan = escalation.plan(clock_of(event), calendar, periods)
    event.warn_at, event.due_at = plan.warn_at, plan.due_at
    following = plan.next_step_after(event.escalation_step or 0)
    event.next_escalation_at = following[1] if following else None
    event.deadline_provisional = plan.provisional


def start_stage(event, now: datetime, action: str = "", actor_id: int | None = None) -> None:
    """The case entered a state by `action`: the running stage (if any) is kept as a
    StageRun, then that state's clock starts, or the clock stops if it has none."""
    with db.session.no_autoflush:  # lookups only; the caller flushes the case once
        _end_run(event, now, action, actor_id)
        _start_stage(event, now)


def _end_run(event, now: datetime, action: str, actor_id: int | None) -> None:
    """Keep the running stage's run: what it was allowed and used, and whether in time."""
    from events.models import StageRun
    if event.id is None or event.clock_stage is None or event.clock_limit_min is None:
        return
    if event.clock_started_at is not None:
        used = escalation.used_minutes(clock_of(event), now, DbCalendar(),
                                       region_periods(event.town))
    else:  # ended while suspended: what it had used when paused
        used = event.clock_used_min or 0
    db.session.add(StageRun(
        event=event, seq=event.clock_seq, stage=event.clock_stage,
        department_id=event.department_id, limit_min=event.clock_limit_min, used_min=used,
        due_at=event.due_at, ended_at=now, action=action or "system", actor_id=actor_id,
        is_on_time=used <= event.clock_limit_min))


def _start_stage(event, now: datetime) -> None:
    stage = STAGE_OF_STATE.get(event.state)
    if stage is None:
        _clear(event)
        event.milestones = None if event.state != "closed" else event.milestones
        return
    category = event.category
    limit, kind = _stage_limit(category, stage)
    event.clock_stage = stage
    event.clock_seq = (event.clock_seq or 0) + 1
    event.clock_kind = kind
    event.clock_started_at = now
    event.clock_limit_min = limit
    event.clock_used_min = 0
    event.clock_ladder = dict(ladder_for(category.urgency))
    event.escalation_step = 0
    calendar, periods = DbCalendar(), region_periods(event.town)
    apply_plan(event, calendar, periods)
    if stage == "handle" and category.urgency == "分阶段":
        event.milestones = [{"name": name, "due_at": due.isoformat(), "provisional": provisional}
                            for name, due, provisional in
                            escalation.milestones(now, calendar, periods)]
    elif stage == "handle":
        event.milestones = None


def pause_clock(event, now: datetime) -> None:
    """挂账: keep the minutes used; no deadline runs while suspended."""
    if event.clock_started_at is None:
        return
    calendar = DbCalendar()
    event.clock_used_min = escalation.used_minutes(clock_of(event), now, calendar,
                                                   region_periods(event.town))
    event.clock_started_at = None
    event.warn_at = event.due_at = event.next_escalation_at = None


def resume_clock(event, now: datetime) -> None:
    """Resume: a new deadline from what remains of the limit."""
    if event.clock_stage is None or STAGE_OF_STATE.get(event.state) != event.clock_stage:
        start_stage(event, now, "resume")
        return
    event.clock_started_at = now
    apply_plan(event)


def extend_clock(event, hours: float) -> None:
    """An approved 延期 adds its hours to the running limit (working or natural hours)."""
    if event.clock_started_at is None:
        return
    event.clock_limit_min = (event.clock_limit_min or 0) + hours * 60
    apply_plan(event)


def _recompute(*conditions) -> int:
    """Recompute the stored deadlines of running clocks matching `conditions`."""
    from events.models import Event
    calendar, periods = DbCalendar(), {}
    count = 0
    for event in db.session.scalars(select(Event).where(Event.clock_started_at.is_not(None),
                                                        *conditions)):
        if event.town_id not in periods:
            periods[event.town_id] = region_periods(event.town)
        apply_plan(event, calendar, periods[event.town_id])
        count += 1
    return count


def recompute_provisional() -> int:
    """After a calendar year is entered: the deadlines counted on a Mon–Fri guess."""
    from events.models import Event
    return _recompute(Event.deadline_provisional.is_(True))


def recompute_all_running() -> int:
    """After a calendar day or a region's periods changed: every working-time deadline."""
    from events.models import Event
    return _recompute(Event.clock_kind == "work")


def recompute_after_calendar_change(change: str) -> int:
    """workcal.calendar.calendar_changed's receiver: "year" moves provisional deadlines,
    "days" any running working-time one."""
    return recompute_provisional() if change == "year" else recompute_all_running()


def clock_json(event, now: datetime, stage_names: dict | None = None) -> dict | None:
    """A case's running clock; `stage_names`: the stages' names already translated (a list
    translates them once, not once a row)."""
    if event.clock_stage is None:
        return None
    return clock_fields_json(event.clock_stage, event.clock_started_at, event.due_at,
                             event.warn_at, event.escalation_step, event.state,
                             event.deadline_provisional, now, stage_names)


def clock_fields_json(stage: str, started_at, due_at, warn_at, step, state: str,
                      provisional, now: datetime, stage_names: dict | None = None) -> dict:
    """clock_json from the clock's fields (a list row's)."""
    shown = escalation.signals(now, state, warn_at, due_at, step)
    return {"stage": stage,
            "stage_name": stage_names[stage] if stage_names and stage in stage_names
            else stage_label(stage),
            "started_at": started_at.isoformat() if started_at else None,
            "due_at": due_at.isoformat() if due_at else None,
            "warn_at": warn_at.isoformat() if warn_at else None,
            "level": shown.level,
            "step": step or 0,
            "paused": shown.paused,
            "provisional": bool(provisional),
            "color": shown.color}
