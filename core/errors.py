"""Errors, negotiated in one place: JSON {error, message, fields?} for the API, HTML pages otherwise."""
from flask import current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _, pgettext
from marshmallow import ValidationError as SchemaError
from sqlalchemy.exc import DataError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from core.extensions import db
from core.requestlog import current_id


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.fields = fields
        self.extra = extra

    def to_dict(self) -> dict:
        body = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        return body


class InvalidInput(AppError):
    status = 422
    code = "validation_error"


class Conflict(AppError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class StaleVersion(Conflict):
    code = "stale_version"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class TooManyAttempts(AppError):
    status = 429
    code = "too_many_requests"


class TooLarge(AppError):
    status = 413
    code = "payload_too_large"


def flat_messages(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested errors as {"photo_ids.0": ["Not a valid integer."]}: every
    value a list of messages, every key a path, as the API document promises."""
    if isinstance(messages, dict):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            flat.update(flat_messages(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(messages, (list, tuple)) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": list(messages)}
    if isinstance(messages, (list, tuple)):
        flat = {}
        for index, value in enumerate(messages):
            flat.update(flat_messages(value, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "_schema": [str(messages)]}


def wants_json() -> bool:
    """The API, the health check, and a page's script that asks for JSON (Accept)."""
    return (request.path.startswith("/api/") or request.path.startswith("/healthz")
            or request.accept_mimetypes.best == "application/json")


def register_error_renderer(app, path_prefix: str, render) -> None:
    """Errors under `path_prefix` are answered by render(status, body) in that interface's
    own format (portal/ registers Open311's): core/ knows no feature's formats."""
    app.extensions.setdefault("gridgov.error_renderers", []).append((path_prefix, render))


def _respond(status: int, body: dict):
    try:
        db.session.rollback()
    except SQLAlchemyError:  # its connection died with the error being answered
        db.session.remove()
    request_id = current_id()
    for prefix, render in current_app.extensions.get("gridgov.error_renderers", ()):
        if request.path.startswith(prefix):
            return render(status, body)
    if wants_json():
        response = jsonify({**body, "request_id": request_id} if request_id else body)
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="gridgov"'
        return response
    return render_template("error.html", status=status, message=body["message"],
                           request_id=request_id), status


def register_error_handlers(app) -> None:
    @app.errorhandler(AppError)
    def _app_error(error: AppError):
        return _respond(error.status, error.to_dict())

    @app.errorhandler(SchemaError)
    def _schema_error(error: SchemaError):
        fields = flat_messages(error.messages)
        names = pgettext("list separator", "、").join(sorted(fields))
        return _respond(422, {"error": "validation_error",
                              "message": _("以下字段有误：%(names)s", names=names),
                              "fields": fields})

    @app.errorhandler(DataError)
    def _data_error(_error):
        # A value the database refuses (out of range, wrong encoding) that validation
        # before it missed: the request is wrong, not the server.
        return _respond(422, {"error": "validation_error",
                              "message": _("输入的数据超出范围或格式不被接受")})

    @app.errorhandler(OperationalError)
    def _database_away(error):
        # the database went away under the request (PostgreSQL restarting, a connection
        # cut, SQLite's lock wait run out): nothing was committed, the pool drops the dead
        # connection, and the client may try again — with its Idempotency-Key, safely
        current_app.logger.warning("database unavailable: %s", str(error).splitlines()[0])
        response = make_response(_respond(503, {
            "error": "unavailable", "message": _("服务暂时不可用（数据库连接中断），请稍后重试")}))
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(StaleDataError)
    def _stale(_error):
        return _respond(409, {"error": "stale_version",
                              "message": _("案件已被他人修改，请刷新后重试")})

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        message = {
            404: _("未找到该资源"),
            405: _("不支持该请求方法"),
            413: _("上传内容过大"),
            429: _("请求过于频繁，请稍后再试"),
        }.get(error.code, error.description or error.name)
        code = {413: "payload_too_large", 404: "not_found"}.get(
            error.code, error.name.lower().replace(" ", "_"))
        response = _respond(error.code or 500, {"error": code, "message": message})
        if getattr(error, "valid_methods", None):  # 405 says what is allowed
            response = make_response(response)
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response
