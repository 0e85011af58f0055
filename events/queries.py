"""Case queries shared by the list page and the API."""
import base64
import binascii
from datetime import datetime, timezone

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import lazyload, selectinload

from auth.permissions import queue_clause, visible_clause
from core.errors import InvalidInput
from core.inputs import is_id
from events.models import Category, Event
from grid.models import Grid, Region


#: a list row shows its category and grid; its history and photos are not read
LIST_LOADS = (selectinload(Event.category), selectinload(Event.grid), lazyload(Event.logs),
              lazyload(Event.attachments))


def encode_cursor(event: Event) -> str:
    raw = f"{event.created_at.isoformat()}|{event.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None or not is_id(ident) or not 2000 <= moment.year <= 2200:
            raise ValueError
        return moment.astimezone(timezone.utc), int(ident)
    except (ValueError, OverflowError, UnicodeDecodeError, binascii.Error):
        raise InvalidInput("cursor 无效", fields={"cursor": ["invalid cursor"]}) from None


#: the columns of a list row (EventSummaryOut): read as plain rows, not whole cases
SUMMARY_COLUMNS = (
    Event.id, Event.number, Event.state, Event.address, Event.lat, Event.lon,
    Event.created_at, Event.version, Event.clock_stage, Event.clock_started_at, Event.due_at,
    Event.warn_at, Event.escalation_step, Event.deadline_provisional,
    Category.code.label("category_code"), Category.name.label("category_name"),
    Grid.code.label("grid_code"))


def summary_select():
    """SUMMARY_COLUMNS with the category and grid joined in, ready for WHERE clauses."""
    return (select(*SUMMARY_COLUMNS).join(Category, Category.id == Event.category_id)
            .join(Grid, Grid.id == Event.grid_id))


def summary_rows_query(user, args: dict):
    """filtered_events_query as plain summary rows (the API list)."""
    return filtered_events_query(user, args, summary=True)


def summary_json(row, now) -> dict:
    """One list row as EventSummaryOut shapes it (a test keeps the two equal), with its clock."""
    from events.deadlines import clock_json
    return {"id": row.id, "number": row.number, "state": row.state,
            "category_code": row.category_code, "category_name": row.category_name,
            "grid_code": row.grid_code, "address": row.address, "lat": row.lat, "lon": row.lon,
            "created_at": row.created_at.isoformat(), "version": row.version,
            "clock": clock_json(row, now)}


def filtered_events_query(user, args: dict, *, summary: bool = False):
    """Cases the user may see, filtered as the list page and API ask, newest first: as cases,
    or with `summary` as plain summary rows."""
    query = summary_select() if summary else select(Event)
    query = query.where(visible_clause(user))
    if args.get("state"):
        query = query.where(Event.state.in_([s for s in args["state"].split(",") if s]))
    if args.get("category"):
        code = select(Category.id).where(Category.code == args["category"]).scalar_subquery()
        query = query.where(Event.category_id == code)
    if args.get("grid"):
        code = select(Grid.id).where(Grid.code == args["grid"]).scalar_subquery()
        query = query.where(Event.grid_id == code)
    if args.get("town"):
        query = query.join(Region, Region.id == Event.town_id).where(Region.code == args["town"])
    if args.get("mine"):
        query = query.where(queue_clause(user))
    return query.order_by(Event.created_at.desc(), Event.id.desc())


def after_cursor(query, cursor: str):
    moment, ident = decode_cursor(cursor)
    return query.where(or_(Event.created_at < moment,
                           and_(Event.created_at == moment, Event.id < ident)))
