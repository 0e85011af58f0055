"""Delivering the outbox after commit: e-mail over SMTP, webhooks as JSON POSTs.

Runs in the scheduler process. A failure never loses the row: it is retried with backoff
and, after the last attempt, kept as `failed` with its error.
"""
import json
import smtplib
import urllib.request
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app
from sqlalchemy import or_, select, update

from auth.models import User
from core.database import end_read, write_transaction
from core.extensions import db
from notify.models import Notification

#: minutes to wait before attempt 2, 3, …
BACKOFF_MINUTES = (1, 5, 30, 120, 720)


def send_email(notification: Notification) -> None:
    config = current_app.config
    user = db.session.get(User, notification.user_id)
    if user is None or not user.email:
        raise RuntimeError("recipient has no e-mail address")
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = user.email
    message["Subject"] = notification.subject
    message["Date"] = formatdate(localtime=False)
    # one id per notification: a delivery repeated after a crash (sent, not yet marked
    # sent) carries the same id, so a mail server or client can drop the copy
    domain = config["MAIL_FROM"].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<gridgov.notification.{notification.id}@{domain}>"
    message.set_content(notification.body or notification.subject)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)


def send_webhook(notification: Notification) -> None:
    """The text message shape group-chat robots (企业微信, 钉钉) accept, plus our fields."""
    text = notification.subject + (f"\n{notification.body}" if notification.body else "")
    payload = {"msgtype": "text", "text": {"content": text},
               "gridgov": {"kind": notification.kind, "event_id": notification.event_id,
                           **(notification.data or {})}}
    request = urllib.request.Request(
        current_app.config["WEBHOOK_URL"], data=json.dumps(payload, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status >= 300:
            raise RuntimeError(f"webhook answered {response.status}")


CHANNELS = {"email": send_email, "webhook": send_webhook}


def deliver_pending(now: datetime, limit: int = 200) -> tuple[int, int]:
    """Try every due pending row once; returns (sent, failed attempts)."""
    ids = db.session.scalars(select(Notification.id).where(
        Notification.status == "pending",
        or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
        .order_by(Notification.id).limit(limit)).all()
    end_read()
    sent = failed = 0
    max_attempts = current_app.config["NOTIFY_MAX_ATTEMPTS"]
    for notification_id in ids:
        if not claim(notification_id, now):
            continue  # another scheduler took it (two started by mistake)
        notification = db.session.get(Notification, notification_id)
        problem = None
        try:  # the side effect, outside any writing transaction
            CHANNELS[notification.channel](notification)
        except Exception as error:  # any failure: keep the row, try again later
            problem = f"{type(error).__name__}: {error}"[:2000]  # not the error: it may hold a socket
        with write_transaction():
            notification = db.session.get(Notification, notification_id)
            failed += _record_attempt(notification, problem, now, max_attempts)
        sent += problem is None
    return sent, failed


#: a claimed row is due again after this (its sender died before recording the attempt):
#: at-least-once, the copy carrying the same Message-ID
CLAIM_LEASE = timedelta(minutes=5)


def claim(notification_id: int, now: datetime) -> bool:
    """Take a due pending row for this sender: one UPDATE that moves its next attempt past
    the lease, so whoever else reads it as due meanwhile finds it taken (one winner on both
    engines: the row is updated under the writer's lock)."""
    with write_transaction():
        taken = db.session.execute(
            update(Notification).where(
                Notification.id == notification_id, Notification.status == "pending",
                or_(Notification.next_attempt_at.is_(None), Notification.next_attempt_at <= now))
            .values(next_attempt_at=now + CLAIM_LEASE)
            .execution_options(synchronize_session=False)).rowcount
    return taken == 1


def _record_attempt(notification, error: str | None, now: datetime, max_attempts: int) -> int:
    """Store one delivery attempt (`error`: what went wrong, or None); 1 for a failed one."""
    if error is not None:
        notification.attempts += 1
        notification.last_error = error
        if notification.attempts >= max_attempts:
            notification.status = "failed"
            notification.next_attempt_at = None
        else:
            wait = BACKOFF_MINUTES[min(notification.attempts - 1, len(BACKOFF_MINUTES) - 1)]
            notification.next_attempt_at = now + timedelta(minutes=wait)
        return 1
    notification.attempts += 1
    notification.status = "sent"
    notification.sent_at = now
    return 0
