"""A rate-limit store that goes away does not take the reporting form down with it (the
limits held across two app servers sharing Redis: tests/test_production.py)."""
import uuid

import pytest
from sqlalchemy import select

from core import create_app
from core.extensions import db
from portal.models import QrPoint
from tests.support import _config
from tests.pgserver import _free_port


@pytest.fixture
def database_url(sqlite_url):
    """The store, not the database, is what this is about."""
    return sqlite_url


def test_reports_are_still_taken_while_the_store_is_down(world, tmp_path):
    app = create_app({**_config(world.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "up"),
                      "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{_free_port()}/0"})
    with app.app_context():
        token = db.session.scalar(select(QrPoint.token).order_by(QrPoint.id))
    response = app.test_client().post(f"/q/{token}", data={
        "form_token": uuid.uuid4().hex, "category_code": "06010", "description": "垃圾站旁堆满了垃圾"})
    assert response.status_code == 303


def test_a_default_limit_from_the_settings_is_still_checked_on_every_request(tmp_path):
    """gridgov drops Flask-Limiter's before-view check because its limits sit on views
    (core.extensions.limits_on_views_only); a deployment that sets RATELIMIT_DEFAULT gets
    it back, on pages that declare no limit of their own. In a process of its own: the
    limiter is one per process."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    code = ("from core import create_app\n"
            "app = create_app({'RATELIMIT_DEFAULT': '2 per minute', 'TESTING': True})\n"
            "client = app.test_client()\n"
            "print([client.get('/healthz/web').status_code for _ in range(3)])\n")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/l.sqlite3",
           "GRIDGOV_INSTANCE": str(tmp_path / "instance")}
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent.parent,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[200, 200, 429]"
