"""The OpenAPI 3 document of /api/v1, built from the marshmallow schemas the API uses."""
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app
from marshmallow import Schema, fields

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")


class ErrorOut(Schema):
    error = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields")


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema):
    return {"content": {"application/json": {"schema": schema}}}


def _query(*names):
    return [{"in": "query", "name": name, "schema": {"type": "string"}} for name in names]


ERRORS = {code: {"description": text, **_json(_ref("Error"))} for code, text in (
    ("401", "missing or invalid bearer token"), ("403", "role may not"),
    ("404", "no such case, or not visible to you"),
    ("409", "transition not allowed from this state, or stale version"),
    ("413", "upload too large"), ("422", "invalid fields, each named in `fields`"))}


def _operations() -> dict:
    obj = {"type": "object"}
    return {
        "/tokens": {"post": {"summary": "Bearer token for username + password", "security": [],
                             "requestBody": _json(_ref("TokenRequest")),
                             "responses": {"201": {"description": "token", **_json(obj)},
                                           "401": ERRORS["401"], "422": ERRORS["422"]}}},
        "/events": {
            "get": {"summary": "Cases you may see, newest first (keyset pagination)",
                    "parameters": _query("state", "category", "grid", "town", "mine", "limit",
                                         "cursor"),
                    "responses": {"200": {"description": "{items, next_cursor}", **_json(obj)},
                                  "422": ERRORS["422"]}},
            "post": {"summary": "Report a case",
                     "parameters": [{"in": "header", "name": "Idempotency-Key",
                                     "schema": {"type": "string"}}],
                     "requestBody": _json(_ref("EventCreateIn")),
                     "responses": {"201": {"description": "the case (+ possible_duplicates)",
                                           **_json(_ref("EventOut"))},
                                   "403": ERRORS["403"], "422": ERRORS["422"]}}},
        "/events/nearby": {"get": {"summary": "Possible duplicates before reporting",
                                   "parameters": _query("category", "lat", "lon"),
                                   "responses": {"200": {"description": "{items}", **_json(obj)},
                                                 "422": ERRORS["422"]}}},
        "/events/{event_id}": {"get": {
            "summary": "A case with history, clock and allowed actions",
            "parameters": [{"in": "path", "name": "event_id", "required": True,
                            "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "case", **_json(_ref("EventOut"))},
                          "404": ERRORS["404"]}}},
        "/events/{event_id}/actions": {"post": {
            "summary": "Take a lifecycle action (verify, dispatch, accept, …)",
            "parameters": [{"in": "path", "name": "event_id", "required": True,
                            "schema": {"type": "integer"}}],
            "requestBody": _json(_ref("ActionIn")),
            "responses": {"200": {"description": "case", **_json(_ref("EventOut"))},
                          **{c: ERRORS[c] for c in ("403", "404", "409", "422")}}}},
        "/uploads": {"post": {
            "summary": "Upload a photo (JPEG/PNG/WebP)",
            "requestBody": {"content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"file": {"type": "string",
                                                          "format": "binary"}}}}}},
            "responses": {"201": {"description": "{id, sha256, …}", **_json(obj)},
                          "413": ERRORS["413"], "422": ERRORS["422"]}}},
        "/categories": {"get": {"summary": "Active categories",
                                "responses": {"200": {"description": "{items}", **_json(obj)}}}},
        "/departments": {"get": {"summary": "Departments", "parameters": _query("town"),
                                 "responses": {"200": {"description": "{items}",
                                                       **_json(obj)}}}},
        "/grids": {"get": {"summary": "Grids", "parameters": _query("town"),
                           "responses": {"200": {"description": "{items}", **_json(obj)}}}},
        "/grids/locate": {"get": {"summary": "The grid a point falls in",
                                  "parameters": _query("lat", "lon"),
                                  "responses": {"200": {"description": "grid", **_json(obj)},
                                                "404": ERRORS["404"]}}},
        "/notifications": {"get": {"summary": "Your in-app notifications",
                                   "responses": {"200": {"description": "{unread, items}",
                                                         **_json(obj)}}}},
        "/notifications/read": {"post": {"summary": "Mark notifications read",
                                         "responses": {"200": {"description": "counts",
                                                               **_json(obj)}}}},
        "/qr-points": {"get": {"summary": "A grid's QR points", "parameters": _query("grid"),
                               "responses": {"200": {"description": "{items}", **_json(obj)},
                                             "404": ERRORS["404"], "422": ERRORS["422"]}}},
        "/openapi.json": {"get": {"summary": "This document", "security": [],
                                  "responses": {"200": {"description": "OpenAPI 3"}}}},
    }


def build_spec() -> dict:
    from auth.api import TokenRequest
    from events.schemas import ActionIn, EventCreateIn, EventOut
    spec = APISpec(title="gridgov API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "网格治理事件平台 — staff API. Errors are "
                                        "{error, message, fields?}."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in (("TokenRequest", TokenRequest), ("EventCreateIn", EventCreateIn),
                         ("EventOut", EventOut), ("ActionIn", ActionIn), ("Error", ErrorOut)):
        spec.components.schema(name, schema=schema)
    for path, operations in _operations().items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    document["security"] = [{"bearer": []}]
    document["servers"] = [{"url": current_app.config["PUBLIC_BASE_URL"].rstrip("/")
                            + "/api/v1"}]
    return document


@bp.get("/openapi.json")
def openapi_document():
    return build_spec()
