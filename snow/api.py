"""/api/v1/snow-operations (issue 14): declare a snowfall, say when it stopped, read it."""
from flask import Blueprint, g
from marshmallow import Schema, fields, validate

from core import clock
from core import openapi as api
from core.bearer import json_body, token_required
from core.database import write_transaction
from core.extensions import csrf
from snow import progress, services
from snow.models import LEVELS, POINT_ACTIONS, ROAD_CLASSES, STATES

bp = Blueprint("snow_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


class DeclareIn(Schema):
    town_codes = fields.List(fields.String(validate=validate.Length(equal=12)), required=True,
                             validate=validate.Length(min=1, max=200))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    started_at = fields.AwareDateTime(required=True, metadata={
        "description": "when the snow began (within the last 3 days)"})


class StoppedIn(Schema):
    at = fields.AwareDateTime(required=True, metadata={
        "description": "when the snow stopped: every deadline counts from it"})


class ChecksIn(Schema):
    no_ice = fields.Boolean(required=True, metadata={"description": "无积冰"})
    no_residual_snow = fields.Boolean(required=True, metadata={"description": "无残雪"})
    ground_visible = fields.Boolean(required=True, metadata={"description": "露出地面"})


class PointActionIn(Schema):
    action = fields.String(required=True, validate=validate.OneOf(POINT_ACTIONS), metadata={
        "description": "start; clear (a photo and the three ticks); pass or fail a "
                       "department's clear (grid worker, dispatcher)"})
    photo_ids = fields.List(fields.Integer(validate=validate.Range(min=1, max=2**31 - 1)),
                            load_default=list, validate=validate.Length(max=9))
    checks = fields.Nested(ChecksIn, load_default=None, allow_none=True)
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=500))


class SnowPointOut(Schema):
    id = fields.Integer()
    label = fields.String()
    road_class = fields.String(metadata={"enum": list(ROAD_CLASSES)})
    qr_point_id = fields.Integer(allow_none=True)
    state = fields.String(metadata={"enum": list(STATES)})
    due_at = fields.AwareDateTime(allow_none=True)
    cleared_at = fields.AwareDateTime(allow_none=True)


class SnowTaskOut(Schema):
    id = fields.Integer()
    grid_code = fields.Function(lambda task: task.grid.code)
    grid_name = fields.Function(lambda task: task.grid.name)
    state = fields.String(metadata={"enum": list(STATES)})
    due_at = fields.AwareDateTime(allow_none=True, metadata={
        "description": "null until the snow stops"})
    cleared_at = fields.AwareDateTime(allow_none=True)
    points = fields.List(fields.Nested(SnowPointOut))


class SnowOperationOut(Schema):
    id = fields.Integer()
    level = fields.String(metadata={"enum": list(LEVELS)})
    started_at = fields.AwareDateTime()
    stopped_at = fields.AwareDateTime(allow_none=True)
    ended_at = fields.AwareDateTime(allow_none=True)
    version = fields.Integer()
    tasks = fields.List(fields.Nested(SnowTaskOut))


def _answer(operation, tasks) -> dict:
    body = SnowOperationOut(exclude=("tasks",)).dump(operation)
    body["tasks"] = SnowTaskOut(many=True).dump(tasks)
    return body


@bp.post("/snow-operations")
@token_required
def declare():
    data = DeclareIn().load(json_body())
    with write_transaction():
        operation = services.declare(g.api_user, now=clock.utcnow(), **data)
    return _answer(*services.visible_operation(g.api_user, operation.id)), 201


@bp.post("/snow-operations/<int:operation_id>/snow-stopped")
@token_required
def snow_stopped(operation_id: int):
    data = StoppedIn().load(json_body())
    with write_transaction():
        operation, tasks = services.visible_operation(g.api_user, operation_id)
        services.snow_stopped(g.api_user, operation, data["at"], clock.utcnow())
    return _answer(operation, tasks)


@bp.post("/snow-operations/<int:operation_id>/points/<int:point_id>")
@token_required
def act_on_point(operation_id: int, point_id: int):
    data = PointActionIn().load(json_body())
    with write_transaction():
        operation, _tasks = services.visible_operation(g.api_user, operation_id)
        task = progress.act_on_point(g.api_user, operation, point_id, now=clock.utcnow(), **data)
    return SnowTaskOut().dump(task)


@bp.get("/snow-operations/<int:operation_id>")
@token_required
def read(operation_id: int):
    return _answer(*services.visible_operation(g.api_user, operation_id))


def api_operations() -> dict:
    return {
        "/snow-operations": {"post": {
            "summary": "Declare a snowfall (降雪): one clearing task per grid of the towns",
            "requestBody": {"required": True, **api.json_content(api.ref("DeclareIn"))},
            "responses": {**api.ok("the operation and its tasks", "SnowOperationOut", "201"),
                          **api.errors("401", "403", "409", "422")}}},
        "/snow-operations/{operation_id}/snow-stopped": {"post": {
            "summary": "The snow stopped: every task's deadline counts from then",
            "parameters": [api.param("operation_id", {"type": "integer", "minimum": 1},
                                     required=True, where="path")],
            "requestBody": {"required": True, **api.json_content(api.ref("StoppedIn"))},
            "responses": {**api.ok("the operation with its deadlines", "SnowOperationOut"),
                          **api.errors("401", "403", "404", "409", "422")}}},
        "/snow-operations/{operation_id}/points/{point_id}": {"post": {
            "summary": "Progress on a snow point: start, clear (photo + 无积冰、无残雪、露出地面), "
                       "pass or fail a department's clear",
            "parameters": [api.param("operation_id", {"type": "integer", "minimum": 1},
                                     required=True, where="path"),
                           api.param("point_id", {"type": "integer", "minimum": 1},
                                     required=True, where="path")],
            "requestBody": {"required": True, **api.json_content(api.ref("PointActionIn"))},
            "responses": {**api.ok("the point's task, settled", "SnowTaskOut"),
                          **api.errors("401", "404", "409", "422")}}},
        "/snow-operations/{operation_id}": {"get": {
            "summary": "An operation with the tasks and points you may see",
            "parameters": [api.param("operation_id", {"type": "integer", "minimum": 1},
                                     required=True, where="path")],
            "responses": {**api.ok("the operation", "SnowOperationOut"),
                          **api.errors("401", "404")}}},
    }
