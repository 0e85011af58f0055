"""Every answer has a request id a user can quote (issue 13): in the X-Request-Id header,
in API error bodies and on error pages; a proxy's own id is kept when it is sane."""
import json
import logging

from core.requestlog import RequestIdFilter, formatter
from tests.support import another_app


def test_every_answer_names_its_request(client):
    first, second = client.get("/healthz/web"), client.get("/healthz/web")
    assert len(first.headers["X-Request-Id"]) == 32
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_an_api_error_carries_the_id_of_its_request(world, api):
    answer = api("worker").get("/api/v1/events/999999")
    assert answer.status_code == 404
    assert answer.get_json()["request_id"] == answer.headers["X-Request-Id"]


def test_an_error_page_shows_the_id_to_quote(world, login_as):
    answer = login_as("dispatcher").get("/events/999999")
    assert answer.status_code == 404
    page = answer.get_data(as_text=True)
    assert f"请求编号：{answer.headers['X-Request-Id']}" in page


def test_a_proxys_id_is_kept_and_a_hostile_one_replaced(client):
    kept = client.get("/healthz/web", headers={"X-Request-Id": "nginx-0123456789abcdef"})
    assert kept.headers["X-Request-Id"] == "nginx-0123456789abcdef"
    for hostile in ("x;Set-Cookie:a=b", "<script>alert(1)</script>", "a b c d e f g h",
                    "é" * 20, "z" * 65, "short"):
        answer = client.get("/healthz/web", headers={"X-Request-Id": hostile})
        assert answer.headers["X-Request-Id"] != hostile
        assert len(answer.headers["X-Request-Id"]) == 32


def test_a_json_request_line_names_who_did_what_how_long(world, token_for, caplog, configure):
    """LOG_FORMAT=json: the line each request ends with, formatted as the server writes it."""
    token = token_for("worker")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with another_app(world, LOG_FORMAT="json") as app, \
                caplog.at_level(logging.INFO, logger="gridgov.request"):
            answer = app.test_client().get("/api/v1/events?limit=5",
                                           headers={"Authorization": f"Bearer {token}"})
        assert any(getattr(h, "gridgov_json", False) for h in root.handlers)
    finally:  # the JSON handler on stderr is the process's: not for the tests after this
        root.handlers[:], root.level = handlers, level
    assert answer.status_code == 200
    records = [r for r in caplog.records if r.name == "gridgov.request"]
    assert len(records) == 1
    RequestIdFilter().filter(records[0])
    line = formatter().format(records[0])
    assert "\n" not in line
    fields = json.loads(line)
    with world.app_context():
        from auth.models import User
        from core.extensions import db
        from sqlalchemy import select
        worker_id = db.session.scalar(select(User.id).where(User.username == "worker"))
    assert fields["request_id"] == answer.headers["X-Request-Id"]
    assert fields["user_id"] == worker_id
    assert (fields["method"], fields["path"], fields["status"]) == ("GET", "/api/v1/events", 200)
    assert fields["endpoint"] == "events_api.list_events"
    assert fields["duration_ms"] > 0 and fields["level"] == "INFO" and fields["time"]


def test_behind_a_proxy_the_client_address_is_the_phones(world, configure):
    """PROXY_FIX_HOPS=1 believes nginx's X-Forwarded-For; by default nobody's is believed
    (a resident cannot fake another address to dodge the rate limit)."""
    from flask import request
    seen = []
    for hops in (0, 1):
        with another_app(world, PROXY_FIX_HOPS=hops) as app:
            app.before_request(lambda: seen.append((request.remote_addr, request.scheme)) and None)
            app.test_client().get("/healthz/web", headers={
                "X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"})
    assert seen == [("127.0.0.1", "http"), ("10.1.2.3", "https")]
