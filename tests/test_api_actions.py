"""The seven-step walk and its side paths through the API, with every error."""
import pytest

from tests.support import POINT_GRID1


def _history(api, user, event_id):
    body = api(user).get(f"/api/v1/events/{event_id}").get_json()
    return [(h["action"], h["from_state"], h["to_state"]) for h in body["history"]], body


def test_full_walk_verify_dispatch_accept_handle_close(report, api):
    event = report("dispatcher")
    eid = event["id"]
    steps = [("worker", "verify", {"note": "现场核实属实"}, "filed"),
             ("dispatcher", "dispatch", {}, "dispatched"),
             ("handler", "accept", {}, "accepted"),
             ("handler", "handle", {"note": "已清运"}, "handled"),
             ("worker", "close", {"note": "核查合格", "photo": True}, "closed")]
    versions = [event["version"]]
    for user, action, fields, state in steps:
        response = api(user).act(eid, action, **fields)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["state"] == state
        versions.append(body["version"])
    assert versions == sorted(set(versions))  # strictly growing
    history, body = _history(api, "dispatcher", eid)
    assert history == [("create", None, "reported"), ("verify", "reported", "filed"),
                       ("dispatch", "filed", "dispatched"), ("accept", "dispatched", "accepted"),
                       ("handle", "accepted", "handled"), ("close", "handled", "closed")]
    assert body["department_code"] == "220221101000-HW"  # routing: 06010 → 环卫所
    assert body["closed_at"] and body["handled_at"] and body["dispatched_at"]
    assert body["history"][3]["actor"] == "环卫所 处置员"
    assert api("handler").get(f"/api/v1/events/{eid}").get_json()["allowed_actions"] == []


def _to_accepted(report, api):
    event = report("worker")
    api("dispatcher").act(event["id"], "dispatch")
    api("handler").act(event["id"], "accept")
    return event["id"]


def test_return_and_redispatch(report, api):
    eid = report("worker")["id"]
    api("dispatcher").act(eid, "dispatch", department_code="220221101000-ZF")
    response = api("h220221101000-zf").act(eid, "return", note="非本单位职责")
    assert response.get_json()["state"] == "filed"
    assert response.get_json()["department_code"] is None
    assert api("h220221101000-zf").get(f"/api/v1/events/{eid}").status_code == 404
    again = api("dispatcher").act(eid, "dispatch", department_code="220221101000-HW")
    assert again.get_json()["state"] == "dispatched"
    assert api("handler").act(eid, "accept").get_json()["state"] == "accepted"
    history, _ = _history(api, "dispatcher", eid)
    assert [h[0] for h in history] == ["create", "dispatch", "return", "dispatch", "accept"]


def test_rework_sends_it_back_to_the_department(report, api):
    eid = _to_accepted(report, api)
    api("handler").act(eid, "handle", note="已处理")
    body = api("worker").act(eid, "rework", note="仍有垃圾残留").get_json()
    assert body["state"] == "dispatched" and body["handled_at"] is None
    assert api("handler").act(eid, "accept").get_json()["state"] == "accepted"


def test_suspend_and_resume_return_to_where_it_was(report, api):
    eid = _to_accepted(report, api)
    body = api("supervisor").act(eid, "suspend", note="待上级协调").get_json()
    assert body["state"] == "suspended" and body["suspended_from"] == "accepted"
    blocked = api("handler").get(f"/api/v1/events/{eid}").get_json()
    assert blocked["allowed_actions"] == ["comment"]
    body = api("dispatcher").act(eid, "resume", note="协调完毕").get_json()
    assert body["state"] == "accepted" and body["suspended_from"] is None


def test_extension_request_approve_and_deny(report, api):
    eid = _to_accepted(report, api)
    body = api("handler").act(eid, "request_extension", hours=8, note="需大型机械").get_json()
    assert body["extension_requested_hours"] == 8
    assert "approve_extension" in api("dispatcher").get(
        f"/api/v1/events/{eid}").get_json()["allowed_actions"]
    assert api("handler").act(eid, "request_extension", hours=4, note="再延").status_code == 409
    body = api("dispatcher").act(eid, "approve_extension", note="同意").get_json()
    assert body["extension_granted_hours"] == 8 and body["extension_requested_hours"] is None
    api("handler").act(eid, "request_extension", hours=4, note="仍需时间")
    body = api("dispatcher").act(eid, "deny_extension", note="请按期完成").get_json()
    assert body["extension_granted_hours"] == 8 and body["extension_requested_hours"] is None
    queue = api("dispatcher").get("/api/v1/events?mine=1").get_json()["items"]
    assert eid not in [e["id"] for e in queue]


def test_extension_hours_are_validated(report, api):
    eid = _to_accepted(report, api)
    for hours in (None, 0, -3, 1000):
        fields = {"note": "x"} if hours is None else {"hours": hours, "note": "x"}
        response = api("handler").act(eid, "request_extension", **fields)
        assert response.status_code == 422
        assert "hours" in response.get_json()["fields"]


def test_reopen_a_closed_case(report, api):
    eid = _to_accepted(report, api)
    api("handler").act(eid, "handle", note="已处理")
    api("worker").act(eid, "close", note="合格", photo=True)
    assert api("worker").act(eid, "reopen", note="x").status_code == 403
    body = api("supervisor").act(eid, "reopen", note="群众反映问题反弹").get_json()
    assert body["state"] == "dispatched" and body["closed_at"] is None
    assert body["department_code"] == "220221101000-HW"


def test_reject_as_duplicate(report, api):
    first = report("dispatcher", point=POINT_GRID1)
    second = report("dispatcher", point=POINT_GRID1)
    response = api("worker").act(second["id"], "reject", note="重复上报",
                                 duplicate_of=first["id"])
    body = response.get_json()
    assert body["state"] == "rejected" and body["duplicate_of"] == first["id"]
    assert body["history"][-1]["data"]["duplicate_of_number"] == first["number"]
    third = report("dispatcher")
    bad = api("worker").act(third["id"], "reject", note="重复", duplicate_of=third["id"])
    assert bad.status_code == 422 and "duplicate_of" in bad.get_json()["fields"]


def test_invalid_transition_is_409_naming_state_and_allowed_actions(report, api):
    eid = report("worker")["id"]
    response = api("dispatcher").act(eid, "close", note="x")
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == "invalid_transition"
    assert body["state"] == "filed"
    assert body["allowed_actions"] == ["reject", "dispatch", "suspend", "comment"]
    assert "已立案" in body["message"] and "派遣" in body["message"]
    history, _ = _history(api, "dispatcher", eid)
    assert len(history) == 1


def test_role_without_the_action_is_403(report, api):
    eid = report("worker")["id"]
    response = api("worker").act(eid, "dispatch")
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"


@pytest.mark.parametrize("action,user,fields", [
    ("reject", "dispatcher", {}),
    ("comment", "worker", {"note": "   "}),
])
def test_missing_reason_is_422_and_nothing_changes(report, api, action, user, fields):
    event = report("worker")
    response = api(user).act(event["id"], action, **fields)
    assert response.status_code == 422
    assert "note" in response.get_json()["fields"]
    after = api("dispatcher").get(f"/api/v1/events/{event['id']}").get_json()
    assert after["state"] == "filed" and after["version"] == event["version"]
    assert len(after["history"]) == 1


def test_handle_and_close_need_a_note(report, api):
    eid = _to_accepted(report, api)
    assert api("handler").act(eid, "handle").status_code == 422


def test_unknown_action_and_foreign_parameters_are_422(report, api):
    eid = report("worker")["id"]
    response = api("dispatcher").act(eid, "teleport")
    assert response.status_code == 422 and "action" in response.get_json()["fields"]
    response = api("dispatcher").act(eid, "dispatch", hours=3)
    assert response.status_code == 422 and "hours" in response.get_json()["fields"]


def test_dispatch_to_unknown_or_foreign_department_is_422(report, api):
    eid = report("worker")["id"]
    for code in ("NOPE", "220221102000-HW"):
        response = api("dispatcher").act(eid, "dispatch", department_code=code)
        assert response.status_code == 422
        assert "department_code" in response.get_json()["fields"]


def test_stale_version_is_409_and_changes_nothing(report, api):
    event = report("worker")
    api("dispatcher").act(event["id"], "comment", note="先看一下")
    response = api("dispatcher").act(event["id"], "dispatch", version=event["version"])
    assert response.status_code == 409
    assert response.get_json()["error"] == "stale_version"
    after = api("dispatcher").get(f"/api/v1/events/{event['id']}").get_json()
    assert after["state"] == "filed"
    ok = api("dispatcher").act(event["id"], "dispatch", version=after["version"])
    assert ok.status_code == 200


def test_a_grid_workers_check_needs_their_own_photo_of_the_site(report, api, configure):
    eid = _to_accepted(report, api)
    api("handler").act(eid, "handle", note="已处理")
    refused = api("worker").act(eid, "close", note="合格")
    assert refused.status_code == 422 and "photo_ids" in refused.get_json()["fields"]
    assert refused.get_json()["message"] == "核查结案需附现场照片"
    assert api("worker").act(eid, "close", note="合格", photo=True).status_code == 200
    # a setting, for a county that checks by other means
    other = _to_accepted(report, api)
    api("handler").act(other, "handle", note="已处理")
    configure(CHECK_PHOTO_REQUIRED=False)
    assert api("worker").act(other, "close", note="合格").status_code == 200


@pytest.mark.parametrize("reason, note, stored", [
    ("不属实", None, "不属实"), ("重复", "与前一件相同", "重复：与前一件相同"),
    ("不属于网格事项", "", "不属于网格事项"), ("其他", "属私人纠纷，已引导走司法途径",
                                          "其他：属私人纠纷，已引导走司法途径")])
def test_a_report_is_rejected_for_a_reason_picked_on_site(report, api, reason, note, stored):
    eid = report("dispatcher")["id"]  # a hotline report: the grid's worker verifies it
    body = api("worker").act(eid, "reject", reason=reason, note=note).get_json()
    assert body["state"] == "rejected"
    last = body["history"][-1]
    assert last["note"] == stored and last["data"]["reason"] == reason


def test_a_rejection_needs_a_known_reason_and_other_needs_words(report, api):
    eid = report("dispatcher")["id"]
    assert api("worker").act(eid, "reject", reason="看不惯").status_code == 422
    refused = api("worker").act(eid, "reject", reason="其他")
    assert refused.status_code == 422 and "note" in refused.get_json()["fields"]
    assert api("worker").act(eid, "reject").status_code == 422  # no reason, no note
    assert api("dispatcher").act(eid, "comment", note="x", reason="不属实").status_code == 422
    assert api("worker").get(f"/api/v1/events/{eid}").get_json()["state"] == "reported"


def test_an_action_repeated_with_its_idempotency_key_is_done_once(report, api):
    event = report("dispatcher", source="hotline")
    key = {"Idempotency-Key": "phone-7f3a"}
    answers = [api("worker").post(f"/api/v1/events/{event['id']}/actions", headers=key, json={
        "action": "verify", "note": "属实", "version": event["version"]}) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].get_json()["version"] == answers[1].get_json()["version"]
    history, _ = _history(api, "dispatcher", event["id"])
    assert [h[0] for h in history] == ["create", "verify"]
    # another user's same key is theirs, not a replay of the worker's
    other = api("dispatcher").post(f"/api/v1/events/{event['id']}/actions", headers=key,
                                   json={"action": "verify", "version": event["version"]})
    assert other.status_code == 409
    too_long = api("worker").post(f"/api/v1/events/{event['id']}/actions",
                                  headers={"Idempotency-Key": "k" * 129},
                                  json={"action": "comment", "note": "x"})
    assert too_long.status_code == 422
