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
