"""The 巡访 pages (issue 14): the worker's phone form (a visit kept on the phone and sent
twice is stored once; a refusal is the page again with the reason), a cold wave bringing
visits forward, the schedule admins edit, two people editing one record, taking someone off
the register."""
import io
from datetime import date, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from audit.models import AuditEntry
from care.models import CarePerson, CareSchedule, CareVisit
from core.extensions import db
from tests.care_support import CST, add_person, middle, person, worker_grid
from tests.support import writing

MONDAY = date(2026, 11, 30)
CHECKS_OK = {"health": "ok", "heating": "ok", "food": "ok", "safety": "ok", "mood": "ok"}


@pytest.fixture
def database_url(sqlite_url):
    """Pages over the services tested on both engines (tests/test_care.py)."""
    return sqlite_url


@pytest.fixture
def keep_schedule(world):
    """The schedule is reference data kept between tests (KEPT_TABLES): put it back."""
    with world.app_context():
        saved = [(r.risk, r.every, r.unit, r.cold_wave_days)
                 for r in db.session.scalars(select(CareSchedule))]
    yield
    with writing(world):
        for risk, every, unit, cold in saved:
            row = db.session.get(CareSchedule, risk)
            row.every, row.unit, row.cold_wave_days = every, unit, cold


def _at(day: date, hour=10) -> datetime:
    return datetime.combine(day, datetime.min.time().replace(hour=hour), CST)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 190, 180)).save(out, "JPEG")
    return out.getvalue()


def test_the_phone_form_records_a_visit_once_and_says_why_it_refuses(world, login_as, freeze):
    person_id = add_person(world, registered=MONDAY - timedelta(days=8))
    freeze(_at(MONDAY))
    worker = login_as("worker")
    page = worker.get("/field/care").get_data(as_text=True)
    assert "张桂兰" in page and "已超期 1 天" in page and "记录走访" in page
    home = middle(world, worker_grid(world))
    form = {**CHECKS_OK, "key": "phone-1", "kind": "visit", "lat": f"{home[0]:.6f}",
            "lon": f"{home[1]:.6f}", "accuracy": "15", "needs": ""}
    unticked = worker.post(f"/field/care/{person_id}/visits",
                           data={**form, "mood": ""})
    assert unticked.status_code == 422
    assert '<p class="error" role="alert">请逐项填写五项情况（正常或需关注）</p>' in \
        unticked.get_data(as_text=True)
    no_consent = worker.post(f"/field/care/{person_id}/visits",
                             data={**form, "photos": (io.BytesIO(_jpeg()), "home.jpg")},
                             content_type="multipart/form-data")
    assert no_consent.status_code == 422 and "同意" in no_consent.get_data(as_text=True)
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(CareVisit)) == 0
    for _ in range(2):  # the outbox sends it again after no signal: one visit
        sent = worker.post(f"/field/care/{person_id}/visits",
                           data={**form, "photo_consent": "1",
                                 "photos": (io.BytesIO(_jpeg()), "home.jpg")},
                           content_type="multipart/form-data")
        assert sent.status_code == 303
    with world.app_context():
        visits = db.session.scalars(select(CareVisit)).all()
        assert len(visits) == 1 and len(visits[0].photos) == 1
        assert visits[0].distance_m == 0
    shown = worker.get("/field/care").get_data(as_text=True)
    assert "已记录走访：张桂兰，距住址 0 米" in shown
    # the photo is the record's: its grid's worker sees it, another grid's does not
    photo_id = visits[0].photos[0].id
    assert worker.get(f"/care/photos/{photo_id}/thumb").status_code == 200
    assert login_as("w101002").get(f"/care/photos/{photo_id}/thumb").status_code == 404


def test_a_cold_wave_brings_the_towns_visits_forward(world, login_as, freeze):
    person_id = add_person(world, risk="low", registered=MONDAY - timedelta(days=5))
    other = add_person(world, risk="low", grid_code=worker_grid(world, "w102001"),
                       by="dispatcher2", registered=MONDAY - timedelta(days=5))
    freeze(_at(MONDAY))
    assert person(world, person_id).next_due_on == date(2026, 12, 25)
    dispatcher = login_as("dispatcher")
    refused = dispatcher.post("/care/cold-waves", data={
        "town_codes": ["220221102000"], "starts_on": "2026-12-01", "ends_on": "2026-12-05"})
    assert refused.status_code == 403  # another town's
    past = dispatcher.post("/care/cold-waves", data={
        "town_codes": ["220221101000"], "starts_on": "2026-11-28", "ends_on": "2026-12-05"})
    assert past.status_code == 422 and '<p class="error" role="alert">寒潮须从今天或以后开始' in \
        past.get_data(as_text=True)
    assert person(world, person_id).next_due_on == date(2026, 12, 25)  # nothing moved
    answer = dispatcher.post("/care/cold-waves", data={
        "town_codes": ["220221101000"], "starts_on": "2026-12-01", "ends_on": "2026-12-05"},
        follow_redirects=True)
    assert "已发布寒潮" in answer.get_data(as_text=True)
    # low risk in a cold wave: every 7 days from the registration (25 November) → 2 December
    assert person(world, person_id).next_due_on == date(2026, 12, 2)
    assert person(world, other).next_due_on == date(2026, 12, 25)
    assert "寒潮" in login_as("worker").get("/field/care").get_data(as_text=True)


def test_admins_edit_the_schedule_and_everyones_next_visit_follows(world, login_as, freeze,
                                                                   keep_schedule):
    person_id = add_person(world, risk="medium", registered=MONDAY)
    freeze(_at(MONDAY))
    admin = login_as("admin")
    assert login_as("dispatcher").get("/care/schedule").status_code == 403
    form = {"high.every": "7", "high.unit": "day", "high.cold": "2",
            "medium.every": "10", "medium.unit": "day", "medium.cold": "3",
            "low.every": "1", "low.unit": "month", "low.cold": "7"}
    bad = admin.post("/care/schedule", data={**form, "medium.every": "0"})
    assert bad.status_code == 422 and 'class="error"' in bad.get_data(as_text=True)
    assert person(world, person_id).next_due_on == MONDAY + timedelta(days=14)
    saved = admin.post("/care/schedule", data=form, follow_redirects=True)
    assert "1 位老人的下次走访日期随之调整" in saved.get_data(as_text=True)
    assert person(world, person_id).next_due_on == MONDAY + timedelta(days=10)
    with world.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.kind == "care_schedule"))
        assert (entry.target, entry.before, entry.after) == (
            "medium", {"every": 14}, {"every": 10})


def test_two_people_editing_one_record_and_taking_someone_off(world, login_as, freeze):
    person_id = add_person(world, registered=MONDAY)
    freeze(_at(MONDAY))
    worker, dispatcher = login_as("worker"), login_as("dispatcher")
    page = worker.get(f"/care/people/{person_id}/edit").get_data(as_text=True)
    assert 'name="version" value="1"' in page
    record = person(world, person_id)
    form = {"grid_code": worker_grid(world), "name": "张桂兰", "birth_year": "1942",
            "address": record.address, "living": "alone", "risk": "medium", "version": "1"}
    assert dispatcher.post(f"/care/people/{person_id}/edit", data=form).status_code == 303
    late = worker.post(f"/care/people/{person_id}/edit", data={**form, "risk": "low"})
    assert late.status_code == 409 and "已被他人修改" in late.get_data(as_text=True)
    assert person(world, person_id).risk == "medium"
    assert worker.post(f"/care/people/{person_id}/leave",
                       data={"left_reason": "随子女迁居"}).status_code == 403
    blank = dispatcher.post(f"/care/people/{person_id}/leave", data={"left_reason": " "})
    assert blank.status_code == 422
    gone = dispatcher.post(f"/care/people/{person_id}/leave", data={"left_reason": "随子女迁居"})
    assert gone.status_code == 303
    left = person(world, person_id)
    assert (left.left_on, left.left_reason, left.next_due_on) == (MONDAY, "随子女迁居", None)
    assert "张桂兰" not in worker.get("/field/care").get_data(as_text=True)
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(CarePerson)) == 1
