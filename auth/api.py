"""Bearer tokens for the JSON API, and who the caller is (`GET /me`)."""
from flask import Blueprint, g, request
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from auth.permissions import case_scope, report_scope
from auth.services import authenticate, issue_token
from core import clock
from core.bearer import json_body, token_required
from core.database import write_transaction
from core.errors import Forbidden
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
    if user.must_change_password:  # an admin reset it: the user chooses one first
        raise Forbidden(_("密码已被管理员重置：请先登录网页修改密码"),
                        fields={"password": ["must be changed on the web first"]})
    with write_transaction():
        token, row = issue_token(user, now)
    return {"token": token, "expires_at": row.expires_at.isoformat()}, 201


class PlaceOut(Schema):
    code = fields.String()
    name = fields.String()


class GridRefOut(PlaceOut):
    town_code = fields.String()
    role = fields.String(metadata={"description": "worker, or leader (网格长)"})


class ScopeOut(Schema):
    kind = fields.String(metadata={"enum": ["all", "none", "grids", "town", "department",
                                            "region"]})
    may_report = fields.Boolean(metadata={"description": "may file reports in the scope"})


class MeOut(Schema):
    """The caller: what any phone or desk client needs first."""
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String(metadata={"enum": ["admin", "supervisor", "dispatcher",
                                            "grid_worker", "handler"]})
    email = fields.String(allow_none=True)
    is_department_head = fields.Boolean()
    region = fields.Nested(PlaceOut, allow_none=True, metadata={
        "description": "a dispatcher's town, a supervisor's region"})
    department = fields.Nested(PlaceOut, allow_none=True)
    grids = fields.List(fields.Nested(GridRefOut), metadata={"description": "a worker's grids"})
    scope = fields.Nested(ScopeOut)


def _place(row) -> dict | None:
    return {"code": row.code, "name": row.name} if row is not None else None


@bp.get("/me")
@token_required
def me():
    user = g.api_user
    return {"id": user.id, "username": user.username, "display_name": user.display_name,
            "role": user.role, "email": user.email,
            "is_department_head": bool(user.is_department_head),
            "region": _place(user.region), "department": _place(user.department),
            "grids": sorted(({"code": m.grid.code, "name": m.grid.name,
                              "town_code": m.grid.town.code, "role": m.grid_role}
                             for m in user.memberships), key=lambda grid: grid["code"]),
            "scope": {"kind": case_scope(user).kind,
                      "may_report": report_scope(user).kind != "none"}}


# --- OpenAPI ---------------------------------------------------------------------------

def api_operations() -> dict:
    """This module's part of the OpenAPI document (core/openapi.py)."""
    return {
        "/tokens": {"post": {
            "summary": "Bearer token for username + password", "security": [],
            "requestBody": {"required": True, **api.json_content(api.ref("TokenRequest"))},
            "responses": {**api.ok("the token, shown once", "TokenOut", "201"),
                          **api.errors("401", "422", "429")}}},
        "/me": {"get": {
            "summary": "The caller: user, role and scope (grids, town, department, region)",
            "responses": {**api.ok("the caller", "MeOut"), **api.errors("401")}}},
    }
