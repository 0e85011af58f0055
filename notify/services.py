"""Queueing notifications: rows in the caller's transaction, one per recipient and channel."""
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select, update

from auth.models import User
from core.extensions import db
from notify.models import Notification


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


def unread_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.channel == "in_app",
        Notification.read_at.is_(None))) or 0


def inbox(user, limit=50):
    return db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.channel == "in_app")
        .order_by(Notification.id.desc()).limit(limit)).all()


def mark_read(user, now: datetime, ids=None) -> int:
    statement = update(Notification).where(
        Notification.user_id == user.id, Notification.channel == "in_app",
        Notification.read_at.is_(None))
    if ids is not None:
        statement = statement.where(Notification.id.in_(ids))
    return db.session.execute(statement.values(read_at=now)).rowcount
