"""Late snow tasks climb the escalation ladder (issue 14), in the scheduler's round like
cases do: step 1 催办 at the warning share of the time from the snow's stop to the task's
deadline, 2 超期 at the deadline, 3 and 4 after the 紧急 ladder's further delays (natural
minutes: snow is cleared at night too). Each step is inserted once (ON CONFLICT DO
NOTHING, so two schedulers cannot both announce it) and told, as cases are
(ESCALATION_RECIPIENTS, ESCALATION_CHANNELS): 1 the grid's workers and the department
clearing it, 2 the town's dispatchers and that department's head, 3 the county's
supervisors, 4 the city's."""
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from core.bulk import bulk_insert
from core.database import write_transaction
from core.extensions import db
from notify.audience import Audience
from notify.models import Notification
from notify.services import notification_rows
from snow.models import SnowEscalation, SnowOperation, SnowTask
from snow.services import responsible_department

LADDER = "紧急"
STEP_WORDS = {1: "催办", 2: "超期（一级）", 3: "超期（二级）", 4: "超期（三级）"}


@dataclass(frozen=True)
class _Row:
    """What notify.audience asks of a case, for a snow task."""
    town_id: int
    grid_id: int
    department_id: int | None
    category_id: int | None = None
    clock_stage: str = "handle"
    assignee_id: int | None = None


def step_times(stopped_at: datetime, due_at: datetime, ladder: dict) -> dict[int, datetime]:
    span = due_at - stopped_at
    times = {1: stopped_at + span * ladder["warn_ratio"]}
    for step, delay in enumerate(ladder["delays"], start=2):
        times[step] = due_at + timedelta(minutes=delay)
    return times


def escalate_snow(now: datetime) -> str:
    """One round: every late step of every running operation's uncleared tasks."""
    ladder = current_app.config["ESCALATION_LADDERS"][LADDER]
    with write_transaction():
        rows = db.session.execute(
            select(SnowTask, SnowOperation.stopped_at)
            .join(SnowOperation, SnowOperation.id == SnowTask.operation_id)
            .where(SnowOperation.ended_at.is_(None), SnowOperation.stopped_at.is_not(None),
                   SnowTask.state != "cleared", SnowTask.due_at.is_not(None))).all()
        reached, tasks = [], {}
        done = set(db.session.execute(select(SnowEscalation.task_id, SnowEscalation.step)
                                      .where(SnowEscalation.task_id.in_([t.id for t, _ in rows]))))
        for task, stopped_at in rows:
            for step, moment in step_times(stopped_at, task.due_at, ladder).items():
                if moment <= now and (task.id, step) not in done:
                    reached.append({"task_id": task.id, "step": step, "reached_at": now})
                    tasks[task.id] = task
        if not reached:
            return "snow: nothing late"
        table = SnowEscalation.__table__
        new = bulk_insert(table, reached, returning=(table.c.task_id, table.c.step),
                          skip_conflicts=True).all()
        told = _announce([(tasks[r.task_id], r.step) for r in new], now)
    return f"snow: {len(new)} steps, {told} notices"


def _announce(steps, now: datetime) -> int:
    if not steps:
        return 0
    audience, zone = Audience(), ZoneInfo(current_app.config["LOCAL_TIMEZONE"])
    rows = []
    for task, step in sorted(steps, key=lambda pair: (pair[0].id, pair[1])):
        department = responsible_department(task)
        row = _Row(town_id=task.town_id, grid_id=task.grid_id,
                   department_id=department.id if department else None)
        people = audience.for_step(step, row)
        if step == 1:  # the grid's own people clear it with the department
            people |= audience.workers[task.grid_id]
        due = task.due_at.astimezone(zone)
        subject = _("【%(step)s】清雪：%(grid)s 应于 %(due)s 前清除，尚未完成",
                    step=STEP_WORDS[step], grid=task.grid.name,
                    due=f"{due.month}月{due.day}日 {due:%H:%M}")
        rows += notification_rows(people, step, kind="snow." + ("warning" if step == 1
                                                                else "overdue"),
                                  event_id=None, subject=subject, now=now,
                                  data={"snow_operation_id": task.operation_id,
                                        "snow_task_id": task.id, "step": step},
                                  emails=audience.emails)
    if rows:
        bulk_insert(Notification.__table__, rows)
    return len(rows)
