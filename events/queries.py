"""Case queries shared by the list page and the API."""
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload, selectinload

from core.extensions import db
from core.rows import driver_rows
from events.models import Category, Department, Event
from grid.models import Grid, Region


#: a list row shows its category and grid; its history and photos are not read
LIST_LOADS = (selectinload(Event.category), selectinload(Event.grid), lazyload(Event.logs),
              lazyload(Event.attachments))


#: the columns of a list row (EventSummaryOut): read as plain rows, not whole cases
SUMMARY_COLUMNS = (
    Event.id, Event.number, Event.state, Event.source, Event.address, Event.lat, Event.lon,
    Event.created_at, Event.version, Event.supervise_count, Event.clock_stage,
    Event.clock_started_at, Event.due_at, Event.warn_at, Event.escalation_step,
    Event.deadline_provisional,
    Category.code.label("category_code"), Category.name.label("category_name"),
    Category.verifier.label("category_verifier"),
    Grid.code.label("grid_code"), Grid.name.label("grid_name"),
    Department.code.label("department_code"), Department.name.label("department_name"))


def summary_select():
    """SUMMARY_COLUMNS with the category, grid and department joined in, ready for WHERE
    clauses."""
    return (select(*SUMMARY_COLUMNS).join(Category, Category.id == Event.category_id)
            .join(Grid, Grid.id == Event.grid_id)
            .outerjoin(Department, Department.id == Event.department_id))


#: a summary row's fields in SUMMARY_COLUMNS order
SUMMARY_FIELDS = (
    "id", "number", "state", "source", "address", "lat", "lon", "created_at", "version",
    "supervise_count", "clock_stage", "clock_started_at", "due_at", "warn_at",
    "escalation_step", "deadline_provisional", "category_code", "category_name",
    "category_verifier", "grid_code", "grid_name", "department_code", "department_name")
assert SUMMARY_FIELDS == tuple(column.key for column in SUMMARY_COLUMNS)
_WIDTH = len(SUMMARY_FIELDS)


class Summary(NamedTuple("_Summary", [(name, object) for name in SUMMARY_FIELDS])):
    """A list row's SUMMARY_COLUMNS by name. Reading a Row's fields by name costs a third
    of a microsecond each (25 a row); a tuple's, a few hundredths."""
    __slots__ = ()


def summary(row) -> Summary:
    """The SUMMARY_COLUMNS a list row begins with (a statement may add columns after them)."""
    return Summary._make(row[:_WIDTH])


def summary_json(row, now, stage_names: dict | None = None) -> dict:
    """One list row as EventSummaryOut shapes it (a test keeps the two equal), with its clock
    (`stage_names`: see clock_json). `row` begins with SUMMARY_COLUMNS."""
    from events.deadlines import clock_fields_json
    s = summary(row)
    return {"id": s.id, "number": s.number, "state": s.state,
            "category_code": s.category_code, "category_name": s.category_name,
            "grid_code": s.grid_code, "grid_name": s.grid_name, "source": s.source,
            "department_code": s.department_code, "department_name": s.department_name,
            "address": s.address, "lat": s.lat, "lon": s.lon,
            "created_at": s.created_at.isoformat(), "version": s.version,
            "supervise_count": s.supervise_count or 0,
            "clock": None if s.clock_stage is None else clock_fields_json(
                s.clock_stage, s.clock_started_at, s.due_at, s.warn_at, s.escalation_step,
                s.state, s.deadline_provisional, now, stage_names)}


def pin_json(row, now) -> dict:
    """One open case as a map pin (static/js/fieldmap.js, dashboard.js): where, what, its
    clock's colour and time left, and the link to it."""
    from flask import url_for

    from events.deadlines import clock_json
    from events.labels import state_label, time_left_label
    return {"lat": row.lat, "lon": row.lon, "number": row.number, "category": row.category_name,
            "state": state_label(row.state), "address": row.address or "",
            "color": (clock_json(row, now) or {}).get("color", "grey"),
            "left": time_left_label(row.due_at, now) if row.due_at else "",
            "url": url_for("events.show_event", event_id=row.id)}


# --- one case, read as plain rows (GET /api/v1/events/<id>) -------------------------------
_STATEMENTS: dict = {}


def _detail_statements():
    """The case with the names of what it refers to, its history, its photos: built once
    with the id as a parameter, plain Core (no ORM entities), so SQLAlchemy neither rebuilds
    them nor computes their cache keys again on every request."""
    if not _STATEMENTS:
        from events.models import Attachment, EventLog
        ev, cat, grid, dep = (Event.__table__, Category.__table__, Grid.__table__,
                              Department.__table__)
        town, log, photo = Region.__table__.alias("town"), EventLog.__table__, \
            Attachment.__table__
        ident = bindparam("event_id")
        _STATEMENTS["case"] = (
            select(ev, cat.c.code.label("category_code"), cat.c.name.label("category_name"),
                   cat.c.verifier.label("category_verifier"),
                   grid.c.code.label("grid_code"), grid.c.name.label("grid_name"),
                   town.c.code.label("town_code"), town.c.name.label("town_name"),
                   town.c.path.label("town_path"), dep.c.code.label("department_code"),
                   dep.c.name.label("department_name"))
            .join(cat, cat.c.id == ev.c.category_id).join(grid, grid.c.id == ev.c.grid_id)
            .join(town, town.c.id == ev.c.town_id)
            .outerjoin(dep, dep.c.id == ev.c.department_id).where(ev.c.id == ident))
        _STATEMENTS["logs"] = select(log).where(log.c.event_id == ident).order_by(log.c.id)
        _STATEMENTS["photos"] = (select(photo.c.id, photo.c.log_id, photo.c.content_type,
                                        photo.c.width, photo.c.height)
                                 .where(photo.c.event_id == ident).order_by(photo.c.id))
    return _STATEMENTS


class CaseRow:
    """A case read as a plain row, with what permission checks and the clock ask of a case
    (`town.path`, `grid_id`, `state`, …) — not an ORM object: nothing loads lazily."""
    __slots__ = ("_row", "town")

    class _Town:
        __slots__ = ("path",)

        def __init__(self, path):
            self.path = path

    def __init__(self, row):
        self._row = row
        self.town = self._Town(row.town_path)

    def __getattr__(self, name):
        return getattr(self._row, name)


class WrittenCase:
    """A case this request has just written, still in memory, read the way detail_json
    reads a CaseRow: a create answers with what it wrote instead of reading it back."""
    __slots__ = ("_event",)

    def __init__(self, event: Event):
        self._event = event

    def __getattr__(self, name):
        return getattr(self._event, name)

    category_code = property(lambda self: self._event.category.code)
    category_verifier = property(lambda self: self._event.category.verifier)
    category_name = property(lambda self: self._event.category.name)
    grid_code = property(lambda self: self._event.grid.code)
    grid_name = property(lambda self: self._event.grid.name)
    town_code = property(lambda self: self._event.town.code)
    town_name = property(lambda self: self._event.town.name)
    department_code = property(lambda self: getattr(self._event.department, "code", None))
    department_name = property(lambda self: getattr(self._event.department, "name", None))


def written_case(event: Event):
    """(case, logs, photos) of a case written in this request, as load_case_row gives them."""
    return (WrittenCase(event), sorted(event.logs, key=lambda log: log.id),
            sorted(event.attachments, key=lambda photo: photo.id))


def load_case_row(event_id: int):
    """(case, logs, photos) of one case in three statements, or None. Reads only."""
    statements = _detail_statements()
    connection = db.session.connection()
    params = {"event_id": event_id}
    found = driver_rows(connection, statements["case"], params)
    if not found:
        return None
    logs = driver_rows(connection, statements["logs"], params)
    photos = driver_rows(connection, statements["photos"], params)
    return CaseRow(found[0]), logs, photos


def _iso(value):
    return value.isoformat() if value is not None else None


def _photo(photo) -> dict:
    return {"id": photo.id, "url": f"/attachments/{photo.id}",
            "thumb_url": f"/attachments/{photo.id}/thumb", "content_type": photo.content_type,
            "width": photo.width, "height": photo.height}


def _float(value):
    return float(value) if value is not None else None


def detail_json(user, case: CaseRow, logs, photos, now) -> dict:
    """What EventDetailOut dumps from the ORM case (a test keeps the two equal), built from
    plain rows: the case page's API answer without an object graph."""
    from auth.masking import may_see_contact, reporter_contact
    from events.access import allowed_actions
    from events.deadlines import clock_json
    by_log: dict[int, list[dict]] = {}
    for photo in photos:
        if photo.log_id is not None:
            by_log.setdefault(photo.log_id, []).append(_photo(photo))
    return {
        "id": case.id, "number": case.number, "source": case.source, "state": case.state,
        "category_code": case.category_code, "category_name": case.category_name,
        "grid_code": case.grid_code, "grid_name": case.grid_name,
        "town_code": case.town_code, "town_name": case.town_name,
        "department_code": case.department_code, "department_name": case.department_name,
        "lat": _float(case.lat), "lon": _float(case.lon), "address": case.address,
        "description": case.description,
        "attributes": [{"code": a.get("code"), "question": a.get("question"),
                        "value": a.get("value"), "label": a.get("label")}
                       for a in case.attributes or []],
        "duplicate_of": case.duplicate_of_id, "suspended_from": case.suspended_from,
        "extension_requested_hours": _float(case.extension_requested_hours),
        "extension_granted_hours": _float(case.extension_granted_hours),
        "created_at": _iso(case.created_at), "updated_at": _iso(case.updated_at),
        "filed_at": _iso(case.filed_at), "dispatched_at": _iso(case.dispatched_at),
        "accepted_at": _iso(case.accepted_at), "handled_at": _iso(case.handled_at),
        "closed_at": _iso(case.closed_at), "rejected_at": _iso(case.rejected_at),
        "version": case.version, "supervise_count": case.supervise_count or 0,
        "photos": [_photo(p) for p in photos],
        "milestones": case.milestones, "due_at": _iso(case.due_at),
        "clock": clock_json(case, now),
        "reporter": reporter_contact(user, case),
        "tracking_code": case.tracking_code if may_see_contact(user) else None,
        "history": [{"id": log.id, "action": log.action, "from_state": log.from_state,
                     "to_state": log.to_state, "actor": log.actor_label, "note": log.note,
                     "data": log.data, "created_at": _iso(log.created_at),
                     "photos": by_log.get(log.id, [])} for log in logs],
        "allowed_actions": allowed_actions(user, case),
    }
