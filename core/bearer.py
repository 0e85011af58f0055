"""Who is calling the JSON API: the bearer-token check every feature's API uses.

The mechanism lives here so that any package's API can require a token without importing
auth/ (issue 16: grid/ sits below auth/); auth/ registers how a token finds its user
(`register_token_loader`), as Flask-Login's `user_loader` does for sessions."""
from functools import wraps

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from core import clock
from core.errors import InvalidInput, Unauthorized

_LOADER = "gridgov.token_loader"


def register_token_loader(app, load) -> None:
    """`load(token, now)` → the token's user, or None for an unknown or expired one."""
    app.extensions[_LOADER] = load


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


def bearer_user():
    """The bearer token's user; None when no token is sent; Unauthorized for a bad one."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    user = current_app.extensions[_LOADER](token.strip(), clock.utcnow())
    if user is None:
        raise Unauthorized("令牌无效或已过期")
    return user


def token_required(view):
    """API views: the caller is the bearer token's user, in g.api_user; sessions are ignored
    so the API needs no CSRF protection."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = bearer_user()
        if user is None:
            raise Unauthorized("需要 Authorization: Bearer 令牌")
        g.api_user = user
        return view(*args, **kwargs)
    return wrapper


def token_or_login_required(view):
    """Pages API clients fetch too (case photos): a bearer token when one is sent — an
    explicit credential wins over whatever session cookie comes along — else the login
    session. The caller is in g.viewer."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = bearer_user()
        if user is None:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            user = current_user._get_current_object()
        g.viewer = user
        return view(*args, **kwargs)
    return wrapper
