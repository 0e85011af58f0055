"""Tokens, passwords and lockout."""
from datetime import timedelta

from sqlalchemy import select

from auth.models import ApiToken, User
from core.extensions import db
from tests.conftest import DEMO_PASSWORD


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
    assert locked.status_code == 401
    assert "锁定" in locked.get_json()["message"]
    with world.app_context():
        user = db.session.scalar(select(User).where(User.username == "worker"))
        user.locked_until -= timedelta(minutes=15, seconds=1)
        db.session.commit()
    assert _token(client).status_code == 201


def test_expired_token_is_refused(client, world):
    token = _token(client).get_json()["token"]
    with world.app_context():
        row = db.session.scalars(select(ApiToken)).one()
        row.expires_at = row.created_at - timedelta(seconds=1)
        db.session.commit()
    response = client.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "过期" in response.get_json()["message"]


def test_disabled_user_cannot_get_or_use_tokens(client, world):
    token = _token(client).get_json()["token"]
    with world.app_context():
        user = db.session.scalar(select(User).where(User.username == "worker"))
        user.is_enabled = False
        db.session.commit()
    assert _token(client).status_code == 401
    assert client.get("/api/v1/events",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_passwords_are_hashed(world):
    with world.app_context():
        hashes = db.session.scalars(select(User.password_hash)).all()
    assert all(h.startswith(("scrypt:", "pbkdf2:")) for h in hashes)
    assert DEMO_PASSWORD not in hashes
