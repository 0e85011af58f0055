"""Several app servers on one PostgreSQL (issue 13), started as deploy/ starts them: gunicorn
with deploy/gunicorn.conf.py, two servers of two workers each, one Redis, one upload folder,
JSON logs and Prometheus's multi-process files; and two schedulers started by mistake."""
import io
import json
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests
from PIL import Image
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from core.extensions import db
from events.models import Escalation, Event, EventLog
from notify.models import Notification
from portal.models import QrPoint
from tests.appservers import ROOT, AppServer
from tests.redisserver import TempRedis, find_redis
from tests.support import DEMO_PASSWORD, missing_part, writing

CST = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def database_url(postgresql_url):
    """Production's database: several app servers share one PostgreSQL."""
    return postgresql_url


@pytest.fixture(scope="module")
def redis_url():
    binary = find_redis()
    if binary is None:
        missing_part("redis-server not found (make system-deps installs it)")
    server = TempRedis(binary)
    url = server.start()
    yield url
    server.stop()


@pytest.fixture(scope="module")
def servers(postgresql_url, redis_url, tmp_path_factory):
    """Two app servers as two machines would run them: their own instance folders and
    Prometheus folders, the shared database, Redis, upload folder and secret. Started once
    for the module: each test's `world` fills the database they read."""
    tmp_path = tmp_path_factory.mktemp("servers")
    shared = {"DATABASE_URL": postgresql_url,
              "RATELIMIT_STORAGE_URI": redis_url, "UPLOAD_DIR": str(tmp_path / "uploads"),
              "SECRET_KEY": "one-secret-for-every-server", "LOG_FORMAT": "json",
              "METRICS_ENABLED": "1", "DATABASE_POOL_SIZE": "2", "CACHE_TYPE": "RedisCache",
              "CACHE_REDIS_URL": redis_url.rsplit("/", 1)[0] + "/1"}
    started = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            started.append(AppServer({**shared, "GRIDGOV_INSTANCE": str(tmp_path / name),
                                      "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / name / "prom")},
                                     workers=2, log_path=tmp_path / f"{name}.log").start())
        yield started
    finally:
        for server in started:
            server.stop()


def _token(base, username):
    answer = requests.post(f"{base}/api/v1/tokens", timeout=15,
                           json={"username": username, "password": DEMO_PASSWORD})
    assert answer.status_code == 201, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 80, 40)).save(out, "JPEG")
    return out.getvalue()


def test_a_token_and_a_photo_from_one_server_work_on_the_other(world, servers):
    a, b = (server.base for server in servers)
    worker = _token(a, "worker")
    upload = requests.post(f"{a}/api/v1/uploads", headers=worker, timeout=15,
                           files={"file": ("site.jpg", _jpeg(), "image/jpeg")})
    assert upload.status_code == 201, upload.text
    created = requests.post(f"{b}/api/v1/events", headers=worker, timeout=15, json={
        "category_code": "06010", "lat": 43.603, "lon": 126.485,
        "description": "垃圾站旁堆满了垃圾", "photo_ids": [upload.json()["id"]]})
    assert created.status_code == 201, created.text
    case = requests.get(f"{a}/api/v1/events/{created.json()['id']}", headers=worker, timeout=15)
    url = case.json()["photos"][0]["url"]
    photos = [requests.get(f"{base}{url}", headers=worker, timeout=15) for base in (a, b)]
    assert [p.status_code for p in photos] == [200, 200]
    assert photos[0].content == photos[1].content and photos[0].content[:2] == b"\xff\xd8"


def test_a_session_from_one_server_is_valid_on_the_other(world, servers):
    a, b = (server.base for server in servers)
    browser = requests.Session()
    login = browser.get(f"{a}/login", timeout=15).text
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    answer = browser.post(f"{a}/login", timeout=15, allow_redirects=False, data={
        "csrf_token": csrf, "username": "dispatcher", "password": DEMO_PASSWORD})
    assert answer.status_code == 302, answer.text
    page = browser.get(f"{b}/events", timeout=15, allow_redirects=False)
    assert page.status_code == 200 and "清河镇" in page.text


def test_the_resident_limit_counts_across_both_servers(world, servers):
    with world.app_context():
        token = db.session.scalar(select(QrPoint.token).order_by(QrPoint.id))
    statuses = [requests.post(f"{servers[n % 2].base}/q/{token}", allow_redirects=False,
                              timeout=15, data={"form_token": uuid.uuid4().hex,
                                                "category_code": "06010",
                                                "description": "垃圾站旁堆满了垃圾"}).status_code
                for n in range(12)]
    # each server's memory would have counted 6 and let all 12 through
    assert statuses == [303] * 10 + [429, 429]
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 10


def test_each_request_is_one_json_line_with_the_id_the_caller_saw(world, servers):
    a = servers[0]
    worker = _token(a.base, "worker")
    listed = requests.get(f"{a.base}/api/v1/events?limit=5", headers=worker, timeout=15)
    missing = requests.get(f"{a.base}/api/v1/events/999999", headers=worker, timeout=15)
    assert missing.json()["request_id"] == missing.headers["X-Request-Id"]
    lines = {}
    deadline = time.time() + 10
    while time.time() < deadline and len(lines) < 2:
        for raw in a.log_path.read_text(encoding="utf-8").splitlines():
            if raw.startswith("{"):
                line = json.loads(raw)
                if line.get("message") == "request":
                    lines[line["request_id"]] = line
        lines = {k: v for k, v in lines.items()
                 if k in (listed.headers["X-Request-Id"], missing.headers["X-Request-Id"])}
        time.sleep(0.2)
    with world.app_context():
        from auth.models import User
        worker_id = db.session.scalar(select(User.id).where(User.username == "worker"))
    ok, not_found = lines[listed.headers["X-Request-Id"]], lines[missing.headers["X-Request-Id"]]
    assert (ok["status"], ok["user_id"], ok["path"]) == (200, worker_id, "/api/v1/events")
    assert not_found["status"] == 404 and not_found["duration_ms"] > 0
    assert ok["ip"] == "127.0.0.1" and ok["level"] == "INFO"


def test_the_workers_counts_are_summed_in_one_scrape(world, servers):
    a = servers[0]
    worker = _token(a.base, "worker")
    for _ in range(12):  # spread over both workers by the kernel
        assert requests.get(f"{a.base}/api/v1/categories", headers=worker,
                            timeout=15).status_code == 200
    scrape = requests.get(f"{a.base}/metrics", timeout=15)
    assert scrape.status_code == 200
    counted = {tuple(sorted(s.labels.items())): s.value
               for family in text_string_to_metric_families(scrape.text)
               for s in family.samples if s.name == "gridgov_http_requests_total"}
    key = (("endpoint", "events_api.list_categories"), ("method", "GET"), ("status", "200"))
    assert counted[key] == 12
    pids = {path.split("_")[-1] for path in os.listdir(a.env["PROMETHEUS_MULTIPROC_DIR"])}
    assert len(pids) >= 2  # two workers wrote their own files


def test_two_schedulers_started_by_mistake_do_each_step_and_send_each_mail_once(
        world, freeze, api, report, tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message
    from tests.pgserver import _free_port
    received = []

    class Collect(Message):
        def handle_message(self, message):
            received.append(message)

    port = _free_port()
    mailer = Controller(Collect(), hostname="127.0.0.1", port=port)
    mailer.start()
    freeze(datetime(2026, 3, 10, 9, 0, tzinfo=CST))
    cases = [report("worker")["id"] for _ in range(3)]
    for eid in cases:
        api("dispatcher").act(eid, "dispatch")
        api("handler").act(eid, "accept")
    with writing(world):
        from auth.models import User
        for user in db.session.scalars(select(User)):
            user.email = f"{user.username}@county.test"
    env = {**os.environ, "DATABASE_URL": world.config["SQLALCHEMY_DATABASE_URI"],
           "GRIDGOV_INSTANCE": str(tmp_path), "PYTHONPATH": str(ROOT),
           "SCHEDULER_INTERVAL_SECONDS": "1", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)}
    schedulers = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"],
                                   cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        deadline = time.time() + 90
        while True:
            with world.app_context():
                steps = db.session.scalar(select(func.count()).select_from(Escalation))
                waiting = db.session.scalar(select(func.count()).select_from(Notification)
                                            .where(Notification.channel == "email",
                                                   Notification.status != "sent"))
            if steps == len(cases) * 4 and waiting == 0:
                break
            assert time.time() < deadline, (steps, waiting)
            time.sleep(0.5)
        time.sleep(2.5)  # two more rounds of each: nothing is done twice
    finally:
        for process in schedulers:
            process.terminate()
            process.wait(timeout=30)
        mailer.stop()
    with world.app_context():
        steps = db.session.execute(select(Escalation.event_id, Escalation.step)).all()
        assert len(steps) == len(set(steps)) == len(cases) * 4
        logs = db.session.scalar(select(func.count()).select_from(EventLog).where(
            EventLog.action.in_(("warn", "overdue"))))
        assert logs == len(cases) * 4
        mails = db.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.channel == "email"))
    assert mails > 0 and len(received) == mails
    ids = [m["Message-ID"] for m in received]  # one per notification
    assert None not in ids and len(set(ids)) == len(ids)


def test_the_open311_list_is_kept_once_for_every_server(servers, report):
    """RedisCache: a list built by one server is the one the other answers with, until it
    expires — a new case shows on neither before then."""
    a, b = (server.base for server in servers)
    first = requests.get(f"{a}/open311/v2/requests.json", timeout=15)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "public, max-age=30"
    report("worker")
    assert requests.get(f"{b}/open311/v2/requests.json", timeout=15).json() == first.json()
    fresh = requests.get(f"{b}/open311/v2/requests.json?status=open", timeout=15)
    assert len(fresh.json()) == len(first.json()) + 1
