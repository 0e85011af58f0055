"""Bearer tokens for the JSON API."""
from flask import Blueprint, request
from marshmallow import Schema, fields, validate

from auth.services import authenticate, issue_token
from core import clock
from core.bearer import json_body
from core.database import write_transaction
from core.extensions import csrf
from core import openapi as api

bp = Blueprint("auth_api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


class TokenRequest(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class TokenOut(Schema):
    token = fields.String(metadata={"description": "send as `Authorization: Bearer …`"})
    expires_at = fields.AwareDateTime()


@bp.post("/tokens")
def create_token():
    data = TokenRequest().load(json_body())
    now = clock.utcnow()
    user = authenticate(data["username"], data["password"], now, request.remote_addr)
    with write_transaction():
        token, row = issue_token(user, now)
    return {"token": token, "expires_at": row.expires_at.isoformat()}, 201


# --- OpenAPI ---------------------------------------------------------------------------

def api_operations() -> dict:
    """This module's part of the OpenAPI document (core/openapi.py)."""
    return {
        "/tokens": {"post": {
            "summary": "Bearer token for username + password", "security": [],
            "requestBody": {"required": True, **api.json_content(api.ref("TokenRequest"))},
            "responses": {**api.ok("the token, shown once", "TokenOut", "201"),
                          **api.errors("401", "422", "429")}}},
    }
