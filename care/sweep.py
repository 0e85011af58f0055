"""Late visits climb a ladder (issue 14), in the scheduler's round like cases and snow
tasks: 1 催办 on the day a visit is due (the grid's workers), 2 超期 the day after (the
workers and the town's dispatchers), 3 督办 a week after (the dispatchers and the county's
supervisors). CARE_ESCALATION_DAYS sets the days. Each step of each due day is inserted
once (ON CONFLICT DO NOTHING: two schedulers cannot both announce it); a person reached by
several steps at once hears of the highest.

Notices name the person masked (张**) and go in the app and by e-mail, never to the webhook:
the register does not leave the system. Supervisors' notices name only the grid and the
delay, and point at the coverage page."""
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from care.models import CareEscalation, CarePerson
from events.filters import local_day
from core.bulk import bulk_insert
from core.database import write_transaction
from core.extensions import db
from notify.audience import Audience
from notify.models import Notification
from notify.services import notification_rows

STEP_WORDS = {1: "催办", 2: "超期", 3: "督办"}
CHANNELS = ["in_app", "email"]


def masked(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1)


def escalate_care(now: datetime) -> str:
    days = current_app.config["CARE_ESCALATION_DAYS"]
    today = local_day(now)
    with write_transaction():
        people = db.session.scalars(select(CarePerson).where(
            CarePerson.left_on.is_(None), CarePerson.next_due_on <= today - timedelta(
                days=min(days.values())))).all()
        if not people:
            return "care: nothing due"
        done = set(db.session.execute(
            select(CareEscalation.person_id, CareEscalation.due_on, CareEscalation.step)
            .where(CareEscalation.person_id.in_([p.id for p in people]))))
        reached = []
        for person in people:
            for step, after in sorted(days.items()):
                if person.next_due_on + timedelta(days=after) <= today and (
                        person.id, person.next_due_on, step) not in done:
                    reached.append({"person_id": person.id, "due_on": person.next_due_on,
                                    "step": step, "reached_at": now})
        if not reached:
            return "care: nothing new"
        table = CareEscalation.__table__
        new = bulk_insert(table, reached, returning=(table.c.person_id, table.c.step),
                          skip_conflicts=True).all()
        steps: dict[int, list[int]] = {}
        for row in new:
            steps.setdefault(row.person_id, []).append(row.step)
        by_id = {person.id: person for person in people}
        told = _announce([(by_id[pid], sorted(s)) for pid, s in steps.items()], today, now)
    return f"care: {len(new)} steps, {told} notices"


def _announce(items, today, now: datetime) -> int:
    audience, rows = Audience(), []
    for person, steps in sorted(items, key=lambda item: item[0].id):
        top = steps[-1]
        workers = audience.workers[person.grid_id]
        dispatchers = audience.dispatchers[person.town_id]
        seeing, supervisors = set(workers), set()
        if top >= 2:
            seeing |= dispatchers
        if top >= 3:
            supervisors = {uid for uid, path, level in audience.supervisors
                           if level == "county"
                           and audience.town_paths.get(person.town_id, "").startswith(path)}
        late = (today - person.next_due_on).days
        due = f"{person.next_due_on.month}月{person.next_due_on.day}日"
        subject = (_("【催办】巡访：%(name)s（%(grid)s）今天应走访", name=masked(person.name),
                     grid=person.grid.name) if top == 1 else
                   _("【%(step)s】巡访：%(name)s（%(grid)s）应于 %(due)s 走访，已超期 %(n)s 天",
                     step=STEP_WORDS[top], name=masked(person.name), grid=person.grid.name,
                     due=due, n=late))
        data = {"care_person_id": person.id, "step": top, "due_on": person.next_due_on.isoformat()}
        kind = "care.warning" if top == 1 else "care.overdue"
        # workers to the phone's list, dispatchers to the record
        for people, url in ((workers, f"/field/care#p{person.id}"),
                            (seeing - workers, f"/care/people/{person.id}")):
            rows += notification_rows(people, top, kind=kind, event_id=None, subject=subject,
                                      now=now, data={**data, "url": url}, channels=CHANNELS,
                                      emails=audience.emails)
        if supervisors - seeing:  # the grid and the delay only: supervisors see no person
            rows += notification_rows(
                supervisors - seeing, top, kind=kind, event_id=None, now=now,
                subject=_("【督办】巡访：%(grid)s 有留守老人走访超期 %(n)s 天",
                          grid=person.grid.name, n=late),
                data={"step": top, "grid_code": person.grid.code, "url": "/care"},
                channels=CHANNELS, emails=audience.emails)
    if rows:
        bulk_insert(Notification.__table__, rows)
    return len(rows)
