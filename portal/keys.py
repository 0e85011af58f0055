"""Open311 API keys: issued by admins (page and CLI), shown once, stored hashed, revoked at
once. The protocol module (portal/open311.py) only looks them up."""
import hashlib
import secrets
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from core.errors import InvalidInput, NotFound
from core.extensions import db
from portal.models import Open311Key


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def find_active_key(key: str) -> Open311Key | None:
    row = db.session.scalar(select(Open311Key).where(Open311Key.key_hash == key_hash(key)))
    return row if row is not None and row.is_active else None


def create_key(name: str) -> str:
    """A new key for the client `name`; only its hash is stored, the key is shown once."""
    name = name.strip()
    if not name or len(name) > 64:
        raise InvalidInput(_("请填写使用方名称（不超过 64 字）"), fields={"name": ["1–64 characters"]})
    key = secrets.token_urlsafe(24)
    db.session.add(Open311Key(name=name, key_hash=key_hash(key)))
    db.session.flush()
    return key


def revoke_key(key_id: int, now: datetime) -> Open311Key:
    """Stop a key at once: its requests are refused from now on (the page and the CLI)."""
    row = db.session.get(Open311Key, key_id) if key_id else None
    if row is None:
        raise NotFound(_("没有编号为 %(id)s 的 API key", id=key_id))
    row.is_active, row.revoked_at = False, now
    return row
