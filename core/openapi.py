"""The OpenAPI 3 document of /api/v1, built from the marshmallow schemas the API loads and
dumps. It tells the truth: schemathesis checks every operation against the live server
(tests/test_schemathesis.py) — every answer's status, content type and body."""
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app
from marshmallow import Schema, fields


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
    request_id = fields.String(metadata={
        "description": "this request's id (also the X-Request-Id header): quote it when "
                       "reporting a fault; it is on the server's log line"})


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema):
    return {"content": {"application/json": {"schema": schema}}}


def param(name, schema, *, required=False, where="query", description=None):
    param = {"in": where, "name": name, "required": required, "schema": schema}
    if description:
        param["description"] = description
    return param


def ok(description, schema_name, status="200", headers=None):
    answer = {"description": description, **json_content(ref(schema_name))}
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


def errors(*codes):
    return {code: {"description": ERROR_TEXTS[code], **json_content(ref("Error"))}
            for code in codes}


LAT = {"type": "number", "minimum": -90, "maximum": 90}
LON = {"type": "number", "minimum": -180, "maximum": 180}


def register_api(app, operations, schemas, *, inputs=()) -> None:
    """A feature's part of the document: operations() -> {path: {method: operation}} (a
    function: it may read what is not importable at registration), the marshmallow schemas
    its operations name (by class name), and which of them are request bodies (they refuse
    NUL like every input)."""
    app.extensions.setdefault("gridgov.api", []).append(
        (operations, {schema.__name__: schema for schema in schemas},
         tuple(schema.__name__ for schema in inputs)))


#: a NUL byte anywhere in a request is refused (core/inputs.py): every free-text input says so
NO_NUL = r"^[^\u0000]*$"


def _refuse_nul(schema: dict) -> None:
    if schema.get("type") == "string" and not ({"pattern", "enum", "format"} & set(schema)):
        schema["pattern"] = NO_NUL
    for child in schema.get("properties", {}).values():
        _refuse_nul(child)
    if isinstance(schema.get("items"), dict):
        _refuse_nul(schema["items"])


def _input_rules(document: dict, input_schemas) -> None:
    """What every input shares, written into the document once: no NUL in any text (422 on
    every operation), and an empty optional query parameter counts as absent (a GET form
    with blank fields sends it)."""
    for name in input_schemas:
        _refuse_nul(document["components"]["schemas"][name])
    refused = {"description": "a NUL byte in the request (refused everywhere), or "
                              + ERROR_TEXTS["422"], **json_content(ref("Error"))}
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"].setdefault("422", refused)
            for param in operation.get("parameters", []):
                _refuse_nul(param["schema"])
                if param["in"] == "query" and not param["required"]:
                    param["allowEmptyValue"] = True


def build_spec(app) -> dict:
    """The document, built once per app (it depends on the code alone: servers is relative)."""
    if "gridgov.api_document" not in app.extensions:
        app.extensions["gridgov.api_document"] = _build(app.extensions.get("gridgov.api", ()))
    return app.extensions["gridgov.api_document"]


def _build(parts) -> dict:
    spec = APISpec(title="gridgov API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "网格治理事件平台 — staff API. Errors are "
                                        "{error, message, fields?}."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorOut)
    for _operations, schemas, _inputs in parts:
        for name, schema in schemas.items():
            spec.components.schema(name, schema=schema)
    for operations, _schemas, _inputs in [(_own_operations, {}, ())] + list(parts):
        for path, path_operations in operations().items():
            spec.path(path=path, operations=path_operations)
    document = spec.to_dict()
    _input_rules(document, [name for *_, inputs in parts for name in inputs])
    document["security"] = [{"bearer": []}]
    # relative: the API is wherever this document was fetched from (not PUBLIC_BASE_URL,
    # which is what residents' phones reach and may be another host)
    document["servers"] = [{"url": "/api/v1"}]
    return document


def _own_operations() -> dict:
    return {"/openapi.json": {"get": {"summary": "This document", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3",
                                                            **json_content({"type": "object"})}}}}}


@bp.get("/openapi.json")
def openapi_document():
    return build_spec(current_app)
