"""Who hears about a ladder step, per the ESCALATION_RECIPIENTS setting."""
from collections import defaultdict

from flask import current_app
from sqlalchemy import select

from auth.models import User
from core.extensions import db
from events.models import Category
from grid.models import GridMember, Region
from notify.services import notification_rows, users_with_email


class Audience:
    """Loads the people once per sweep and answers `for_step(step, case_row)`."""

    def __init__(self):
        users = db.session.execute(select(
            User.id, User.role, User.region_id, User.department_id, User.is_department_head)
            .where(User.is_enabled.is_(True))).all()
        self.dispatchers, self.handlers, self.heads = (defaultdict(set) for _ in range(3))
        supervisor_regions = []
        for user in users:
            if user.role == "dispatcher":
                self.dispatchers[user.region_id].add(user.id)
            elif user.role == "handler":
                self.handlers[user.department_id].add(user.id)
                if user.is_department_head:
                    self.heads[user.department_id].add(user.id)
            elif user.role == "supervisor" and user.region_id:
                supervisor_regions.append((user.id, user.region_id))
        #: categories whose reports the town's dispatchers verify (其他问题)
        self.dispatcher_verified = set(db.session.scalars(
            select(Category.id).where(Category.verifier == "dispatcher")))
        self.workers = defaultdict(set)
        for grid_id, user_id in db.session.execute(
                select(GridMember.grid_id, GridMember.user_id).join(User)
                .where(User.is_enabled.is_(True), User.role == "grid_worker")):
            self.workers[grid_id].add(user_id)
        regions = {r.id: r for r in db.session.execute(
            select(Region.id, Region.path, Region.level).where(
                Region.level.in_(("province", "city", "county", "town")))).all()}
        self.town_paths = {rid: r.path for rid, r in regions.items() if r.level == "town"}
        self.supervisors = [(uid, regions[rid].path, regions[rid].level)
                            for uid, rid in supervisor_regions if rid in regions]
        self.rules = current_app.config["ESCALATION_RECIPIENTS"]
        #: who has an e-mail address: one query per sweep, not one per case
        self.emails = users_with_email()

    def _waiting_on(self, row) -> set[int]:
        """The people the stage waits on, when nobody is assigned."""
        if row.clock_stage == "verify" and row.category_id in self.dispatcher_verified:
            return self.dispatchers[row.town_id]
        if row.clock_stage in ("verify", "check"):
            return self.workers[row.grid_id]
        if row.clock_stage == "dispatch":
            return self.dispatchers[row.town_id]
        return self.handlers[row.department_id] if row.department_id else set()

    def _supervisors(self, row, level: str) -> set[int]:
        path = self.town_paths.get(row.town_id, "")
        return {uid for uid, spath, slevel in self.supervisors
                if slevel == level and path.startswith(spath)}

    def for_step(self, step: int, row) -> set[int]:
        people = set()
        for rule in self.rules.get(step, ()):
            if rule == "assignee":
                # the handler who signed, while handling; otherwise whoever the stage waits on
                signed = row.clock_stage == "handle" and row.assignee_id
                people |= {row.assignee_id} if signed else self._waiting_on(row)
            elif rule == "town_dispatchers":
                people |= self.dispatchers[row.town_id]
            elif rule == "department_heads" and row.department_id:
                people |= self.heads[row.department_id] or self.handlers[row.department_id]
            elif rule == "county_supervisors":
                people |= self._supervisors(row, "county")
            elif rule == "city_supervisors":
                people |= self._supervisors(row, "city")
        return people


def announce_steps(sweep, *, reached, now, cache) -> int:
    """events.signals.steps_reached's receiver: the notices for a sweep batch, written in
    its transaction — each person once per case, about the highest step reached."""
    from core.bulk import bulk_insert
    from notify.models import Notification
    audience = cache.get("notify.audience")
    if audience is None:
        audience = cache["notify.audience"] = Audience()
    rows = []
    for item in reached:
        recipients = set()
        for step in item.steps:
            recipients |= audience.for_step(step, item.case)
        rows += notification_rows(recipients, item.steps[-1], kind=item.kind,
                                  event_id=item.case.id, subject=item.subject, now=now,
                                  data=item.data, emails=audience.emails)
    if rows:
        bulk_insert(Notification.__table__, rows)
    return len(rows)
