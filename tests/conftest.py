"""Fixtures: every database test runs on SQLite and on a real PostgreSQL 15.

PostgreSQL comes from TEST_POSTGRES_URL, or a throwaway server started here. With CI=true
a missing PostgreSQL fails the run; elsewhere those tests are skipped with the reason.
"""
import os
import re
import threading
import socket
from datetime import datetime, timezone

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from core import create_app
from core.config import TestConfig
from core.extensions import db
from tests.pgserver import TempPostgres, find_bindir

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing_part(message: str):
    """A part a test needs (PostgreSQL, Redis, Chromium) is not installed: a failure in CI,
    where a skip would hide it; a skip on a developer's machine."""
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)
DEMO_PASSWORD = "demo-password"
#: reference data kept between tests (seeded once; a test that edits it restores it)
KEPT_TABLES = {"work_day", "alembic_version"}


def _migrate(url: str, tmp_path_factory) -> None:
    app = create_app(dict(_config(url, tmp_path_factory.mktemp("uploads"))))
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _config(url, upload_dir):
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=upload_dir)
    return config


@pytest.fixture(scope="session")
def postgresql_url(tmp_path_factory):
    url = os.environ.get("TEST_POSTGRES_URL")
    server = None
    if not url:
        bindir = find_bindir()
        if bindir is None:
            missing_part("PostgreSQL server binaries (initdb) not found")
        server = TempPostgres(bindir)
        url = server.start()
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("CREATE DATABASE gridgov_test"))
        engine.dispose()
        url = url.rsplit("/", 1)[0] + "/gridgov_test"
    _migrate(url, tmp_path_factory)
    yield url
    if server is not None:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
    _migrate(url, tmp_path_factory)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    return request.getfixturevalue(f"{request.param}_url")


def _truncate(engine) -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def app(database_url, tmp_path):
    from core.extensions import limiter
    app = create_app(_config(database_url, tmp_path / "uploads"))
    with app.app_context():
        _truncate(db.engine)
        limiter.reset()  # rate-limit counters live in memory, across app instances
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def now():
    """A fixed working-day instant: Tuesday 2026-03-10 10:00 in Asia/Shanghai."""
    return datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _no_outbound_network(monkeypatch):
    """No test talks to the outside world: mail, webhooks and any other socket to a host
    other than loopback is refused."""
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") \
                and not host.startswith("/"):
            raise RuntimeError(f"test tried to reach {host}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)


@pytest.fixture
def world(app, now):
    """The demo county without cases: 2 towns, 22 grids, departments, routing and users
    (admin, supervisor, dispatcher, dispatcher2, worker, w101002, handler, …)."""
    from demo.seed import seed_demo
    with app.app_context():
        seed_demo(now, password=DEMO_PASSWORD, cases=0)
        db.session.commit()
    return app


@pytest.fixture
def token_for(world, now):
    """username -> bearer token, issued directly (the token endpoint has its own tests)."""
    from sqlalchemy import select

    from auth.models import User
    from auth.services import issue_token
    cache = {}

    def make(username):
        if username not in cache:
            with world.app_context():
                user = db.session.scalar(select(User).where(User.username == username))
                token, row = issue_token(user, datetime.now(timezone.utc))
                row.expires_at = datetime(2100, 1, 1, tzinfo=timezone.utc)  # tests move time
                db.session.commit()
            cache[username] = token
        return cache[username]
    return make


class ApiClient:
    def __init__(self, client, token):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, **kwargs):
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path, json=None, headers=None, **kwargs):
        return self.client.post(path, json=json, headers={**self.headers, **(headers or {})},
                                **kwargs)

    def act(self, event_id, action, **fields):
        return self.post(f"/api/v1/events/{event_id}/actions", json={"action": action, **fields})


@pytest.fixture
def api(client, token_for):
    """api("dispatcher").post(...) — a client acting as that demo user."""
    return lambda username: ApiClient(client, token_for(username))


#: a point inside grid 220221101000001 (清河镇第1网格) and one in grid …002
POINT_GRID1 = (43.603, 126.485)
POINT_GRID2 = (43.603, 126.505)
POINT_TOWN2 = (43.705, 126.41)


@pytest.fixture
def report(api):
    """report(username, **fields) -> created case JSON (asserts 201)."""
    def make(username="worker", **fields):
        lat, lon = fields.pop("point", POINT_GRID1)
        body = {"category_code": "06010", "lat": lat, "lon": lon,
                "description": "垃圾堆放在路边", **fields}
        response = api(username).post("/api/v1/events", json=body)
        assert response.status_code == 201, response.get_json()
        return response.get_json()
    return make


@pytest.fixture
def freeze(monkeypatch):
    """freeze(instant): from now on the app's clock (core.clock.utcnow) reads `instant`."""
    import core.clock

    def set_time(instant):
        monkeypatch.setattr(core.clock, "utcnow", lambda: instant)
        return instant
    return set_time


@pytest.fixture
def login_as(world):
    """login_as(username) -> a fresh test client logged in through the login page."""
    def make(username, password=DEMO_PASSWORD):
        client = world.test_client()
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client
    return make


# ---- real HTTP and a real browser ---------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        missing_part(f"{CHROMIUM} not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(world):
    """The demo world served over real HTTP on a free loopback port."""
    server = make_server("127.0.0.1", 0, world, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def open_context(browser):
    """open_context(PHONE) -> a fresh browser profile; server errors it meets fail the test."""
    contexts, server_errors = [], []

    def make(options):
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        context.on("response", lambda response: server_errors.append(
            f"{response.status} {response.request.method} {response.url}")
            if response.status >= 500 else None)
        contexts.append(context)
        return context
    yield make
    for context in contexts:
        context.close()
    assert not server_errors, f"the server answered with errors: {server_errors}"


@pytest.fixture
def new_case_form():
    """new_case_form(client, **fields) -> POST /events/new as a browser would send the form:
    a fresh form_token and the grid preselected in the grid list."""
    def post(client, **fields):
        page = client.get("/events/new")
        assert page.status_code == 200
        lat, lon = fields.pop("point", POINT_GRID1)
        grid_list = re.search(r'<select name="grid_code">\s*<option value="([^"]*)"',
                              page.get_data(as_text=True))
        token = re.search(r'name="form_token" value="([^"]*)"', page.get_data(as_text=True))
        data = {"form_token": token.group(1), "grid_code": grid_list.group(1),
                "category_code": "06010", "lat": str(lat), "lon": str(lon),
                "description": "路边堆放生活垃圾", **fields}
        return client.post("/events/new", data=data, content_type="multipart/form-data")
    return post
