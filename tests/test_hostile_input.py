"""Bad input gets a 4xx naming what is wrong — never a 500 — and leaves nothing behind
(issue 7, finding 4). Each runs on SQLite and PostgreSQL."""
import base64

from sqlalchemy import func, select

from core.extensions import db
from events.models import Event
from tests.support import POINT_GRID1

HUGE = "99999999999999999999"
CASE = {"category_code": "06010", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
        "description": "路边垃圾"}


def _cases(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Event))


def _raw(api_client, path, body: str):
    return api_client.client.post(path, data=body, content_type="application/json",
                                  headers=api_client.headers)


def test_ids_beyond_32_bits_are_not_found_or_invalid(api, report, world, login_as):
    worker = api("worker")
    case = report("worker")
    for path in (f"/api/v1/events/{HUGE}", "/api/v1/events/3000000000"):
        assert worker.get(path).status_code == 404
    staff = login_as("dispatcher")
    for path in (f"/events/{HUGE}", f"/attachments/{HUGE}", f"/attachments/{HUGE}/thumb",
                 f"/qr-points/{HUGE}/poster.pdf", "/events/3000000000"):
        assert staff.get(path).status_code == 404, path
    answer = worker.post("/api/v1/events", json={**CASE, "photo_ids": [int(HUGE)]})
    assert answer.status_code == 422 and "photo_ids.0" in answer.get_json()["fields"]
    answer = api("dispatcher").act(case["id"], "reject", note="重复", duplicate_of=3_000_000_000)
    assert answer.status_code == 422 and "duplicate_of" in answer.get_json()["fields"]
    answer = worker.post("/api/v1/notifications/read", json={"ids": [int(HUGE)]})
    assert answer.status_code == 422 and "ids.0" in answer.get_json()["fields"]
    assert _cases(world) == 1


def test_cursors_out_of_range_are_invalid(api, report):
    report("worker")
    for raw in (b"9999-12-31T23:59:59-14:00|1", f"2026-01-01T00:00:00+00:00|{HUGE}".encode(),
                b"not a cursor", b"\xff\xfe"):
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        answer = api("worker").get(f"/api/v1/events?cursor={cursor}")
        assert answer.status_code == 422 and "cursor" in answer.get_json()["fields"], raw
    assert api("worker").get("/api/v1/events?cursor=%%%").status_code == 422


def test_empty_query_parameters_mean_absent(api, report):
    report("worker")
    answer = api("worker").get("/api/v1/events?limit=&state=&cursor=")
    assert answer.status_code == 200 and len(answer.get_json()["items"]) == 1


def test_lone_surrogates_nul_and_deep_nesting_in_json_are_refused(api, world):
    worker = api("worker")
    bodies = ['{"category_code":"06010","lat":43.603,"lon":126.485,"description":"\\ud800"}',
              '{"category_code":"06010","lat":43.603,"lon":126.485,"description":"a\\u0000b"}',
              "[" * 100_000, '{"a":' * 50 + "1" + "}" * 50]
    for body in bodies:
        answer = _raw(worker, "/api/v1/events", body)
        assert answer.status_code == 422, body[:40]
        assert answer.get_json()["message"] == "请求体不是有效的 JSON"
    answer = world.test_client().post("/api/v1/tokens", data='{"username":"\\udfff","password":"x"}',
                                      content_type="application/json")
    assert answer.status_code == 422
    assert _cases(world) == 0


def test_nul_bytes_anywhere_in_a_request_are_refused(client, api, world, login_as):
    for path in ("/t/AB%00CD", "/q/ab%00cd", "/api/v1/events?grid=1%00"):
        answer = api("worker").get(path) if path.startswith("/api") else client.get(path)
        assert answer.status_code == 422, path
        assert "NUL" in answer.get_data(as_text=True)
    answer = client.post("/login", data={"username": "work\x00er", "password": "x"})
    assert answer.status_code == 422
    staff = login_as("worker")
    answer = staff.post("/events/new", data={"description": "a\x00b", "category_code": "06010"})
    assert answer.status_code == 422
    assert _cases(world) == 0


def test_calendar_years_out_of_range_are_a_clear_error(login_as):
    admin = login_as("admin")
    for year in ("99999", "-5"):
        answer = admin.get(f"/admin/calendar?year={year}")
        assert answer.status_code == 422 and "2000–2100" in answer.get_data(as_text=True), year


def test_a_non_numeric_revoke_id_is_not_found(login_as):
    answer = login_as("admin").post("/admin/open311-keys", data={"revoke": "abc"})
    assert answer.status_code == 404


def test_open311_dates_and_ids_out_of_range_say_what_is_wrong(client):
    answer = client.get("/open311/v2/requests.json?end_date=0001-01-01T00:00:00Z")
    assert answer.status_code == 400
    assert "end_date" in answer.get_json()[0]["description"]
    answer = client.get(f"/open311/v2/requests/{HUGE}.json")
    assert answer.status_code == 404 and "not found" in answer.get_json()[0]["description"]
    answer = client.get(f"/open311/v2/requests.json?service_request_id={HUGE}")
    assert answer.status_code == 400


def test_a_multipart_part_without_a_name_is_not_a_500(api):
    body = (b'--b\r\nContent-Disposition: form-data; name="\\"\r\n\r\n[]\r\n'
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="file"\r\n\r\n'
            b'\r\n--b--\r\n')
    response = api("worker").post("/api/v1/uploads", data=body,
                                  content_type="multipart/form-data; boundary=b")
    assert response.status_code == 422 and response.get_json()["fields"] == {"file": ["empty file"]}


def test_api_answers_encode_as_the_standard_library_would(app):
    """Answers are encoded by orjson (core.inputs.SafeJSONProvider); what it cannot encode
    the standard way falls back to Flask's encoder, so every answer still reads the same."""
    import json
    from datetime import datetime, timezone
    from decimal import Decimal
    with app.app_context():
        value = {"b": [1, 2.5, None, True], "a": "清河镇 \u2028", 3: "键",
                 "when": datetime(2026, 12, 1, 8, 30, tzinfo=timezone.utc),
                 "amount": Decimal("1.50")}
        encoded = app.json.dumps(value)
        assert json.loads(encoded) == {
            "b": [1, 2.5, None, True], "a": "清河镇 \u2028", "3": "键",
            "when": "Tue, 01 Dec 2026 08:30:00 GMT", "amount": "1.50"}
        # beyond orjson's 64 bits: the standard encoder takes over
        assert json.loads(app.json.dumps({"huge": 2**70, "n": [1]})) == {"huge": 2**70, "n": [1]}
        assert "清河镇" in encoded  # not \\u escapes
        response = app.json.response({"z": 1, "y": "网格"})
        assert response.get_data(as_text=True) == '{"y":"网格","z":1}\n'
