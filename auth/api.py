"""Bearer tokens for the JSON API."""
from functools import wraps

from flask import Blueprint, current_app, g, request
from flask_login import current_user
from flask_babel import gettext as _
from marshmallow import Schema, fields, validate

from auth.services import authenticate, issue_token, user_for_token
from core import clock
from core.errors import InvalidInput, Unauthorized
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


def json_body() -> dict:
    """The request's JSON object, or 422 saying what is wrong with it."""
    body = None
    if request.is_json:
        try:
            body = current_app.json.loads(request.get_data(cache=True))
        except ValueError as error:  # core.inputs.BadJSON too: depth, surrogates, NUL
            raise InvalidInput(_("请求体不是有效的 JSON"),
                               fields={"_body": [str(error)[:200]]}) from None
    if not isinstance(body, dict):
        raise InvalidInput(_("请求体须为 JSON 对象"), fields={"_body": ["expected a JSON object"]})
    return body


@bp.post("/tokens")
def create_token():
    data = TokenRequest().load(json_body())
    now = clock.utcnow()
    user = authenticate(data["username"], data["password"], now, request.remote_addr)
    with write_transaction():
        token, row = issue_token(user, now)
    return {"token": token, "expires_at": row.expires_at.isoformat()}, 201


def _bearer_user():
    """The bearer token's user; None when no token is sent; Unauthorized for a bad one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = user_for_token(token.strip(), clock.utcnow())
    if user is None:
        raise Unauthorized("令牌无效或已过期")
    return user


def token_or_login_required(view):
    """Pages API clients fetch too (case photos): a bearer token when one is sent — an
    explicit credential wins over whatever session cookie comes along — else the login
    session. The caller is in g.viewer."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = _bearer_user()
        if user is None:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            user = current_user._get_current_object()
        g.viewer = user
        return view(*args, **kwargs)
    return wrapper


def token_required(view):
    """API views: the caller is the bearer token's user, in g.api_user; sessions are ignored
    so the API needs no CSRF protection."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = _bearer_user()
        if user is None:
            raise Unauthorized("需要 Authorization: Bearer 令牌")
        g.api_user = user
        return view(*args, **kwargs)
    return wrapper


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
