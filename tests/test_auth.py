"""Tokens, passwords and lockout."""
from datetime import timedelta

import pytest

from sqlalchemy import select

from auth.models import ApiToken, LoginFailure, User
from core.extensions import db
from tests.support import DEMO_PASSWORD, writing


def _token(client, username="worker", password=DEMO_PASSWORD):
    return client.post("/api/v1/tokens", json={"username": username, "password": password})


def test_token_is_issued_stored_hashed_and_works(client, world):
    response = _token(client)
    assert response.status_code == 201
    body = response.get_json()
    assert len(body["token"]) >= 40 and body["expires_at"].endswith("+00:00")
    with world.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert stored and body["token"] not in stored
    listing = client.get("/api/v1/events", headers={"Authorization": f"Bearer {body['token']}"})
    assert listing.status_code == 200


def test_wrong_password_is_401_and_bad_body_is_422(client, world):
    assert _token(client, password="wrong-password").status_code == 401
    assert _token(client, username="nobody").status_code == 401
    response = client.post("/api/v1/tokens", json={"username": "worker"})
    assert response.status_code == 422 and "password" in response.get_json()["fields"]


def test_five_failures_lock_the_account_for_fifteen_minutes(client, world):
    for _ in range(5):
        assert _token(client, password="wrong-password").status_code == 401
    locked = _token(client)  # right password, but locked
    assert locked.status_code == 429
    assert "锁定" in locked.get_json()["message"] and "15 分钟" in locked.get_json()["message"]
    with writing(world):
        for row in db.session.scalars(select(LoginFailure)):
            row.at -= timedelta(minutes=15, seconds=1)
    assert _token(client).status_code == 201


def test_the_lockout_answer_does_not_tell_which_usernames_exist(client, world):
    for name in ("worker", "nobody"):
        for _ in range(5):
            assert _token(client, username=name, password="wrong-password").status_code == 401
    real, unknown = _token(client, "worker"), _token(client, "nobody")
    assert real.status_code == unknown.status_code == 429
    def told(answer):  # all but the id of the request itself
        return {k: v for k, v in answer.get_json().items() if k != "request_id"}
    assert told(real) == told(unknown)


def _from(world, ip):
    client = world.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def test_one_address_cannot_lock_an_account_out_for_everyone(world):
    attacker, admin = _from(world, "10.9.8.7"), _from(world, "10.1.1.1")
    for _ in range(20):
        attacker.post("/api/v1/tokens", json={"username": "admin", "password": "guess"})
    assert _token(attacker, "admin").status_code == 429
    assert _token(admin, "admin").status_code == 201


def test_an_address_trying_many_usernames_is_stopped(world):
    attacker = _from(world, "10.9.8.7")
    for i in range(30):
        assert _token(attacker, f"user{i}", "guess").status_code == 401
    assert _token(attacker, "worker").status_code == 429  # even a right password, from there
    assert _token(_from(world, "10.1.1.1"), "worker").status_code == 201


def test_many_addresses_guessing_one_account_are_stopped(world):
    for i in range(10):
        for _ in range(5):
            _token(_from(world, f"10.0.0.{i}"), "worker", "guess")
    assert _token(_from(world, "10.1.1.1"), "worker").status_code == 429
    assert _token(_from(world, "10.1.1.1"), "dispatcher").status_code == 201


def test_a_success_forgets_that_addresses_failures(client, world):
    for _ in range(4):
        _token(client, password="wrong-password")
    assert _token(client).status_code == 201
    for _ in range(4):
        assert _token(client, password="wrong-password").status_code == 401
    assert _token(client).status_code == 201


def test_cli_unlock_lifts_a_lockout(client, world):
    for _ in range(5):
        _token(client, password="wrong-password")
    assert _token(client).status_code == 429
    result = world.test_cli_runner().invoke(args=["users", "unlock", "worker"])
    assert result.exit_code == 0 and "forgot 5" in result.output
    assert _token(client).status_code == 201


def test_expired_token_is_refused(client, world):
    token = _token(client).get_json()["token"]
    with writing(world):
        row = db.session.scalars(select(ApiToken)).one()
        row.expires_at = row.created_at - timedelta(seconds=1)
    response = client.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "过期" in response.get_json()["message"]


def test_disabled_user_cannot_get_or_use_tokens(client, world):
    token = _token(client).get_json()["token"]
    with writing(world):
        user = db.session.scalar(select(User).where(User.username == "worker"))
        user.is_enabled = False
    assert _token(client).status_code == 401
    assert client.get("/api/v1/events",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_passwords_are_hashed(world):
    with world.app_context():
        hashes = db.session.scalars(select(User.password_hash)).all()
    assert all(h.startswith(("scrypt:", "pbkdf2:")) for h in hashes)
    assert DEMO_PASSWORD not in hashes


@pytest.mark.parametrize("username, role, scope, grids, region, department", [
    ("worker", "grid_worker", "grids", ["220221101000001"], "清河镇", None),
    ("dispatcher", "dispatcher", "town", [], "清河镇", None),
    ("handler", "handler", "department", [], "清河镇", "环卫所"),
    ("supervisor", "supervisor", "region", [], "永吉县", None),
    ("admin", "admin", "all", [], None, None),
])
def test_me_says_who_the_caller_is_and_where_they_reach(api, username, role, scope, grids,
                                                        region, department):
    answer = api(username).get("/api/v1/me")
    assert answer.status_code == 200
    me = answer.get_json()
    assert (me["username"], me["role"], me["scope"]["kind"]) == (username, role, scope)
    assert [g["code"] for g in me["grids"]] == grids
    assert (me["region"] or {}).get("name") == region
    assert (me["department"] or {}).get("name") == department
    assert me["scope"]["may_report"] == (role in ("grid_worker", "dispatcher", "admin"))
    assert "password_hash" not in me


def test_me_needs_a_token(client):
    assert client.get("/api/v1/me").status_code == 401
