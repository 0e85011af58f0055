"""Case queries shared by the list page and the API."""
import base64
from datetime import datetime

from sqlalchemy import and_, or_, select

from auth.permissions import queue_clause, visible_clause
from core.errors import InvalidInput
from events.models import Category, Event
from grid.models import Grid, Region


def encode_cursor(event: Event) -> str:
    raw = f"{event.created_at.isoformat()}|{event.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError
        return moment, int(ident)
    except (ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor 无效", fields={"cursor": ["invalid cursor"]}) from None


def filtered_events_query(user, args: dict):
    """Cases the user may see, filtered as the list page and API ask, newest first."""
    query = select(Event).where(visible_clause(user))
    if args.get("state"):
        query = query.where(Event.state.in_([s for s in args["state"].split(",") if s]))
    if args.get("category"):
        query = query.join(Category, Category.id == Event.category_id).where(
            Category.code == args["category"])
    if args.get("grid"):
        query = query.join(Grid, Grid.id == Event.grid_id).where(Grid.code == args["grid"])
    if args.get("town"):
        query = query.join(Region, Region.id == Event.town_id).where(Region.code == args["town"])
    if args.get("mine"):
        query = query.where(queue_clause(user))
    return query.order_by(Event.created_at.desc(), Event.id.desc())


def after_cursor(query, cursor: str):
    moment, ident = decode_cursor(cursor)
    return query.where(or_(Event.created_at < moment,
                           and_(Event.created_at == moment, Event.id < ident)))
