"""The caller's in-app notifications."""
from flask import Blueprint, g, request
from marshmallow import Schema, fields, validate

from core.bearer import json_body, token_required
from core import clock
from core.database import write_transaction
from core.extensions import csrf
from core.inputs import Id, QuerySchema
from core import openapi as api
from notify.services import inbox, mark_read, unread_counts

bp = Blueprint("notify_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


class NotificationOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    subject = fields.String()
    body = fields.String()
    event_id = fields.Integer(allow_none=True)
    data = fields.Dict()
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)
    done = fields.Boolean(metadata={"description": "a task whose case has moved on since"})


class NotificationListOut(Schema):
    unread = fields.Integer()
    unread_tasks = fields.Integer(metadata={"description": "待办: hand-offs (kind task.*)"})
    unread_alerts = fields.Integer(metadata={"description": "提醒: 催办, 超期, 督办, notices"})
    items = fields.List(fields.Nested(NotificationOut))


class ReadOut(Schema):
    marked = fields.Integer()
    unread = fields.Integer()
    unread_tasks = fields.Integer()
    unread_alerts = fields.Integer()


class InboxQueryIn(QuerySchema):
    unread = fields.Boolean(load_default=False)
    kind = fields.String(load_default=None, validate=validate.OneOf(("tasks", "alerts")))


class ReadIn(Schema):
    ids = fields.List(Id(), load_default=None, validate=validate.Length(max=1000))


@bp.get("/notifications")
@token_required
def list_notifications():
    query = InboxQueryIn().load(request.args)
    return {**_counts(g.api_user), "items": NotificationOut(many=True).dump(
        inbox(g.api_user, unread_only=query["unread"], kind=query["kind"]))}


def _counts(user) -> dict:
    counts = unread_counts(user)
    return {"unread": counts["tasks"] + counts["alerts"], "unread_tasks": counts["tasks"],
            "unread_alerts": counts["alerts"]}


@bp.post("/notifications/read")
@token_required
def read_notifications():
    data = ReadIn().load(json_body() if request.data else {})
    with write_transaction():
        marked = mark_read(g.api_user, clock.utcnow(), data["ids"])
    return {"marked": marked, **_counts(g.api_user)}


# --- OpenAPI ---------------------------------------------------------------------------

def api_operations() -> dict:
    """This module's part of the OpenAPI document (core/openapi.py)."""
    return {
        "/notifications": {"get": {
            "summary": "Your in-app notifications, newest first",
            "parameters": [api.param("unread", {"type": "boolean"}, description="unread only"),
                           api.param("kind", {"type": "string", "enum": ["tasks", "alerts"]},
                                     description="tasks (待办) or alerts (提醒)")],
            "responses": {**api.ok("unread count and notifications", "NotificationListOut"),
                          **api.errors("401")}}},
        "/notifications/read": {"post": {
            "summary": "Mark notifications read (all of yours when no ids are sent)",
            "requestBody": {"required": False, **api.json_content(api.ref("ReadIn"))},
            "responses": {**api.ok("how many were marked; unread left", "ReadOut"),
                          **api.errors("401", "422")}}},
    }
