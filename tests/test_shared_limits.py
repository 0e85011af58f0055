"""Rate limits hold across app servers when they share a Redis store (a real redis-server),
and a store that goes away does not take the reporting form down with it."""
import os
import subprocess
import sys
import time
import uuid

import pytest
import requests
from sqlalchemy import func, select

from core import create_app
from core.extensions import db
from events.models import Event
from portal.models import QrPoint
from tests.support import _config, missing_part
from tests.pgserver import _free_port
from tests.redisserver import TempRedis, find_redis


@pytest.fixture
def database_url(sqlite_url):
    """Two gunicorn servers share one SQLite file here (PostgreSQL adds nothing to it)."""
    return sqlite_url


@pytest.fixture(scope="module")
def redis_url():
    binary = find_redis()
    if binary is None:
        missing_part("redis-server not found (make system-deps installs it)")
    server = TempRedis(binary)
    url = server.start()
    yield url
    server.stop()


def _gunicorn(database_url, redis_url, tmp_path, name):
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, RATELIMIT_STORAGE_URI=redis_url,
               GRIDGOV_INSTANCE=str(tmp_path / name), UPLOAD_DIR=str(tmp_path / "uploads"),
               SECRET_KEY="shared-by-both-servers")
    process = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "-w", "1",
         "-b", f"127.0.0.1:{port}", "wsgi:app"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if requests.get(f"{base}/healthz/web", timeout=2).status_code == 200:
                return process, base
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def _report(base, token):
    return requests.post(f"{base}/q/{token}", allow_redirects=False, timeout=15, data={
        "form_token": uuid.uuid4().hex, "category_code": "06010",
        "description": "垃圾站旁堆满了垃圾"}).status_code


def test_ten_reports_an_hour_from_one_phone_across_two_servers(world, redis_url, tmp_path):
    with world.app_context():
        token = db.session.scalar(select(QrPoint.token).order_by(QrPoint.id))
    servers = [_gunicorn(world.config["SQLALCHEMY_DATABASE_URI"], redis_url, tmp_path, name)
               for name in ("a", "b")]
    try:
        statuses = [_report(servers[n % 2][1], token) for n in range(12)]
    finally:
        for process, _base in servers:
            process.terminate()
            process.wait(timeout=20)
    # memory:// would have counted 6 on each server and accepted all 12
    assert statuses == [303] * 10 + [429, 429]
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 10


def test_reports_are_still_taken_while_the_store_is_down(world, tmp_path):
    app = create_app({**_config(world.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "up"),
                      "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{_free_port()}/0"})
    with app.app_context():
        token = db.session.scalar(select(QrPoint.token).order_by(QrPoint.id))
    response = app.test_client().post(f"/q/{token}", data={
        "form_token": uuid.uuid4().hex, "category_code": "06010", "description": "垃圾站旁堆满了垃圾"})
    assert response.status_code == 303
