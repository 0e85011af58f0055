"""The staff JSON API for cases: create, list, read, act; and its errors."""
import re

import pytest

from tests.support import POINT_GRID1, POINT_GRID2, POINT_TOWN2


def test_worker_patrol_report_is_filed_with_a_town_number(report):
    event = report("worker", address="人民大街12号")
    assert event["state"] == "filed"
    assert event["source"] == "patrol"
    assert event["grid_code"] == "220221101000001"
    assert event["town_code"] == "220221101000"
    assert re.fullmatch(r"清河-20\d\d-000001", event["number"])
    assert [h["action"] for h in event["history"]] == ["create"]
    assert event["history"][0]["to_state"] == "filed"
    assert event["created_at"].endswith("+00:00")


def test_numbers_count_up_per_town(report):
    first = report("worker")
    second = report("worker")
    other_town = report("dispatcher2", point=POINT_TOWN2)
    assert int(second["number"][-6:]) == int(first["number"][-6:]) + 1
    assert other_town["number"].startswith("柳湾-") and other_town["number"].endswith("-000001")


def test_dispatcher_hotline_report_awaits_verification(report):
    event = report("dispatcher")
    assert event["state"] == "reported" and event["source"] == "hotline"
    assert event["allowed_actions"][:2] == ["verify", "reject"]


def test_grid_is_located_from_the_point_or_taken_from_grid_code(report, api):
    assert report("dispatcher", point=POINT_GRID2)["grid_code"] == "220221101000002"
    given = report("dispatcher", point=POINT_GRID2, grid_code="220221101000002")
    assert given["grid_code"] == "220221101000002"
    outside = api("dispatcher").post("/api/v1/events", json={
        "category_code": "06010", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
        "description": "x", "grid_code": "220221101000003"})
    assert outside.status_code == 422 and set(outside.get_json()["fields"]) == {"lat", "lon"}
    response = api("dispatcher").post("/api/v1/events", json={
        "category_code": "06010", "lat": 10.0, "lon": 10.0, "description": "x"})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"lat", "lon"}


def test_worker_cannot_report_in_another_grid(api):
    response = api("worker").post("/api/v1/events", json={
        "category_code": "06010", "lat": POINT_GRID2[0], "lon": POINT_GRID2[1],
        "description": "别的网格"})
    assert response.status_code == 403


@pytest.mark.parametrize("body,fields", [
    ({}, {"category_code", "lat", "lon", "description"}),
    ({"category_code": "6010", "lat": 91, "lon": 126.5, "description": "x"},
     {"category_code", "lat"}),
    ({"category_code": "06010", "lat": 43.6, "lon": "east", "description": ""},
     {"lon", "description"}),
    ({"category_code": "06010", "lat": 43.6, "lon": 126.5, "description": "x" * 2001},
     {"description"}),
    ({"category_code": "06010", "lat": 43.6, "lon": 126.5, "description": "   "},
     {"description"}),
])
def test_create_rejects_bad_fields_naming_each_and_writes_nothing(api, body, fields):
    response = api("worker").post("/api/v1/events", json=body)
    assert response.status_code == 422
    payload = response.get_json()
    assert payload["error"] == "validation_error"
    assert set(payload["fields"]) == fields
    assert api("worker").get("/api/v1/events").get_json()["items"] == []


def test_unknown_category_is_422(api):
    response = api("worker").post("/api/v1/events", json={
        "category_code": "99999", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
        "description": "x"})
    assert response.status_code == 422
    assert "category_code" in response.get_json()["fields"]


def test_non_json_body_is_422(api):
    response = api("worker").post("/api/v1/events", data="not json",
                                  headers={"Content-Type": "text/plain"})
    assert response.status_code == 422


def test_idempotency_key_returns_the_first_result(api):
    worker = api("worker")
    body = {"category_code": "06010", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
            "description": "重复提交"}
    first = worker.post("/api/v1/events", json=body, headers={"Idempotency-Key": "k-1"})
    again = worker.post("/api/v1/events", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(worker.get("/api/v1/events").get_json()["items"]) == 1
    other = worker.post("/api/v1/events", json=body, headers={"Idempotency-Key": "k-2"})
    assert other.get_json()["id"] != first.get_json()["id"]


def test_possible_duplicates_within_50m_same_category_open(report, api):
    first = report("worker", point=(43.6030, 126.4850))
    near = report("worker", point=(43.6032, 126.4852))  # ~27 m away
    assert [d["id"] for d in near["possible_duplicates"]] == [first["id"]]
    far = report("worker", point=(43.6040, 126.4850))  # ~111 m away
    assert first["id"] not in [d["id"] for d in far["possible_duplicates"]]
    other_kind = report("worker", point=(43.6030, 126.4850), category_code="09006")
    assert other_kind["possible_duplicates"] == []
    nearby = api("worker").get("/api/v1/events/nearby?category=06010&lat=43.6031&lon=126.4851")
    assert {e["id"] for e in nearby.get_json()["items"]} == {first["id"], near["id"]}


def test_list_filters_and_visibility(report, api):
    mine = report("worker")
    grid2 = report("w101002", point=POINT_GRID2)
    town2 = report("dispatcher2", point=POINT_TOWN2)
    ids = lambda user, query="": [e["id"] for e in api(user).get(
        f"/api/v1/events{query}").get_json()["items"]]
    assert ids("worker") == [mine["id"]]
    assert ids("w101002") == [grid2["id"]]
    assert ids("dispatcher") == [grid2["id"], mine["id"]]
    assert set(ids("supervisor")) == {mine["id"], grid2["id"], town2["id"]}
    assert set(ids("admin")) == {mine["id"], grid2["id"], town2["id"]}
    assert ids("handler") == []
    assert ids("dispatcher", "?grid=220221101000002") == [grid2["id"]]
    assert ids("admin", "?town=220221102000") == [town2["id"]]
    assert ids("dispatcher", "?state=reported") == []
    assert ids("dispatcher", "?state=filed&category=06010") == [grid2["id"], mine["id"]]
    bad = api("dispatcher").get("/api/v1/events?state=nonsense")
    assert bad.status_code == 422 and "state" in bad.get_json()["fields"]


def test_mine_is_the_queue_waiting_on_me(report, api):
    filed = report("worker")
    reported = report("dispatcher")
    queue = lambda user: [e["id"] for e in api(user).get("/api/v1/events?mine=1")
                          .get_json()["items"]]
    assert queue("dispatcher") == [filed["id"]]
    assert queue("worker") == [reported["id"]]
    api("dispatcher").act(filed["id"], "dispatch")
    assert queue("handler") == [filed["id"]]
    assert queue("dispatcher") == []


def test_keyset_pagination_walks_every_case_once_newest_first(report, api):
    created = [report("worker")["id"] for _ in range(7)]
    seen, cursor = [], None
    while True:
        query = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api("worker").get(f"/api/v1/events{query}").get_json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(created))
    assert api("worker").get("/api/v1/events?cursor=@@@").status_code == 422
    assert api("worker").get("/api/v1/events?limit=0").status_code == 422


def test_detail_has_history_and_allowed_actions_for_the_caller(report, api):
    event = report("worker")
    dispatcher_view = api("dispatcher").get(f"/api/v1/events/{event['id']}").get_json()
    assert dispatcher_view["allowed_actions"] == ["reject", "dispatch", "suspend", "comment"]
    supervisor_view = api("supervisor").get(f"/api/v1/events/{event['id']}").get_json()
    assert supervisor_view["allowed_actions"] == ["suspend", "supervise", "comment"]


def test_cases_outside_scope_are_404_not_403(report, api):
    event = report("w101002", point=POINT_GRID2)
    for user in ("worker", "handler", "dispatcher2"):
        assert api(user).get(f"/api/v1/events/{event['id']}").status_code == 404
        response = api(user).act(event["id"], "comment", note="hi")
        assert response.status_code == 404
    assert api("worker").get("/api/v1/events/999999").status_code == 404


def test_handler_sees_only_their_department(report, api):
    event = report("worker")
    api("dispatcher").act(event["id"], "dispatch", department_code="220221101000-ZF")
    assert api("handler").get(f"/api/v1/events/{event['id']}").status_code == 404
    assert api("h220221101000-zf").get(f"/api/v1/events/{event['id']}").status_code == 200


def test_api_needs_a_valid_bearer_token(client, world):
    assert client.get("/api/v1/events").status_code == 401
    response = client.get("/api/v1/events", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


def test_reference_lists(api):
    categories = api("worker").get("/api/v1/categories").get_json()["items"]
    garbage = next(c for c in categories if c["code"] == "06010")
    assert garbage["name"] == "暴露垃圾" and garbage["limit_unit"] == "wh"
    grids = api("worker").get("/api/v1/grids?town=220221101000").get_json()["items"]
    assert len(grids) == 12 and grids[0]["code"] == "220221101000001"
    located = api("worker").get(f"/api/v1/grids/locate?lat={POINT_GRID2[0]}&lon={POINT_GRID2[1]}")
    assert located.get_json()["code"] == "220221101000002"
    assert api("worker").get("/api/v1/grids/locate?lat=0&lon=0").status_code == 404
    assert api("worker").get("/api/v1/grids/locate?lat=abc&lon=0").status_code == 422
    departments = api("worker").get("/api/v1/departments?town=220221101000").get_json()["items"]
    assert "220221101000-HW" in {d["code"] for d in departments}
