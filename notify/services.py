"""Queueing notifications: rows in the caller's transaction, one per recipient and channel."""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, func, select, text, update

from auth.models import User
from core.extensions import db
from core.rows import driver_rows
from notify.models import UNREAD, UNREAD_ALERTS, UNREAD_TASKS, Notification

#: the bell shows up to 99 of each and "99+" beyond
BELL_CAP = 99


def _channels(step: int | None, channels=None) -> list[str]:
    wanted = channels or current_app.config["ESCALATION_CHANNELS"].get(step, ["in_app"])
    config = current_app.config
    usable = {"in_app": True, "email": bool(config["SMTP_HOST"]),
              "webhook": bool(config["WEBHOOK_URL"])}
    return [channel for channel in wanted if usable.get(channel)]


def users_with_email(user_ids=None) -> set[int]:
    query = select(User.id).where(User.email.is_not(None), User.email != "")
    if user_ids is not None:
        query = query.where(User.id.in_(user_ids))
    return set(db.session.scalars(query))


def notification_rows(recipients, step, *, kind, event_id, subject, now, data, body="",
                      channels=None, emails: set[int] | None = None) -> list[dict]:
    """Outbox rows (for a bulk insert): in-app rows are delivered by being written; e-mail
    rows only for people with an address (`emails`, looked up when not given); one
    webhook row per message."""
    wanted = _channels(step, channels)
    if "email" not in wanted or not recipients:
        emails = set()
    elif emails is None:
        emails = users_with_email(recipients)
    base = {"kind": kind, "event_id": event_id, "subject": subject, "body": body, "data": data,
            "created_at": now, "attempts": 0, "last_error": "", "read_at": None}
    rows = []
    for user_id in sorted(recipients):
        if "in_app" in wanted:
            rows.append({**base, "user_id": user_id, "channel": "in_app", "status": "sent",
                         "sent_at": now, "next_attempt_at": None})
        if "email" in wanted and user_id in emails:
            rows.append({**base, "user_id": user_id, "channel": "email", "status": "pending",
                         "sent_at": None, "next_attempt_at": now})
    if "webhook" in wanted:
        rows.append({**base, "user_id": None, "channel": "webhook", "status": "pending",
                     "sent_at": None, "next_attempt_at": now})
    return rows


def notify(recipients, *, kind, subject, now: datetime, body="", event_id=None, data=None,
           channels=("in_app", "email")) -> int:
    rows = notification_rows(recipients, None, kind=kind, event_id=event_id, subject=subject,
                             now=now, data=data or {}, body=body, channels=list(channels))
    for row in rows:
        db.session.add(Notification(**row))
    db.session.flush()
    return len(rows)


def _unread(where: str, cap: int | None = None):
    rows = select(Notification.id).where(Notification.user_id == bindparam("user_id"),
                                         text(where))
    if cap is not None:
        rows = rows.limit(cap + 1)
    return select(func.count()).select_from(rows.subquery()).scalar_subquery()


_UNREAD_OF = {"tasks": UNREAD_TASKS, "alerts": UNREAD_ALERTS}


def _unread_of(kind: str | None) -> list[str]:
    """The partial indexes' terms for a tab: tasks, alerts, or (any other) both."""
    return [_UNREAD_OF[kind]] if kind in _UNREAD_OF else list(_UNREAD_OF.values())

#: each count read from its partial index (notify.models); the capped ones stop at cap + 1
_COUNTS = {cap: select(_unread(UNREAD_TASKS, cap), _unread(UNREAD_ALERTS, cap))
           for cap in (None, BELL_CAP)}


def unread_counts(user, *, cap: int | None = None) -> dict:
    """The bell: unread tasks (待办: hand-offs) and alerts (提醒: 催办/超期/督办 and notices).
    With cap=BELL_CAP each count stops at 100 (shown as "99+"): every page's menu then reads
    at most that many index entries, however many a busy dispatcher has left unread."""
    # on the driver (core.rows.driver_rows): two numbers, nothing for SQLAlchemy's execution
    ((tasks, alerts),) = driver_rows(db.session.connection(), _COUNTS[cap], {"user_id": user.id})
    return {"tasks": tasks, "alerts": alerts}


def badge(count: int) -> str:
    """A count as the bell shows it."""
    return f"{BELL_CAP}+" if count > BELL_CAP else str(count)


@dataclass(frozen=True)
class InboxItem:
    notification: Notification
    done: bool  # a task about a case that has moved on since

    def __getattr__(self, name):
        return getattr(self.notification, name)


def inbox(user, limit=50, *, unread_only=False, kind: str | None = None) -> list[InboxItem]:
    """Newest first; each task marked done when its case has left the state it waited in."""
    from events.models import Event
    from notify.handoffs import is_done
    query = select(Notification).where(Notification.user_id == user.id,
                                       Notification.channel == "in_app")

    def newest(statement):
        return db.session.scalars(statement.order_by(Notification.id.desc()).limit(limit)).all()
    if unread_only:  # newest first from the partial indexes (every kind: from both, merged)
        rows = sorted((row for where in _unread_of(kind)
                       for row in newest(query.where(text(where)))),
                      key=lambda row: row.id, reverse=True)[:limit]
    elif kind == "tasks":
        rows = newest(query.where(Notification.kind.startswith("task.")))
    elif kind == "alerts":
        rows = newest(query.where(~Notification.kind.startswith("task.")))
    else:
        rows = newest(query)
    ids = {row.event_id for row in rows if row.event_id and row.kind.startswith("task.")}
    cases = {case.id: case for case in db.session.execute(
        select(Event.id, Event.state, Event.clock_seq, Event.extension_requested_hours)
        .where(Event.id.in_(ids))).all()} if ids else {}
    return [InboxItem(row, is_done(row, cases.get(row.event_id))) for row in rows]


@dataclass
class InboxGroup:
    """The 消息 page's row: one case's notifications of one kind, newest first."""
    items: list

    @property
    def latest(self) -> InboxItem:
        return self.items[0]

    @property
    def ids(self) -> list[int]:
        return [item.id for item in self.items]

    @property
    def unread(self) -> int:
        return sum(1 for item in self.items if item.read_at is None)


def grouped(items: list[InboxItem]) -> list[InboxGroup]:
    """Group by (case, kind), in the order of each group's newest notification."""
    groups: dict = {}
    for item in items:
        key = (item.event_id, item.kind) if item.event_id else ("id", item.id)
        groups.setdefault(key, InboxGroup([])).items.append(item)
    return list(groups.values())


def mark_read(user, now: datetime, ids=None, *, kind: str | None = None) -> int:
    """Mark the user's unread in-app notifications read: `ids`, or all of a kind (tasks,
    alerts, or both — each from its partial index)."""
    if ids is None:
        return sum(_mark(user, now, where, None) for where in _unread_of(kind))
    return _mark(user, now, _UNREAD_OF.get(kind, UNREAD), ids)


def _mark(user, now: datetime, where: str, ids) -> int:
    statement = update(Notification).where(Notification.user_id == user.id, text(where))
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    return db.session.execute(statement.values(read_at=now)).rowcount
