"""JSON API for staff: cases, actions, uploads, categories and departments."""
from flask import Blueprint, g, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from core.bearer import json_body, token_required
from events.access import can_see
from core import clock
from core.errors import InvalidInput, NotFound
from core.inputs import MAX_ID
from core.database import write_transaction
from core.extensions import csrf, db
from core import openapi as api
from events import intake, lifecycle, services
from events.models import Category, Department, Event
from events.photos import add_photo, prepare_photo
from events.cursors import SORTS, sort_of
from events.filters import SOURCES, read_page
from events.labels import stage_names
from events.queries import detail_json, load_case_row, summary_json, written_case
from events.schemas import (ActionIn, CategoryOut, DepartmentOut, EventCreateIn, ListQueryIn,
                            NearbyQueryIn)
from grid.models import Region

bp = Blueprint("events_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
#: the input schemas, built once: marshmallow builds a schema's fields on every instance
#: (a deep copy of its declared fields), and loading keeps no state on it
CREATE_IN, LIST_IN, NEARBY_IN, ACTION_IN = (EventCreateIn(), ListQueryIn(), NearbyQueryIn(),
                                            ActionIn())


#: what a case's answer reads besides its own row: one query with joins, not one each
DETAIL_LOADS = (joinedload(Event.category), joinedload(Event.grid), joinedload(Event.town),
                joinedload(Event.department))


def place_params() -> list[dict]:
    """The OpenAPI query parameters that narrow cases to a place, a category or a source
    (the case list here, the figures in dashboard/api.py)."""
    return [api.param("town", {"type": "string", "maxLength": 12},
                      description="town division code"),
            api.param("grid", {"type": "string", "maxLength": 15}, description="grid code"),
            api.param("department", {"type": "string", "maxLength": 32},
                      description="department code"),
            api.param("category", {"type": "string", "maxLength": 5},
                      description="category code"),
            api.param("source", {"type": "string", "enum": list(SOURCES)})]


def load_visible_event(user, event_id: int) -> Event:
    """The case, or 404 — also when it exists but the user may not see it."""
    event = db.session.get(Event, event_id, options=DETAIL_LOADS)
    if event is None or not can_see(user, event):
        raise NotFound("案件不存在")
    return event


def event_detail(user, event_id: int) -> dict:
    """A case as `user` sees it (EventDetailOut): read as plain rows, for GET and for the
    answers of a create or an action alike (after their unit of work has committed)."""
    return detail_json(user, *load_case_row(event_id), clock.utcnow())


def _summaries(rows) -> list[dict]:
    now = clock.utcnow()
    names = stage_names() if rows else None
    return [summary_json(row, now, names) for row in rows]


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip() or None
    if key and len(key) > 128:
        raise InvalidInput("Idempotency-Key 过长", fields={"Idempotency-Key": ["at most 128 chars"]})
    return key


@bp.post("/events")
@token_required
def create_event():
    user = g.api_user
    data = CREATE_IN.load(json_body())
    key = _idempotency_key()
    now = clock.utcnow()
    nearby = []

    def duplicates_of(case, exclude_id=None):
        nearby[:] = intake.possible_duplicates(case.category.id, case.lat, case.lon, now,
                                               exclude_id=exclude_id, viewer=user,
                                               as_rows=True)
    # a new report's possible duplicates are read with its checks, before its unit of work:
    # the cases open nearby as it was reported (no read after the commit)
    event, created = intake.report_once(user, now, idempotency_key=key,
                                        before_store=duplicates_of, **data)
    # a new case answers with what was written; a replayed one is read as rows
    if not created:
        duplicates_of(event, exclude_id=event.id)
    loaded = written_case(event) if created else load_case_row(event.id)
    body = detail_json(user, *loaded, clock.utcnow())
    body["possible_duplicates"] = _summaries(nearby)
    response_headers = {"Location": f"/api/v1/events/{event.id}"}
    if not created:
        response_headers["Idempotent-Replayed"] = "true"
    return body, 201, response_headers


@bp.get("/events")
@token_required
def list_events():
    args = LIST_IN.load(request.args)
    items, next_cursor = read_page(g.api_user, args, sort_of(args, "newest"),
                                   args["cursor"], args["limit"])
    return {"items": _summaries(items), "next_cursor": next_cursor}


@bp.get("/events/nearby")
@token_required
def nearby_events():
    """Possible duplicates before reporting: same category, open, close by, recent."""
    args = NEARBY_IN.load(request.args)
    category = db.session.scalar(select(Category).where(Category.code == args["category"]))
    if category is None:
        raise InvalidInput("案件类别不存在", fields={"category": ["unknown category"]})
    found = intake.possible_duplicates(category.id, args["lat"], args["lon"], clock.utcnow(),
                                       viewer=g.api_user, as_rows=True)
    return {"items": _summaries(found)}


@bp.get("/events/<int:event_id>")
@token_required
def get_event(event_id: int):
    # plain rows, not the object graph: the case, its history and photos in three statements
    loaded = load_case_row(event_id)
    if loaded is None or not can_see(g.api_user, loaded[0]):
        raise NotFound("案件不存在")
    return detail_json(g.api_user, *loaded, clock.utcnow())


@bp.post("/events/<int:event_id>/actions")
@token_required
def act_on_event(event_id: int):
    user = g.api_user
    data = ACTION_IN.load(json_body())
    key = _idempotency_key()
    services.require_site_photo(user, data["action"], data["photo_ids"])
    with write_transaction():
        event = load_visible_event(user, event_id)  # read under the write lock
        services.perform_action(user, event, data.pop("action"), clock.utcnow(),
                                expected_version=data.pop("version"), key=key, **data)
    return event_detail(user, event.id)


@bp.post("/uploads")
@token_required
def upload():
    file = request.files.get("file")
    if file is None:
        raise InvalidInput("请上传文件（字段名 file）", fields={"file": ["required"]})
    prepared = prepare_photo(file.read(), file.filename)
    with write_transaction():
        photo = add_photo(prepared, g.api_user.id)
    return {"id": photo.id, "sha256": photo.sha256, "width": photo.width,
            "height": photo.height, "content_type": photo.content_type}, 201


@bp.get("/categories")
@token_required
def list_categories():
    rows = db.session.scalars(select(Category).where(Category.is_active.is_(True))
                              .order_by(Category.code))
    return {"items": CategoryOut(many=True).dump(rows)}


@bp.get("/departments")
@token_required
def list_departments():
    query = select(Department).where(Department.is_active.is_(True)).order_by(Department.code)
    town = request.args.get("town")
    if town:
        query = query.join(Region, Region.id == Department.region_id).where(Region.code == town)
    return {"items": DepartmentOut(many=True).dump(db.session.scalars(query))}


# --- OpenAPI ---------------------------------------------------------------------------

EVENT_ID = api.param("event_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                     required=True, where="path")
CODE5 = {"type": "string", "pattern": r"^\d{5}$"}


BOOL = {"type": "string", "enum": ["0", "1", "true", "false"]}


def _states_pattern() -> str:
    one = "(" + "|".join(lifecycle.STATES) + ")"
    return f"^{one}(,{one})*$"


def api_operations() -> dict:
    """This module's part of the OpenAPI document (core/openapi.py)."""
    return {
        "/events": {
            "get": {"summary": "Cases you may see, newest first or by urgency (keyset pagination)",
                    "parameters": [
                        api.param("state", {"type": "string", "pattern": _states_pattern()},
                               description="one state or several, comma-separated"),
                        *place_params(),
                        api.param("date_from", {"type": "string", "format": "date"},
                                  description="reported on or after this local date"),
                        api.param("date_to", {"type": "string", "format": "date"},
                                  description="reported on or before this local date"),
                        api.param("overdue", BOOL, description="1: only cases past due"),
                        api.param("supervised", BOOL, description="1: only cases under 督办"),
                        api.param("q", {"type": "string", "maxLength": 50},
                                  description="text in number, address or description"),
                        api.param("phone", {"type": "string", "maxLength": 24},
                                  description="the reporter's phone (dispatchers and admins; "
                                              "403 for other roles)"),
                        api.param("mine", BOOL, description="1: only cases waiting for you"),
                        api.param("sort", {"type": "string", "enum": list(SORTS),
                                           "default": "newest"},
                                  description="urgency: running clocks soonest due first "
                                              "(overdue lead), then the rest newest first"),
                        api.param("limit", {"type": "integer", "minimum": 1, "maximum": 100,
                                         "default": 20}),
                        api.param("cursor", {"type": "string"},
                               description="`next_cursor` of the previous page (opaque: "
                                           "any other value is a 422)")],
                    "responses": {**api.ok("a page of cases", "EventListOut"),
                                  **api.errors("401", "403", "422")}},
            "post": {"summary": "Report a case (巡查上报; a dispatcher's 热线 intake)",
                     "parameters": [api.param("Idempotency-Key",
                                           {"type": "string", "maxLength": 128},
                                           where="header",
                                           description="the same key again returns the first "
                                                       "case (header Idempotent-Replayed)")],
                     "requestBody": {"required": True,
                                     **api.json_content(api.ref("EventCreateIn"))},
                     "responses": {**api.ok("the case, with possible duplicates nearby",
                                         "EventCreatedOut", "201", headers={
                                             "Location": {"schema": {"type": "string"},
                                                          "required": True}}),
                                   **api.errors("401", "403", "422")}}},
        "/events/nearby": {"get": {
            "summary": "Possible duplicates before reporting",
            "parameters": [api.param("category", CODE5, required=True),
                           api.param("lat", api.LAT, required=True),
                           api.param("lon", api.LON, required=True)],
            "responses": {**api.ok("open same-category cases within 50 m, last 7 days",
                                "EventItemsOut"), **api.errors("401", "422")}}},
        "/events/{event_id}": {"get": {
            "summary": "A case with history, clock and allowed actions",
            "parameters": [EVENT_ID],
            "responses": {**api.ok("the case", "EventDetailOut"), **api.errors("401", "404")}}},
        "/events/{event_id}/actions": {"post": {
            "summary": "Take a lifecycle action (verify, dispatch, accept, …)",
            "parameters": [EVENT_ID, api.param(
                "Idempotency-Key", {"type": "string", "maxLength": 128}, where="header",
                description="the same action with the same key again changes nothing and "
                            "answers with the case (a phone resending its kept work)")],
            "requestBody": {"required": True, **api.json_content(api.ref("ActionIn"))},
            "responses": {**api.ok("the case after the action", "EventDetailOut"),
                          **api.errors("401", "403", "404", "409", "422")}}},
        "/uploads": {"post": {
            "summary": "Upload a photo (JPEG/PNG/WebP), then pass its id as photo_ids",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}}}}}},
            "responses": {**api.ok("the stored photo", "UploadOut", "201"),
                          **api.errors("401", "413", "422")}}},
        "/categories": {"get": {"summary": "Active categories with their time limits",
                                "responses": {**api.ok("categories", "CategoryListOut"),
                                              **api.errors("401")}}},
        "/departments": {"get": {
            "summary": "Departments", "parameters": [api.param("town", {"type": "string"})],
            "responses": {**api.ok("departments", "DepartmentListOut"), **api.errors("401")}}},
    }
