"""Hand-offs (交办提醒): whoever a case now waits on is told, in the unit of work that
moved it (issue 9). events/ announces each move when the unit commits
(events.signals.case_moved); this module decides who hears, by the NOTIFY_HANDOFFS
setting, and writes the outbox rows, which the e-mail and webhook channels then carry
with the usual retries.

A task names the state it waits on (`data.state`): when the case has left that state the
task is shown as done, so a handler never acts twice on one note."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, event as sa_event, select
from sqlalchemy.orm import Session

from auth.models import User
from core.bulk import bulk_insert
from core.extensions import db
from core.rows import driver_rows
from events import lifecycle
from grid.models import GridMember
from notify.models import Notification
from notify.services import notification_rows

TASK = "task."
#: per hand-off kind: its title in a subject, and the state the case waits in meanwhile
KINDS = {
    "verify": ("待核实", lifecycle.REPORTED),
    "dispatch": ("待派遣", lifecycle.FILED),
    "returned": ("已回退·待再派遣", lifecycle.FILED),
    "accept": ("待签收", lifecycle.DISPATCHED),
    "extension": ("延期申请·待审批", lifecycle.ACCEPTED),
    "extension_approved": ("延期已批准", None),
    "extension_denied": ("延期未批准", None),
    "check": ("待核查", lifecycle.HANDLED),
    "unsatisfied": ("群众不满意", None),
    "supervise": ("督办", None),
}
#: kinds that are alerts (提醒: to know, nothing to do), not tasks: their rows carry the
#: bare kind, and never wait on a state
ALERTS = {"supervise", "extension_approved", "extension_denied", "unsatisfied"}
#: what each move hands on, by action (a report by the state it lands in)
BY_ACTION = {"verify": "dispatch", "return": "returned", "dispatch": "accept",
             "rework": "accept", "reopen": "accept", "request_extension": "extension",
             "approve_extension": "extension_approved", "deny_extension": "extension_denied",
             "handle": "check", "supervise": "supervise"}
BY_NEW_REPORT = {lifecycle.REPORTED: "verify", lifecycle.FILED: "dispatch"}


def kind_of(action: str, to_state: str) -> str | None:
    if action == "create":
        return BY_NEW_REPORT.get(to_state)
    return BY_ACTION.get(action)


def is_done(notification, event) -> bool:
    """A task about a case that has moved on since (someone acted on it): its state or its
    stage clock (a case returned and dispatched elsewhere is a new stage, not the old
    department's task again)."""
    if not notification.kind.startswith(TASK) or event is None:
        return False
    data = notification.data or {}
    waited = data.get("state")
    if waited is None:
        return False
    if notification.kind == TASK + "extension":
        return event.extension_requested_hours is None
    stage = data.get("clock_seq")
    return event.state != waited or (stage is not None and event.clock_seq != stage)


def _enabled(*conditions):
    return select(User.id).where(User.is_enabled.is_(True), *conditions)


#: each rule's statement, built once with the case's key it needs as its one parameter
#: (hand-offs are written under the write lock: a statement rebuilt per case costs its
#: cache key each time); a case without that key has nobody under the rule
_AUDIENCES = {
    "grid_workers": ("grid_id", select(GridMember.user_id).join(User).where(
        GridMember.grid_id == bindparam("grid_id"), User.role == "grid_worker",
        User.is_enabled.is_(True))),
    "town_dispatchers": ("town_id", _enabled(User.role == "dispatcher",
                                             User.region_id == bindparam("town_id"))),
    "department_handlers": ("department_id", _enabled(
        User.role == "handler", User.department_id == bindparam("department_id"))),
    "department_heads": ("department_id", _enabled(
        User.role == "handler", User.department_id == bindparam("department_id"),
        User.is_department_head.is_(True))),
    "assignee": ("assignee_id", _enabled(User.id == bindparam("assignee_id"))),
}


#: session.info: who each rule names for a case about to be stored, read before its unit
#: of work by read_ahead, used by the unit's announcement and then dropped
_READ_AHEAD = "gridgov.audiences"


def read_ahead(_sender, *, event) -> None:
    """events.signals.case_drafted's receiver: the people a new case's hand-off will name,
    read before its unit of work (no lock held), so the announcement under the lock reads
    no one (a create: the town's dispatchers). Kept in the session for that unit only."""
    kind = kind_of("create", event.state)
    setting = current_app.config["NOTIFY_HANDOFFS"].get(kind) if kind else None
    if not setting:
        return
    known = {}
    for rule in setting["to"]:
        audience(rule, event, known)
    db.session.info[_READ_AHEAD] = known


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget(session, _previous_transaction) -> None:
    session.info.pop(_READ_AHEAD, None)  # a unit that rolls back announces nothing


def audience(rule: str, event, known: dict | None = None) -> set[int]:
    """The people a rule names for one case; with `known`, each rule's answer is kept there
    (read_ahead)."""
    if rule == "verifiers":  # who verifies a report of this category (Category.verifier)
        dispatchers = event.category is not None and event.category.dispatcher_verifies
        return audience("town_dispatchers" if dispatchers else "grid_workers", event, known)
    if rule == "holder":
        return audience(HOLDERS.get(event.state, "town_dispatchers"), event, known)
    if rule not in _AUDIENCES:
        return set()
    key, statement = _AUDIENCES[rule]
    value = getattr(event, key)
    if not value:
        return set()
    ahead = db.session.info.get(_READ_AHEAD)
    if known is None and ahead is not None and (rule, value) in ahead:
        return set(ahead[rule, value])
    people = {row[0] for row in driver_rows(db.session.connection(), statement, {key: value})}
    if known is not None:
        known[rule, value] = frozenset(people)
    return people


#: who holds a case in each state (督办's default recipient)
HOLDERS = {lifecycle.REPORTED: "verifiers", lifecycle.FILED: "town_dispatchers",
           lifecycle.DISPATCHED: "department_handlers", lifecycle.ACCEPTED: "assignee",
           lifecycle.HANDLED: "grid_workers", lifecycle.SUSPENDED: "town_dispatchers"}


def handoff_rows(event, kind: str, now, *, actor_id=None, note: str = "",
                 deadline: str | None = None, to: list[str] | None = None) -> list[dict]:
    """The outbox rows of one hand-off; `to` (audience names) overrides the setting's (a
    督办 addressed by its issuer)."""
    setting = current_app.config["NOTIFY_HANDOFFS"].get(kind)
    if not setting:
        return []
    title, waits_in = KINDS[kind]
    people = set()
    for rule in to or setting["to"]:
        people |= audience(rule, event)
    people.discard(actor_id)  # nobody is told of their own step
    if not people:
        return []
    category = event.category.name if event.category is not None else ""
    subject = f"【{title}】{event.number} {category} · {event.grid.name}"
    if deadline:
        subject += f"（限 {deadline} 前）"
    return notification_rows(people, None, kind=kind if kind in ALERTS else TASK + kind,
                             event_id=event.id,
                             subject=subject[:200], body=(note or "")[:500], now=now,
                             data={"number": event.number, "state": waits_in,
                                   "clock_seq": event.clock_seq},
                             channels=list(setting["channels"]))


def announce_moves(_sender, *, moves) -> None:
    """events.signals.case_moved's receiver: one task per hand-off, written in the unit."""
    try:
        _announce_moves(moves)
    finally:
        db.session.info.pop(_READ_AHEAD, None)  # read for this unit only


def _announce_moves(moves) -> None:
    latest = {}  # the latest move of a kind per case speaks (a unit may move a case often)
    for event, log in moves:
        kind = kind_of(log.action, log.to_state)
        if kind is not None:
            latest.pop((event.id, kind), None)
            latest[event.id, kind] = (event, log, kind)
    rows = []
    for event, log, kind in latest.values():
        waits_in = KINDS[kind][1]
        if waits_in is not None and (event.state != waits_in or (
                kind == "extension" and event.extension_requested_hours is None)):
            continue  # moved on within the same unit (e.g. filed, then dispatched)
        data = log.data or {}
        rows += handoff_rows(event, kind, log.created_at, actor_id=log.actor_id,
                             note=log.note or "", deadline=_local(data.get("deadline")),
                             to=data.get("recipients") if kind == "supervise" else None)
    if rows:
        bulk_insert(Notification.__table__, rows)


def _local(instant: str | None) -> str | None:
    """A stored ISO instant as the towns' local "MM-DD HH:MM" (a subject line)."""
    if not instant:
        return None
    zone = ZoneInfo(current_app.config["LOCAL_TIMEZONE"])
    return datetime.fromisoformat(instant).astimezone(zone).strftime("%m-%d %H:%M")


def notify_unsatisfied(event, now, comment: str) -> None:
    """A resident rated the result 不满意: the town's dispatchers hear (portal/ calls this)."""
    rows = handoff_rows(event, "unsatisfied", now, note=comment)
    if rows:
        bulk_insert(Notification.__table__, rows)
