"""AuditEntry: one admin change."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.extensions import db
from core.types import UTCDateTime


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_at", "at"),
                      Index("ix_audit_entry_kind_at", "kind", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None: the command line (flask --app wsgi …) or the system
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    #: the actor's name as it was (a renamed user's old entries keep the old name)
    actor_name: Mapped[str] = mapped_column(String(64))
    #: what was changed: user, department, category, routing, grid, region, calendar …
    kind: Mapped[str] = mapped_column(String(24))
    #: which one, as people name it: a username, a department or category code …
    target: Mapped[str] = mapped_column(String(120))
    #: create, update, deactivate, activate, reset_password, import …
    action: Mapped[str] = mapped_column(String(24))
    #: the changed fields before and after (only those that changed on an update)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))


class AppendOnly(Exception):
    pass


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse(_mapper, _connection, _target):
    raise AppendOnly("audit entries are never changed or removed")
