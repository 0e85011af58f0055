"""The case lists' keyset cursors (the workbench and GET /api/v1/events alike): an opaque
"<sort>|<group>|<instant>|<id>" naming the order it belongs to and the last case of its
page. Group 0 are the running clocks (instant = due_at), group 1 the rest (instant =
created_at); `newest`/`oldest` use group 1 only. events.filters reads from one on."""
import base64
import binascii
from datetime import datetime, timezone

from flask_babel import gettext as _

from core.errors import InvalidInput
from core.inputs import is_id

SORTS = ("urgency", "newest", "oldest")


def encode_cursor(row, sort: str = "newest") -> str:
    group, moment = (0, row.due_at) if sort == "urgency" and row.due_at is not None \
        else (1, row.created_at)
    raw = f"{sort}|{group}|{moment.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def sort_of(args: dict, default: str) -> str:
    """The order a list is read in: the one asked for; else a cursor's own (each names its
    order, so page 2 of any order stays in it); else the default."""
    if args.get("sort"):
        return args["sort"]
    if args.get("cursor"):
        try:
            named = _cursor_fields(args["cursor"])[0]
        except (ValueError, UnicodeDecodeError, binascii.Error):
            named = None  # decode_cursor says what is wrong with it
        if named in SORTS:
            return named
    return default


def _cursor_fields(cursor: str) -> list[str]:
    """A cursor's "sort|group|instant|id", split (raises on what is no cursor)."""
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")


def decode_cursor(cursor: str, sort: str = "newest") -> tuple[int, datetime, int]:
    try:
        named, group, stamp, ident = _cursor_fields(cursor)
        moment = datetime.fromisoformat(stamp)
        if (named != sort or group not in ("0", "1") or moment.tzinfo is None
                or not is_id(ident) or not 2000 <= moment.year <= 2200):
            raise ValueError
        return int(group), moment.astimezone(timezone.utc), int(ident)
    except (ValueError, OverflowError, UnicodeDecodeError, binascii.Error):
        raise InvalidInput(_("cursor 无效：请从第一页重新开始"),
                           fields={"cursor": ["invalid cursor"]}) from None
