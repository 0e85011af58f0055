"""Recording an admin change (in the caller's transaction, so the change and its entry land
or fail together) and reading the log."""
from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import select

from audit.models import AuditEntry
from core.clock import utcnow
from core.extensions import db

#: the kinds of record the log names, as the page's filter offers them
KINDS = ("user", "department", "category", "routing", "region", "grid", "qr_point",
         "calendar", "weights", "open311_key", "login")


def _plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if all(isinstance(v, (str, int)) for v in value) else list(value)
    return value


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """The fields whose values differ: (before, after) restricted to them."""
    keys = [k for k in after if _plain(before.get(k)) != _plain(after.get(k))]
    return ({k: _plain(before.get(k)) for k in keys}, {k: _plain(after.get(k)) for k in keys})


def record(actor, kind: str, target: str, action: str, before: dict | None = None,
           after: dict | None = None) -> AuditEntry | None:
    """Add an entry (`actor`: the user, or None for the command line). An update that
    changed nothing records nothing."""
    if action == "update" and before is not None and after is not None:
        before, after = changes(before, after)
        if not after:
            return None
    entry = AuditEntry(
        at=utcnow(), actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", None) or "命令行",
        kind=kind, target=str(target)[:120], action=action,
        before={k: _plain(v) for k, v in before.items()} if before else None,
        after={k: _plain(v) for k, v in after.items()} if after else None,
        ip=(request.remote_addr or "")[:45] or None if has_request_context() else None)
    db.session.add(entry)
    return entry


def entries(*, kind: str | None = None, actor: str | None = None, target: str | None = None,
            start: datetime | None = None, end: datetime | None = None, before_id: int | None = None,
            limit: int = 50) -> list[AuditEntry]:
    """The newest entries first, filtered; `before_id` pages on (the last id seen)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if kind:
        query = query.where(AuditEntry.kind == kind)
    if actor:
        query = query.where(AuditEntry.actor_name == actor)
    if target:
        query = query.where(AuditEntry.target.contains(target, autoescape=True))
    if start:
        query = query.where(AuditEntry.at >= start)
    if end:
        query = query.where(AuditEntry.at < end)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    return db.session.scalars(query).all()
