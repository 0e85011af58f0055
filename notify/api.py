"""The caller's in-app notifications."""
from flask import Blueprint, g, request
from marshmallow import Schema, fields, validate

from core.bearer import json_body, token_required
from core import clock
from core.database import write_transaction
from core.extensions import csrf
from core.inputs import Id
from core import openapi as api
from notify.services import inbox, mark_read, unread_count

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


class NotificationListOut(Schema):
    unread = fields.Integer()
    items = fields.List(fields.Nested(NotificationOut))


class ReadOut(Schema):
    marked = fields.Integer()
    unread = fields.Integer()


class ReadIn(Schema):
    ids = fields.List(Id(), load_default=None, validate=validate.Length(max=1000))


@bp.get("/notifications")
@token_required
def list_notifications():
    return {"unread": unread_count(g.api_user),
            "items": NotificationOut(many=True).dump(inbox(g.api_user))}


@bp.post("/notifications/read")
@token_required
def read_notifications():
    data = ReadIn().load(json_body() if request.data else {})
    with write_transaction():
        marked = mark_read(g.api_user, clock.utcnow(), data["ids"])
    return {"marked": marked, "unread": unread_count(g.api_user)}


# --- OpenAPI ---------------------------------------------------------------------------

def api_operations() -> dict:
    """This module's part of the OpenAPI document (core/openapi.py)."""
    return {
        "/notifications": {"get": {
            "summary": "Your in-app notifications, newest first",
            "responses": {**api.ok("unread count and notifications", "NotificationListOut"),
                          **api.errors("401")}}},
        "/notifications/read": {"post": {
            "summary": "Mark notifications read (all of yours when no ids are sent)",
            "requestBody": {"required": False, **api.json_content(api.ref("ReadIn"))},
            "responses": {**api.ok("how many were marked; unread left", "ReadOut"),
                          **api.errors("401", "422")}}},
    }
