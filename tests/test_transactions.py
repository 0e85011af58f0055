"""Who holds SQLite's write lock, and for how long: reads never, writes only for their unit of
work, photo decoding never (DESIGN.md "Running"; issues 7 and 8)."""
import io
import sqlite3
import threading
import time

import pytest
from PIL import Image
from sqlalchemy import func, select

from core import textsearch
from core.database import WriteOutsideTransaction, write_transaction
from core.extensions import db
from events import photos
from events.models import Attachment, Event
from portal.models import QrPoint
from tests.support import POINT_GRID1


@pytest.fixture(params=["sqlite"])
def database_url(request):
    """The write lock is SQLite's: these tests run on SQLite only."""
    return request.getfixturevalue("sqlite_url")


def _sqlite_path(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


class WriteLockHolder:
    """Another process's writer: BEGIN IMMEDIATE on its own connection, held until release()."""

    def __init__(self, app):
        self.connection = sqlite3.connect(_sqlite_path(app), timeout=0.2,
                                          isolation_level=None, check_same_thread=False)

    def __enter__(self):
        self.connection.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *_exc):
        self.connection.execute("ROLLBACK")
        self.connection.close()


def progressive_jpeg(side=2000, repeated_scans=0) -> bytes:
    """A smooth progressive JPEG; with repeated_scans, its last scan copied that many times
    (the decoder re-runs a pass over every block for each copy)."""
    image = Image.linear_gradient("L").resize((side, side)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", progressive=True, quality=50)
    data = out.getvalue()
    last_scan = data[data.rfind(b"\xff\xda"):-2]
    return data[:-2] + last_scan * repeated_scans + b"\xff\xd9"


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_reads_answer_while_another_writer_holds_the_lock(world, api, report):
    case = report("worker")
    worker = api("worker")
    with WriteLockHolder(world):
        for path in ("/healthz/web", "/api/v1/events?limit=20", f"/api/v1/events/{case['id']}",
                     "/api/v1/categories"):
            response, seconds = timed(lambda: worker.get(path))
            assert response.status_code == 200, (path, response.get_json())
            assert seconds < 1.0, f"{path} waited {seconds:.1f} s for the write lock"


def test_a_page_read_does_not_take_the_write_lock(world, login_as, report):
    case = report("worker")
    dispatcher = login_as("dispatcher")
    with WriteLockHolder(world):
        for path in ("/events?mine=1", f"/events/{case['id']}", "/notifications"):
            response, seconds = timed(lambda: dispatcher.get(path))
            assert response.status_code == 200, path
            # a read that took the lock would wait the whole busy timeout (15 s) and fail;
            # a page on a busy CI machine may take a second or two on its own
            assert seconds < 5.0, f"{path} waited {seconds:.1f} s for the write lock"


def test_a_write_waits_for_the_lock_and_then_succeeds(world, api):
    """BEGIN IMMEDIATE queues a writer on the busy timeout instead of failing."""
    worker = api("worker")
    holder = WriteLockHolder(world).__enter__()
    threading.Timer(0.5, lambda: holder.__exit__(None, None, None)).start()
    response, seconds = timed(lambda: worker.post("/api/v1/events", json={
        "category_code": "06010", "lat": POINT_GRID1[0], "lon": POINT_GRID1[1],
        "description": "等锁之后写入"}))
    assert response.status_code == 201, response.get_json()
    assert seconds >= 0.4


def test_a_request_that_writes_outside_the_unit_of_work_is_refused(world):
    from grid.models import Region
    with world.test_request_context("/"):
        region = db.session.scalar(select(Region).order_by(Region.id))
        region.name = "改名"
        with pytest.raises(WriteOutsideTransaction):
            db.session.flush()
        db.session.rollback()
        with write_transaction():
            db.session.get(Region, region.id).name = region.name + "镇"
    with world.app_context():
        assert db.session.get(Region, region.id).name.endswith("镇")


def test_a_command_or_job_that_writes_outside_the_unit_of_work_is_refused(world):
    """Outside requests too (CLI, scheduler, demo seed, test set-up): one owner of each
    transaction, so no job commits half its work on its own."""
    from grid.models import Region
    with world.app_context():
        region = db.session.scalar(select(Region).order_by(Region.id))
        region.name = "改名"
        with pytest.raises(WriteOutsideTransaction):
            db.session.flush()
        db.session.rollback()
        assert db.session.get(Region, region.id).name != "改名"


def test_numbering_a_case_outside_the_unit_of_work_is_refused(world):
    """The numbering upsert runs on the session's connection, past the ORM's guards: it
    checks for itself."""
    from events.intake import next_number
    from grid.models import Region
    with world.app_context():
        town = db.session.scalar(select(Region).where(Region.level == "town"))
        with pytest.raises(WriteOutsideTransaction):
            next_number(town, 2026)
        with write_transaction():
            first = next_number(town, 2026)
        assert first.endswith("-2026-000001")


def test_a_failed_unit_of_work_leaves_nothing_behind(world):
    from grid.models import Region
    with world.test_request_context("/"):
        before = db.session.scalar(select(func.count()).select_from(Region))
        with pytest.raises(ValueError), write_transaction():
            db.session.add(Region(code="999999999999", name="半途", level="town",
                                  path="/999999999999/"))
            db.session.flush()
            raise ValueError("half way")
        assert db.session.scalar(select(func.count()).select_from(Region)) == before


# ---- photos: bounded decoding, never inside a transaction -----------------------------


def test_a_jpeg_with_thousands_of_repeated_scans_is_refused_quickly(api, world):
    hostile = progressive_jpeg(side=4000, repeated_scans=3000)
    assert len(hostile) < 1_000_000
    response, seconds = timed(lambda: api("worker").post(
        "/api/v1/uploads", data={"file": (io.BytesIO(hostile), "scan.jpg")},
        content_type="multipart/form-data"))
    assert response.status_code == 422
    assert "file" in response.get_json()["fields"]
    assert seconds < 2.0, f"the hostile photo took {seconds:.1f} s"


def test_the_same_photo_through_the_qr_form_is_refused_quickly(client, world):
    with world.app_context():
        token = db.session.scalar(select(QrPoint.token).order_by(QrPoint.id))
    page = client.get(f"/q/{token}").get_data(as_text=True)
    form_token = page.split('name="form_token" value="')[1].split('"')[0]
    hostile = progressive_jpeg(side=4000, repeated_scans=3000)
    response, seconds = timed(lambda: client.post(f"/q/{token}", data={
        "form_token": form_token, "category_code": "06010", "description": "垃圾",
        "photos": (io.BytesIO(hostile), "scan.jpg")}, content_type="multipart/form-data"))
    assert response.status_code == 422 and "不是有效的图片" in response.get_data(as_text=True)
    assert seconds < 2.0
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_an_ordinary_progressive_photo_is_accepted(api):
    response = api("worker").post(
        "/api/v1/uploads", data={"file": (io.BytesIO(progressive_jpeg()), "p.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()


def test_too_many_pixels_are_refused_before_decoding(api):
    for side in (5100, 7100):  # 26 and 50 megapixels, over MAX_PIXELS
        out = io.BytesIO()
        Image.new("L", (side, side)).save(out, "PNG")
        response, seconds = timed(lambda: api("worker").post(
            "/api/v1/uploads", data={"file": (io.BytesIO(out.getvalue()), "big.png")},
            content_type="multipart/form-data"))
        assert response.status_code == 422 and "像素" in response.get_json()["message"]
        assert seconds < 0.5


def test_large_photos_are_stored_shrunk(api, world):
    image = Image.linear_gradient("L").resize((4000, 3000)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    body = api("worker").post("/api/v1/uploads", data={"file": (io.BytesIO(out.getvalue()),
                                                                "big.jpg")},
                              content_type="multipart/form-data").get_json()
    assert max(body["width"], body["height"]) == photos.MAX_SIDE
    assert body["width"] > body["height"]


def test_photo_work_runs_outside_any_transaction(world, api, login_as, monkeypatch):
    """While a photo is decoded, the request holds no transaction and another writer gets
    the lock at once — through the API, the staff form and the residents' form."""
    seen = []
    real_decode = photos._decode

    def watching_decode(data):
        in_transaction = db.session().in_transaction()
        other = sqlite3.connect(_sqlite_path(world), timeout=0.2, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            locked = False
        except sqlite3.OperationalError:
            locked = True
        finally:
            other.close()
        seen.append((in_transaction, locked))
        return real_decode(data)

    monkeypatch.setattr(photos, "_decode", watching_decode)
    photo = progressive_jpeg(side=300)
    assert api("worker").post("/api/v1/uploads", data={"file": (io.BytesIO(photo), "a.jpg")},
                              content_type="multipart/form-data").status_code == 201
    worker = login_as("worker")
    page = worker.get("/events/new").get_data(as_text=True)
    form_token = page.split('name="form_token" value="')[1].split('"')[0]
    response = worker.post("/events/new", data={
        "form_token": form_token, "grid_code": "220221101000001", "category_code": "06010",
        "lat": str(POINT_GRID1[0]), "lon": str(POINT_GRID1[1]), "description": "带照片",
        "confirm_not_duplicate": "1", "photos": (io.BytesIO(photo), "b.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    with world.app_context():
        token = db.session.scalar(select(QrPoint.token).order_by(QrPoint.id))
    resident = world.test_client()
    page = resident.get(f"/q/{token}").get_data(as_text=True)
    form_token = page.split('name="form_token" value="')[1].split('"')[0]
    response = resident.post(f"/q/{token}", data={
        "form_token": form_token, "category_code": "06010", "description": "垃圾",
        "photos": (io.BytesIO(photo), "c.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 303
    assert seen == [(False, False)] * 3
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 3


def test_inside_the_unit_a_case_read_before_it_is_read_afresh(world, report):
    """A page loads the case, another writer changes it, the unit loads it again to check its
    version: it must see the other writer's change, not the copy read before."""
    case = report("worker")
    with world.test_request_context("/"):
        before = db.session.get(Event, case["id"])
        seen = before.version
        other = sqlite3.connect(_sqlite_path(world), isolation_level=None)
        textsearch.register(other)  # the search index's trigger calls it
        other.execute("UPDATE event SET version = version + 1, description = '他人修改' "
                      "WHERE id = ?", (case["id"],))
        other.close()
        with write_transaction():
            fresh = db.session.get(Event, case["id"])
            assert (fresh.version, fresh.description) == (seen + 1, "他人修改")
