"""New cases: numbering, locating, idempotent creation and possible duplicates."""
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Float, Integer, String, bindparam, literal_column, select
from sqlalchemy.exc import IntegrityError

from auth.permissions import case_scope
from events.access import can_report_in, visible_clause
from core import reference
from core.database import on_driver, require_writing, write_transaction
from core.errors import Forbidden, InvalidInput
from core.rows import as_loaded, driver_rows, first_row, insert_now
from core.extensions import db
from events import deadlines, lifecycle
from events.models import Category, Event, EventLog
from events.queries import LIST_LOADS, summary_select
from events.signals import announce_move, case_drafted, cases_inserted
from events.photos import add_photo, claim_photos
from grid.locate import grid_by_code, locate_grid, point_in_grid
from grid.models import Grid

STAFF_SOURCES = ("patrol", "hotline")
#: tracking codes (查询码): no 0/O, 1/I/L — they are read aloud and typed by hand
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_CODE_LENGTH = 10  # 31^10 ≈ 2^49.5


def new_tracking_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))
EARTH_RADIUS_M = 6_371_000


#: the numbering upsert as the driver takes it, per dialect: SQLAlchemy compiles an
#: ON CONFLICT … DO UPDATE statement anew on every execution (~0.3 ms under the write lock)
_COUNTER_UPSERT = ("INSERT INTO event_counter (town_id, year, last_number) VALUES ({t}, {y}, 1) "
                   "ON CONFLICT (town_id, year) DO UPDATE "
                   "SET last_number = event_counter.last_number + 1 RETURNING last_number")
_COUNTER_UPSERTS = {"sqlite": _COUNTER_UPSERT.format(t=":town_id", y=":year"),
                    "postgresql": _COUNTER_UPSERT.format(t="%(town_id)s", y="%(year)s")}


def next_number(town, year: int) -> str:
    """The town's next case number for the year, e.g. 清河-2026-000123 (unique everywhere:
    the prefix is the town's own), in one statement (safe under concurrency: the upsert
    locks the counter row until commit)."""
    require_writing("numbering")
    connection = db.session.connection()
    cursor = on_driver(connection, _COUNTER_UPSERTS[connection.dialect.name],
                       {"town_id": town.id, "year": year})
    try:
        (number,) = cursor.fetchone()
    finally:
        cursor.close()
    return format_number(town.case_prefix, year, number)


def format_number(prefix: str, year: int, serial: int) -> str:
    return f"{prefix}-{year}-{serial:06d}"


def local_year(now: datetime) -> int:
    return now.astimezone(ZoneInfo(current_app.config["LOCAL_TIMEZONE"])).year


def distance_m(lat1, lon1, lat2, lon2) -> float:
    """Haversine distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


#: the nearest few are enough to spot a duplicate. The database orders the candidates by
#: (flat-earth) distance, which at 50 m agrees with the great-circle one, and hands back the
#: nearest few; those are checked exactly.
MAX_DUPLICATES = 5
MAX_DUPLICATE_CANDIDATES = 4 * MAX_DUPLICATES


_DUPLICATE_STATEMENTS: dict = {}


def _duplicate_statements(viewer) -> tuple:
    """The duplicate check's two statements for a viewer's scope (or none): the nearest
    candidates from ix_event_category_place, and their summary rows — built once per scope
    with everything else as parameters, so SQLAlchemy neither rebuilds them nor recomputes
    their cache keys on every create."""
    key = None if viewer is None else case_scope(viewer)
    found = _DUPLICATE_STATEMENTS.get(key)
    if found is None:
        north = Event.lat - bindparam("lat", type_=Float)
        east = (Event.lon - bindparam("lon", type_=Float)) * bindparam("shrink", type_=Float)
        query = select(Event.id, Event.lat, Event.lon).where(
            Event.category_id == bindparam("category_id", type_=Integer),
            # the states written into the statement: an IN of values is rendered anew on
            # every execution (~20 µs a report)
            Event.state.in_([literal_column(f"'{state}'", String)
                             for state in sorted(lifecycle.OPEN_STATES)]),
            Event.created_at >= bindparam("since", type_=Event.created_at.type),
            Event.lat.between(bindparam("lat_lo", type_=Float), bindparam("lat_hi", type_=Float)),
            Event.lon.between(bindparam("lon_lo", type_=Float), bindparam("lon_hi", type_=Float)),
            Event.id != bindparam("exclude_id", type_=Integer))
        if viewer is not None:
            query = query.where(visible_clause(viewer))
        found = (query.order_by(north * north + east * east, Event.id.desc())
                 .limit(MAX_DUPLICATE_CANDIDATES),
                 summary_select().where(Event.id.in_(bindparam("ids", expanding=True))))
        if len(_DUPLICATE_STATEMENTS) >= 1024:
            _DUPLICATE_STATEMENTS.clear()
        _DUPLICATE_STATEMENTS[key] = found
    return found


def possible_duplicates(category_id: int, lat: float, lon: float, now: datetime,
                        *, exclude_id: int | None = None, viewer=None,
                        as_rows: bool = False) -> list:
    """Up to MAX_DUPLICATES open cases of the same category within the radius over the
    window, nearest first, among those `viewer` may see (None: all): as cases, or with
    `as_rows` as summary rows (queries.summary_json)."""
    radius = current_app.config["DUPLICATE_RADIUS_M"]
    days = current_app.config["DUPLICATE_WINDOW_DAYS"]
    shrink = max(math.cos(math.radians(lat)), 0.01)
    dlat = radius / 111_320
    dlon = radius / (111_320 * shrink)
    nearest, summaries = _duplicate_statements(viewer)
    # ix_event_category_place answers this from the index; only the nearest are then loaded.
    # Plain rows: read on the driver (core.rows.driver_rows; SQLAlchemy's execution layer
    # costs more than the statement)
    connection = db.session.connection()
    rows = driver_rows(connection, nearest, {
        "category_id": category_id, "since": now - timedelta(days=days), "lat": lat,
        "lon": lon, "shrink": shrink, "lat_lo": lat - dlat, "lat_hi": lat + dlat,
        "lon_lo": lon - dlon, "lon_hi": lon + dlon,
        "exclude_id": exclude_id if exclude_id is not None else 0})
    ids = [ident for ident, e_lat, e_lon in rows
           if distance_m(lat, lon, e_lat, e_lon) <= radius][:MAX_DUPLICATES]
    if not ids:
        return []
    if as_rows:
        found = connection.execute(summaries, {"ids": ids}).all()
    else:
        found = db.session.scalars(select(Event).options(*LIST_LOADS).where(Event.id.in_(ids)))
    loaded = {item.id: item for item in found}
    return [loaded[ident] for ident in ids]


def find_replay(scope: str, key: str) -> Event | None:
    return db.session.scalar(select(Event).where(
        Event.idempotency_scope == scope, Event.idempotency_key == key))


def commit_once(scope: str, key: str | None, create) -> tuple[Event, bool]:
    """Run create() -> (event, created) in one write transaction. If a concurrent request
    with the same idempotency key won the race, the unique constraint fails here: answer
    with its case."""
    try:
        with write_transaction():
            return create()
    except IntegrityError:
        db.session.rollback()  # also when an outer unit of work began the transaction
        existing = find_replay(scope, key) if key else None
        if existing is None:
            raise
        return existing, False


#: a report's category, built once with its code as a parameter: a plain row made into
#: the object by core.rows (past the ORM's loading), as its grid is (grid.locate)
CATEGORY_BY_CODE = (select(Category.__table__)
                    .where(Category.__table__.c.code == bindparam("code", type_=String)))


def _resolve_grid(actor, grid_code, lat, lon) -> Grid:
    if grid_code:
        grid = grid_by_code(grid_code)
        if grid is None:
            raise InvalidInput(_("网格 %(code)s 不存在", code=grid_code),
                               fields={"grid_code": ["unknown grid"]})
        if not point_in_grid(grid, lat, lon):
            raise InvalidInput(_("该位置不在「%(grid)s」内，请核对位置或网格", grid=grid.name),
                               fields={"lat": ["outside the chosen grid"],
                                       "lon": ["outside the chosen grid"]})
    else:
        grid = locate_grid(lat, lon)
        if grid is None:
            raise InvalidInput(_("该位置不在任何网格内，请选择网格"),
                               fields={"lat": ["outside every grid"], "lon": ["outside every grid"]})
    if not can_report_in(actor, grid):
        raise Forbidden(_("您不能在网格「%(grid)s」上报案件", grid=grid.name))
    return grid


@dataclass(frozen=True)
class CheckedReport:
    """What a staff report refers to, found and checked before the write unit begins: the
    write lock is then held for the numbering and the inserts only."""
    category: Category
    grid: Grid
    source: str


def check_report(actor, *, category_code: str, lat: float, lon: float,
                 grid_code: str | None = None, source: str | None = None) -> CheckedReport:
    session = db.session()
    row = reference.kept("category", category_code,
                         lambda: first_row(session, CATEGORY_BY_CODE, {"code": category_code}))
    category = as_loaded(session, Category, reference.loadable(row)) if row else None
    if category is None or not category.is_active:
        raise InvalidInput(_("案件类别 %(code)s 不存在", code=category_code),
                           fields={"category_code": ["unknown category"]})
    source = source or ("patrol" if actor.role == "grid_worker" else "hotline")
    if source not in STAFF_SOURCES or (source == "patrol" and actor.role != "grid_worker"
                                       and actor.role != "admin"):
        raise InvalidInput(_("来源 %(source)s 不可用", source=source),
                           fields={"source": ["not allowed for your role"]})
    grid = _resolve_grid(actor, grid_code, lat, lon)
    grid.town  # loaded now, not under the write lock
    return CheckedReport(category, grid, source)


#: a caller's number as stored (digits, events.filters.normalize_phone): a mobile, a
#: landline with its area code, or a local 7–8 digit number
CALLER_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{9,11}|\d{7,8})$")


def caller_contact(source: str, name: str | None, phone: str | None) -> tuple[str | None, str | None]:
    """A hotline caller's name and number, checked: (name, digits). Only a call has a caller."""
    from events.filters import normalize_phone
    name, raw = (name or "").strip(), (phone or "").strip()
    if not (name or raw):
        return None, None
    if source != "hotline":
        raise InvalidInput(_("只有热线来电可以登记来电人"),
                           fields={"caller_phone": ["only for source hotline"]})
    digits = normalize_phone(raw) if raw else ""
    if raw and not CALLER_PHONE.match(digits):
        raise InvalidInput(_("来电号码无效：请填写 11 位手机号，或带区号的固定电话"),
                           fields={"caller_phone": ["not a phone number"]})
    return name or None, digits or None


def prepare_report(actor, now: datetime, *, category_code: str, lat: float, lon: float,
                   description: str, address: str = "", grid_code: str | None = None,
                   source: str | None = None, caller_name: str | None = None,
                   caller_phone: str | None = None,
                   idempotency_key: str | None = None) -> tuple[Event, EventLog]:
    """A staff report checked and built, its clock started, not yet stored: reads only, so
    a request does it before its write unit and holds the lock only for store_report.
    A hotline report may name its caller (masked for all but dispatchers and admins)."""
    checked = check_report(actor, category_code=category_code, lat=lat, lon=lon,
                           grid_code=grid_code, source=source)
    name, phone = caller_contact(checked.source, caller_name, caller_phone)
    return build_event(
        now, category=checked.category, grid=checked.grid, lat=lat, lon=lon,
        description=description, address=address, source=checked.source,
        state=lifecycle.initial_state(checked.source, actor.role),
        reporter_id=actor.id, actor_id=actor.id, actor_label=actor.display_name,
        reporter_name=name, reporter_phone=phone,
        idempotency_scope=f"user:{actor.id}", idempotency_key=idempotency_key)


def store_report(actor, draft: tuple[Event, EventLog], photo_ids) -> Event:
    from events.services import auto_dispatch
    event, log = store_event(*draft)
    if photo_ids:
        claim_photos(actor, photo_ids, event, log)
    auto_dispatch(event, event.created_at)  # a patrol report of an auto-dispatch category
    return event


def create_event(actor, now: datetime, *, photo_ids=(), **fields) -> tuple[Event, bool]:
    """A staff report in the caller's transaction (CLI, demo data, tests): (event, True)."""
    return store_report(actor, prepare_report(actor, now, **fields), photo_ids), True


def report_once(actor, now: datetime, *, idempotency_key: str | None = None, photo_ids=(),
                photos=(), before_store=None, **fields) -> tuple[Event, bool]:
    """A request's staff report: (event, created). A replayed Idempotency-Key answers with
    its case before any other work; the report is checked and built before the write unit,
    which numbers and inserts it with its photos (uploaded ids, or `photos` prepared by
    events.photos and stored here). `before_store(draft)` reads what the answer needs
    besides the case in the same read, before the unit (the API's possible duplicates)."""
    scope = f"user:{actor.id}"
    if idempotency_key:
        existing = find_replay(scope, idempotency_key)
        if existing is not None:
            return existing, False
    draft = prepare_report(actor, now, idempotency_key=idempotency_key, **fields)
    if before_store is not None:
        before_store(draft[0])
    case_drafted.send(None, event=draft[0])  # what its announcement reads, read now

    def store() -> tuple[Event, bool]:
        ids = list(photo_ids) + [add_photo(photo, actor.id).id for photo in photos]
        return store_report(actor, draft, ids), True
    return commit_once(scope, idempotency_key, store)


def build_event(now: datetime, *, category, grid, lat, lon, description, address, source,
                state, actor_label, reporter_id=None, actor_id=None, reporter_name=None,
                reporter_phone=None, idempotency_scope=None, idempotency_key=None,
                **extra) -> tuple[Event, EventLog]:
    """A new case and its `create` log row, its clock started, not yet in the session (no
    number yet): reads only, so it may run before the write unit."""
    event = Event(
        source=source, category=category, category_id=category.id,
        grid=grid, grid_id=grid.id, town_id=grid.town_id, town=grid.town, lat=lat, lon=lon, address=address or "",
        description=description, reporter_id=reporter_id, reporter_name=reporter_name,
        reporter_phone=reporter_phone, state=state, created_at=now, updated_at=now,
        filed_at=now if state == lifecycle.FILED else None,
        idempotency_scope=idempotency_scope if idempotency_key else None,
        idempotency_key=idempotency_key, logs=[],
        # 查询码: the resident's own secret, so only residents' reports have one
        # residents and callers follow their case by its 查询码 (/t)
        tracking_code=new_tracking_code() if source in ("resident", "hotline") else None,
        attachments=[], **extra)
    log = EventLog(event=event, actor_id=actor_id, actor_label=actor_label, action="create",
                   from_state=None, to_state=state, data={"source": source}, created_at=now,
                   attachments=[])
    deadlines.start_stage(event, now)
    return event, log


def store_event(event: Event, log: EventLog) -> tuple[Event, EventLog]:
    """Number a built case and write it with its log row (inside the write unit)."""
    event.number = next_number(event.town, local_year(event.created_at))
    # Two prebuilt INSERTs, not the ORM's flush (core.rows): the lock is held for them.
    # A concurrent request with the same key fails here on the unique constraint
    # (see commit_once).
    insert_now(db.session(), event, log)
    cases_inserted.send(None, cases=(event,))
    announce_move(event, log)
    return event, log


def insert_event(now: datetime, **fields) -> tuple[Event, EventLog]:
    """Build, number, store and start the clock of a new case, with its `create` log row.
    Staff reports, resident QR reports and Open311 requests all come through here."""
    return store_event(*build_event(now, **fields))
