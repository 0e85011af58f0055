"""The OpenAPI 3 document of /api/v1, built from the marshmallow schemas the API loads and
dumps. It tells the truth: schemathesis checks every operation against the live server
(tests/test_schemathesis.py) — every answer's status, content type and body."""
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint
from marshmallow import Schema, fields

from core.inputs import MAX_ID

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")


class ErrorOut(Schema):
    error = fields.String(required=True, metadata={"description": "a stable code, e.g. "
                                                   "validation_error, invalid_transition"})
    message = fields.String(required=True, metadata={"description": "what is wrong, in Chinese"})
    fields_ = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                          data_key="fields", metadata={"description": "422: each field named"})
    state = fields.String(metadata={"description": "409: the case's state now"})
    allowed_actions = fields.List(fields.String(), metadata={
        "description": "409: what the caller may do from there"})
    current_version = fields.Integer(metadata={"description": "409 stale_version"})


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


def _param(name, schema, *, required=False, where="query", description=None):
    param = {"in": where, "name": name, "required": required, "schema": schema}
    if description:
        param["description"] = description
    return param


def _ok(description, schema_name, status="200", headers=None):
    answer = {"description": description, **_json(_ref(schema_name))}
    if headers:
        answer["headers"] = headers
    return {status: answer}


ERROR_TEXTS = {
    "401": "missing, invalid or expired bearer token",
    "403": "your role may not do this",
    "404": "no such case, or not visible to you",
    "409": "the action is not allowed from the case's state (with `state` and "
           "`allowed_actions`), or `version` is stale (with `current_version`)",
    "413": "the upload is larger than UPLOAD_MAX_BYTES",
    "422": "invalid input, each field named in `fields`",
    "429": "too many failed logins from here or for this account: wait and try again",
}


def _errors(*codes):
    return {code: {"description": ERROR_TEXTS[code], **_json(_ref("Error"))} for code in codes}


EVENT_ID = _param("event_id", {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                  required=True, where="path")
CODE5 = {"type": "string", "pattern": r"^\d{5}$"}
LAT = {"type": "number", "minimum": -90, "maximum": 90}
LON = {"type": "number", "minimum": -180, "maximum": 180}


def _states_pattern() -> str:
    from events.lifecycle import STATES
    one = "(" + "|".join(STATES) + ")"
    return f"^{one}(,{one})*$"


def _operations() -> dict:
    return {
        "/tokens": {"post": {
            "summary": "Bearer token for username + password", "security": [],
            "requestBody": {"required": True, **_json(_ref("TokenRequest"))},
            "responses": {**_ok("the token, shown once", "TokenOut", "201"),
                          **_errors("401", "422", "429")}}},
        "/events": {
            "get": {"summary": "Cases you may see, newest first (keyset pagination)",
                    "parameters": [
                        _param("state", {"type": "string", "pattern": _states_pattern()},
                               description="one state or several, comma-separated"),
                        _param("category", {"type": "string"}, description="category code"),
                        _param("grid", {"type": "string"}, description="grid code"),
                        _param("town", {"type": "string"}, description="town division code"),
                        _param("mine", {"type": "string", "enum": ["0", "1", "true", "false"]},
                               description="1: only cases waiting for you"),
                        _param("limit", {"type": "integer", "minimum": 1, "maximum": 100,
                                         "default": 20}),
                        _param("cursor", {"type": "string"},
                               description="`next_cursor` of the previous page (opaque: "
                                           "any other value is a 422)")],
                    "responses": {**_ok("a page of cases", "EventListOut"),
                                  **_errors("401", "422")}},
            "post": {"summary": "Report a case (巡查上报; a dispatcher's 热线 intake)",
                     "parameters": [_param("Idempotency-Key",
                                           {"type": "string", "maxLength": 128},
                                           where="header",
                                           description="the same key again returns the first "
                                                       "case (header Idempotent-Replayed)")],
                     "requestBody": {"required": True, **_json(_ref("EventCreateIn"))},
                     "responses": {**_ok("the case, with possible duplicates nearby",
                                         "EventCreatedOut", "201", headers={
                                             "Location": {"schema": {"type": "string"},
                                                          "required": True}}),
                                   **_errors("401", "403", "422")}}},
        "/events/nearby": {"get": {
            "summary": "Possible duplicates before reporting",
            "parameters": [_param("category", CODE5, required=True),
                           _param("lat", LAT, required=True), _param("lon", LON, required=True)],
            "responses": {**_ok("open same-category cases within 50 m, last 7 days",
                                "EventItemsOut"), **_errors("401", "422")}}},
        "/events/{event_id}": {"get": {
            "summary": "A case with history, clock and allowed actions",
            "parameters": [EVENT_ID],
            "responses": {**_ok("the case", "EventDetailOut"), **_errors("401", "404")}}},
        "/events/{event_id}/actions": {"post": {
            "summary": "Take a lifecycle action (verify, dispatch, accept, …)",
            "parameters": [EVENT_ID],
            "requestBody": {"required": True, **_json(_ref("ActionIn"))},
            "responses": {**_ok("the case after the action", "EventDetailOut"),
                          **_errors("401", "403", "404", "409", "422")}}},
        "/uploads": {"post": {
            "summary": "Upload a photo (JPEG/PNG/WebP), then pass its id as photo_ids",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}}}}}},
            "responses": {**_ok("the stored photo", "UploadOut", "201"),
                          **_errors("401", "413", "422")}}},
        "/categories": {"get": {"summary": "Active categories with their time limits",
                                "responses": {**_ok("categories", "CategoryListOut"),
                                              **_errors("401")}}},
        "/departments": {"get": {
            "summary": "Departments", "parameters": [_param("town", {"type": "string"})],
            "responses": {**_ok("departments", "DepartmentListOut"), **_errors("401")}}},
        "/grids": {"get": {
            "summary": "Grids", "parameters": [_param("town", {"type": "string"})],
            "responses": {**_ok("grids", "GridListOut"), **_errors("401")}}},
        "/grids/locate": {"get": {
            "summary": "The grid a point falls in",
            "parameters": [_param("lat", LAT, required=True), _param("lon", LON, required=True)],
            "responses": {**_ok("the grid", "GridOut"), **_errors("401", "404", "422")}}},
        "/notifications": {"get": {
            "summary": "Your in-app notifications, newest first",
            "responses": {**_ok("unread count and notifications", "NotificationListOut"),
                          **_errors("401")}}},
        "/notifications/read": {"post": {
            "summary": "Mark notifications read (all of yours when no ids are sent)",
            "requestBody": {"required": False, **_json(_ref("ReadIn"))},
            "responses": {**_ok("how many were marked; unread left", "ReadOut"),
                          **_errors("401", "422")}}},
        "/qr-points": {"get": {
            "summary": "A grid's QR points",
            "parameters": [_param("grid", {"type": "string", "minLength": 1}, required=True,
                                  description="grid code")],
            "responses": {**_ok("the points", "QrPointListOut"),
                          **_errors("401", "404", "422")}}},
        "/openapi.json": {"get": {"summary": "This document", "security": [],
                                  "responses": {"200": {"description": "OpenAPI 3",
                                                        **_json({"type": "object"})}}}},
    }


def _schemas() -> dict:
    from auth.api import TokenOut, TokenRequest
    from events import schemas as ev
    from grid.schemas import GridListOut, GridOut
    from notify.api import NotificationListOut, ReadIn, ReadOut
    from portal.staff import QrPointListOut
    return {"TokenRequest": TokenRequest, "TokenOut": TokenOut,
            "EventCreateIn": ev.EventCreateIn, "ActionIn": ev.ActionIn,
            "EventDetailOut": ev.EventDetailOut, "EventCreatedOut": ev.EventCreatedOut,
            "EventListOut": ev.EventListOut, "EventItemsOut": ev.EventItemsOut,
            "UploadOut": ev.UploadOut, "CategoryListOut": ev.CategoryListOut,
            "DepartmentListOut": ev.DepartmentListOut, "GridOut": GridOut,
            "GridListOut": GridListOut, "NotificationListOut": NotificationListOut,
            "ReadIn": ReadIn, "ReadOut": ReadOut, "QrPointListOut": QrPointListOut,
            "Error": ErrorOut}


#: a NUL byte anywhere in a request is refused (core/inputs.py): every free-text input says so
NO_NUL = r"^[^\u0000]*$"
INPUT_SCHEMAS = ("TokenRequest", "EventCreateIn", "ActionIn", "ReadIn")


def _refuse_nul(schema: dict) -> None:
    if schema.get("type") == "string" and not ({"pattern", "enum", "format"} & set(schema)):
        schema["pattern"] = NO_NUL
    for child in schema.get("properties", {}).values():
        _refuse_nul(child)
    if isinstance(schema.get("items"), dict):
        _refuse_nul(schema["items"])


def _input_rules(document: dict) -> None:
    """What every input shares, written into the document once: no NUL in any text (422 on
    every operation), and an empty optional query parameter counts as absent (a GET form
    with blank fields sends it)."""
    for name in INPUT_SCHEMAS:
        _refuse_nul(document["components"]["schemas"][name])
    refused = {"description": "a NUL byte in the request (refused everywhere), or "
                              + ERROR_TEXTS["422"], **_json(_ref("Error"))}
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].setdefault("422", refused)
            for param in operation.get("parameters", []):
                _refuse_nul(param["schema"])
                if param["in"] == "query" and not param["required"]:
                    param["allowEmptyValue"] = True


@cache  # depends on the code alone (servers is relative): built once per process
def build_spec() -> dict:
    spec = APISpec(title="gridgov API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "网格治理事件平台 — staff API. Errors are "
                                        "{error, message, fields?}."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in _schemas().items():
        spec.components.schema(name, schema=schema)
    for path, operations in _operations().items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    _input_rules(document)
    document["security"] = [{"bearer": []}]
    # relative: the API is wherever this document was fetched from (not PUBLIC_BASE_URL,
    # which is what residents' phones reach and may be another host)
    document["servers"] = [{"url": "/api/v1"}]
    return document


@bp.get("/openapi.json")
def openapi_document():
    return build_spec()
