"""The notification outbox: rows written in the same transaction as what they announce,
delivered after commit by the scheduler process."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db
from core.types import UTCDateTime

#: pending → sent, or pending → (retry) → failed after the last attempt; never deleted
STATUSES = ("pending", "sent", "failed")

#: a person's unread in-app notifications: tasks (待办, the hand-offs) and alerts (提醒). As
#: SQL text, the same in the queries as in the partial indexes below, so that both SQLite
#: and PostgreSQL find the index from the query's own terms.
UNREAD = "channel = 'in_app' AND read_at IS NULL"
UNREAD_TASKS = f"{UNREAD} AND kind LIKE 'task.%'"
UNREAD_ALERTS = f"{UNREAD} AND kind NOT LIKE 'task.%'"


def _unread_index(name: str, where: str) -> Index:
    """Only the unread rows of one kind, newest last: the bell counts them and the unread
    tab lists them without reading a busy dispatcher's thousands of others."""
    return Index(name, "user_id", "id", sqlite_where=text(where), postgresql_where=text(where))


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),
                      # a person's messages newest first (the unread ones: below)
                      Index("ix_notification_inbox", "user_id", "id"),
                      _unread_index("ix_notification_unread_tasks", UNREAD_TASKS),
                      _unread_index("ix_notification_unread_alerts", UNREAD_ALERTS))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the recipient; None for a channel that is not a person (a group chat webhook)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    channel: Mapped[str] = mapped_column(String(16))  # in_app / email / webhook
    kind: Mapped[str] = mapped_column(String(32))  # warning / overdue / digest / calendar
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User")
