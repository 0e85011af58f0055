"""Request ids and log lines (issue 13).

Every request gets an id: the one a proxy sent in X-Request-Id when it is a sane token,
else a new one. It goes back in the answer's X-Request-Id header, in every API error
body and on every error page, so a user can quote it; and on every log line written
while the request runs. With LOG_FORMAT=json each log line is one JSON object, and each
request ends with one line on the logger "gridgov.request":
{"time", "level", "logger", "message": "request", "request_id", "method", "path",
"endpoint", "status", "duration_ms", "user_id", "ip"}.
"""
import logging
import re
import sys
import time
import uuid

from flask import g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

log = logging.getLogger("gridgov.request")
#: what a proxy may hand us as the id (nginx's $request_id is 32 hex digits)
SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}\Z")
FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
#: in the WSGI environ of the requests a server makes to itself before its workers start
#: (ops.warmup): no log line and no metrics count them
WARM_UP_ENVIRON = "gridgov.warm_up"


def current_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Every record written inside a request carries its id."""

    def filter(self, record):
        if getattr(record, "request_id", None) is None:
            record.request_id = current_id()
        return True


def formatter() -> logging.Formatter:
    return JsonFormatter(FIELDS, rename_fields={"asctime": "time", "levelname": "level",
                                                "name": "logger"},
                         json_ensure_ascii=False)


def configure_logging(level: str, stream=None) -> None:
    """JSON lines on stderr (journald, gunicorn's error log) from every logger: once per
    process, however many apps it creates."""
    root = logging.getLogger()
    if any(getattr(h, "gridgov_json", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.gridgov_json = True
    handler.setFormatter(formatter())
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(level)


def _user_id():
    for name in ("api_user", "viewer", "_login_user"):
        user = g.get(name)
        if user is not None and getattr(user, "is_authenticated", False):
            return user.id
    return None


def init_app(app) -> None:
    json_lines = app.config["LOG_FORMAT"] == "json"
    if json_lines:
        configure_logging(app.config["LOG_LEVEL"])

    @app.before_request
    def _begin():
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if SANE_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _end(response):
        request_id = g.get("request_id")
        if request_id is None:  # a request refused before it began (Flask's own 404s run it)
            return response
        response.headers["X-Request-Id"] = request_id
        if json_lines and not request.environ.get(WARM_UP_ENVIRON):
            log.info("request", extra={
                "request_id": request_id, "method": request.method, "path": request.path,
                "endpoint": request.endpoint, "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
                "user_id": _user_id(), "ip": request.remote_addr})
        return response
