"""escalate_due(now): bring every due case to the ladder step it should be on.

Acts only on rows with next_escalation_at <= now (an index scan: the cost follows the due
cases, not the table). Each (case, stage, step) happens once: the escalation row's unique
key and a guarded UPDATE (WHERE escalation_step = <read>) see to it, with several sweepers
at once — PostgreSQL hands them disjoint rows (FOR UPDATE SKIP LOCKED), SQLite queues them
(BEGIN IMMEDIATE). After downtime each level reached is recorded once, and each recipient
hears once, about the highest level.

A batch is one transaction writing each table once: on PostgreSQL one statement per table
reading the batch from a JSON document (`core.bulk.json_records`); on SQLite executemany, which sqlite3
runs as one prepared statement. Figures at scale: bench/README.md.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Integer, bindparam, select, update

from workcal.calendar import DbCalendar
from core.bulk import bulk_insert, json_records, postgresql
from core.database import write_transaction
from core.extensions import db
from events import escalation
from events.deadlines import clock_of, region_periods
from events.labels import stage_label
from events.models import Category, Escalation, Event, EventLog
from grid.models import Region
from events.signals import StepsReached, cases_changing, steps_reached

EV = Event.__table__
BATCH = 1000
STEP_ACTIONS = {1: "warn", 2: "overdue", 3: "overdue", 4: "overdue"}
STEP_TITLES = {1: "催办", 2: "超期（一级）", 3: "超期（二级·县级督办）", 4: "超期（三级·市级督办）"}


@dataclass
class SweepReport:
    cases: int = 0
    steps: int = 0
    notifications: int = 0
    by_step: dict = field(default_factory=lambda: defaultdict(int))

    def __str__(self) -> str:
        detail = ", ".join(f"{STEP_TITLES[s]} {n}" for s, n in sorted(self.by_step.items()))
        return (f"escalated {self.cases} cases: {self.steps} steps"
                f"{' (' + detail + ')' if detail else ''}, {self.notifications} notifications")


def _due_rows(now: datetime, limit: int):
    query = (select(EV.c.id, EV.c.number, EV.c.state, EV.c.town_id, EV.c.grid_id,
                    EV.c.department_id, EV.c.assignee_id, EV.c.category_id, EV.c.clock_stage,
                    EV.c.clock_seq, EV.c.clock_kind, EV.c.clock_started_at, EV.c.clock_limit_min,
                    EV.c.clock_used_min, EV.c.clock_ladder, EV.c.escalation_step)
             .where(EV.c.next_escalation_at <= now)
             .order_by(EV.c.next_escalation_at).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.execute(query).all()


class _Context:
    """What one sweep looks up once: calendar, periods per town, category names, people.
    Looked up on first use, so a sweep with nothing due runs one query."""

    def __init__(self):
        self.calendar = DbCalendar()
        self._periods = {}
        #: what steps_reached's receivers look up once per sweep (people, addresses)
        self.cache = {}

    @cached_property
    def categories(self):
        return dict(db.session.execute(select(Category.id, Category.name)).all())

    def periods(self, town_id):
        if town_id not in self._periods:
            self._periods[town_id] = region_periods(db.session.get(Region, town_id))
        return self._periods[town_id]


def _plan(row, context):
    return escalation.plan(clock_of(row), context.calendar, context.periods(row.town_id))


def _advance(updates: list[dict]) -> None:
    """The guarded UPDATE: a case moves on only from the step that was read."""
    if postgresql():
        updates = sorted(updates, key=lambda row: row["b_id"])  # walk the pkey in order
        v = json_records({"b_id": Integer(), "b_old": Integer(), "b_step": Integer(),
                     "b_next": EV.c.next_escalation_at.type}, updates)
        db.session.execute(
            update(EV).where(EV.c.id == v.c.b_id, EV.c.escalation_step == v.c.b_old)
            .values(escalation_step=v.c.b_step, next_escalation_at=v.c.b_next,
                    version=EV.c.version + 1))
        return
    db.session.execute(
        update(EV).where(EV.c.id == bindparam("b_id"), EV.c.escalation_step == bindparam("b_old"))
        .values(escalation_step=bindparam("b_step"), next_escalation_at=bindparam("b_next"),
                version=EV.c.version + 1), updates)


def _insert_escalations(rows: list[dict]) -> set[tuple[int, int]]:
    """Insert ladder steps; returns the (event_id, step) pairs that were new."""
    if not rows:
        return set()
    table = Escalation.__table__
    result = bulk_insert(table, rows, returning=(table.c.event_id, table.c.step),
                     skip_conflicts=True)
    return {(r.event_id, r.step) for r in result.all()}


def _sweep_batch(now: datetime, context: _Context, report: SweepReport) -> int:
    rows = _due_rows(now, BATCH)
    if not rows:
        return 0
    tz = ZoneInfo(current_app.config["LOCAL_TIMEZONE"])
    escalations, updates, plans = [], [], {}
    for row in rows:
        if row.clock_started_at is None:  # paused or stopped: nothing runs
            updates.append({"b_id": row.id, "b_old": row.escalation_step,
                            "b_step": row.escalation_step, "b_next": None})
            continue
        plan = _plan(row, context)
        target = max(plan.step_at(now), row.escalation_step)
        following = plan.next_step_after(target)
        plans[row.id] = (row, plan, target)
        updates.append({"b_id": row.id, "b_old": row.escalation_step, "b_step": target,
                        "b_next": following[1] if following else None})
        for step in range(row.escalation_step + 1, target + 1):
            escalations.append({"event_id": row.id, "clock_seq": row.clock_seq,
                                "stage": row.clock_stage, "step": step,
                                "due_at": plan.due_at, "created_at": now})
    # a case falling overdue becomes 应结案 (dashboard/rollups.py reads its facts first)
    cases_changing.send(None, ids=[row.id for row, _plan, target in plans.values()
                                   if row.escalation_step < escalation.OVERDUE_1 <= target])
    _advance(updates)
    new_steps = _insert_escalations(escalations)
    logs, announced = [], []
    reached = defaultdict(list)
    for event_id, step in new_steps:
        reached[event_id].append(step)
    for event_id, steps in reached.items():
        row, plan, _target = plans[event_id]
        due_local = plan.due_at.astimezone(tz).strftime("%m-%d %H:%M")
        stage = stage_label(row.clock_stage)
        for step in sorted(steps):
            logs.append({"event_id": event_id, "actor_id": None, "actor_label": "系统",
                         "action": STEP_ACTIONS[step], "from_state": row.state,
                         "to_state": row.state, "created_at": now,
                         "note": f"{STEP_TITLES[step]}：{stage}时限 {due_local}",
                         "data": {"step": step, "level": escalation.overdue_level(step),
                                  "stage": row.clock_stage, "due_at": plan.due_at.isoformat()}})
            report.by_step[step] += 1
        top = max(steps)
        subject = (f"【{STEP_TITLES[top]}】{row.number} {context.categories.get(row.category_id, '')}"
                   f" {stage}时限 {due_local}")
        announced.append(StepsReached(
            case=row, steps=tuple(sorted(steps)), kind=STEP_ACTIONS[top], subject=subject,
            data={"step": top, "number": row.number, "stage": row.clock_stage}))
        report.cases += 1
        report.steps += len(steps)
    if logs:
        bulk_insert(EventLog.__table__, logs)
    if announced:  # notify/ writes the notices, in this transaction
        for _receiver, written in steps_reached.send(context, reached=announced, now=now,
                                                     cache=context.cache):
            report.notifications += written or 0
    return len(rows)


def escalate_due(now: datetime) -> SweepReport:
    """Sweep in batches, one transaction each, until nothing is due at `now`."""
    report = SweepReport()
    context = _Context()
    while True:
        with write_transaction():  # a batch is one unit of work
            count = _sweep_batch(now, context, report)
        if count < BATCH:
            return report
