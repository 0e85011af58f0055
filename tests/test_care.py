"""巡访+互助 (issue 14): who sees the register (404 for everyone else), the access log on
every read, the schedule across month ends and holidays, the due list, a visit recorded
with its check-in distance, photos only with consent, a case raised from a visit (routed,
never published), and coverage on hand-built data."""
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from auth.models import User
from care.models import CareAccess, CarePerson, CareVisit
from care.schedule import Interval, add_months, next_due, replay
from core.extensions import db
from events.models import Event
from tests.care_support import CST, add_person, middle, person, worker_grid
from tests.support import writing

MONDAY = date(2026, 11, 30)


def at(day: date, hour=10) -> datetime:
    return datetime.combine(day, datetime.min.time().replace(hour=hour), CST)


def _checks(**concerns):
    return {name: name not in concerns for name in ("health", "heating", "food", "safety",
                                                    "mood")}


def _visit(client, person_id, key="k1", *, near=None, **extra):
    body = {"person_id": person_id, "key": key, "checks": _checks(), **extra}
    if near is not None:
        body.update(lat=near[0], lon=near[1], accuracy=12)
    return client.post("/api/v1/care/visits", json=body)


# ---- the schedule ----------------------------------------------------------------------

WEEKLY, MONTHLY = Interval(7, "day", 2), Interval(1, "month", 7)


def test_monthly_visits_fall_on_the_same_day_or_the_months_last():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert next_due(date(2027, 1, 31), MONTHLY) == date(2027, 2, 28)
    assert next_due(date(2027, 3, 31), Interval(2, "month", 7)) == date(2027, 5, 31)


def test_visits_count_natural_days_through_the_spring_festival():
    # 2027's Spring Festival is 6 February: a weekly visit from 3 February is due on the 10th
    assert next_due(date(2027, 2, 3), WEEKLY) == date(2027, 2, 10)
    assert next_due(date(2026, 12, 28), WEEKLY) == date(2027, 1, 4)


def test_a_cold_wave_brings_the_visit_forward_within_the_wave_only():
    wave = [(date(2026, 12, 10), date(2026, 12, 14))]
    # visited on the 1st: the week's due day (8th) comes before the wave: unchanged
    assert next_due(date(2026, 12, 1), WEEKLY, wave) == date(2026, 12, 8)
    # visited on the 9th: due on the 11th (2 days) rather than the 16th
    assert next_due(date(2026, 12, 9), WEEKLY, wave) == date(2026, 12, 11)
    # a monthly visit from 20 November: due on the wave's first day, not before it
    assert next_due(date(2026, 11, 20), MONTHLY, wave) == date(2026, 12, 10)
    # visited on the wave's last day: the next is a normal one
    assert next_due(date(2026, 12, 14), WEEKLY, wave) == date(2026, 12, 21)


def test_coverage_replays_the_visits_on_hand_built_data():
    registered = date(2026, 11, 1)
    # due 8th: visited 7th (on time); due 14th: visited 16th (late: missed, and the late
    # visit starts the schedule again without meeting anything); due 23rd: nothing by the
    # 30th: missed; rolled on to the 30th, not yet passed on the 30th
    visits = [date(2026, 11, 7), date(2026, 11, 16)]
    result = replay(registered, visits, WEEKLY, (), date(2026, 11, 1), date(2026, 11, 30),
                    today=date(2026, 11, 30))
    assert (result.due, result.on_time) == (3, 1)
    assert result.missed == [date(2026, 11, 14), date(2026, 11, 23)]
    # the period narrows what counts; a due day still to come is not counted
    late_month = replay(registered, visits, WEEKLY, (), date(2026, 11, 15),
                        date(2026, 11, 30), today=date(2026, 11, 24))
    assert (late_month.due, late_month.on_time, late_month.missed) == (
        1, 0, [date(2026, 11, 23)])
    # visited every 9 days on a weekly schedule: never on time
    every_ninth = [registered + timedelta(days=9 * n) for n in range(1, 4)]
    late_always = replay(registered, every_ninth, WEEKLY, (), registered, date(2026, 11, 30),
                         today=date(2026, 12, 1))
    assert (late_always.due, late_always.on_time) == (3, 0)  # due 8th, 17th, 26th: each late
    # a month unvisited misses each week of it
    idle = replay(registered, [], WEEKLY, (), registered, date(2026, 11, 30),
                  today=date(2026, 12, 1))
    assert idle.missed == [date(2026, 11, d) for d in (8, 15, 22, 29)]


# ---- who sees the register ---------------------------------------------------------------

def test_only_the_grids_workers_the_towns_dispatchers_and_admins_see_a_person(
        world, api, login_as, freeze):
    freeze(at(MONDAY))
    person_id = add_person(world, registered=MONDAY)
    for username in ("worker", "dispatcher", "admin"):
        assert api(username).get(f"/api/v1/care/people/{person_id}").status_code == 200
        page = login_as(username).get(f"/care/people/{person_id}")
        assert page.status_code == 200 and "张桂兰" in page.get_data(as_text=True)
    # another grid's worker, the other town's dispatcher, supervisors, departments: not found
    for username in ("w101002", "dispatcher2", "supervisor", "handler"):
        assert api(username).get(f"/api/v1/care/people/{person_id}").status_code == 404
        assert login_as(username).get(f"/care/people/{person_id}").status_code == 404
        assert login_as(username).get(f"/care/people/{person_id}/edit").status_code == 404
        due = api(username).get("/api/v1/care/visits/due")
        assert all(item["person_id"] != person_id for item in due.get_json()["items"])
    # the supervisor's page has the figures, not the names
    overview = login_as("supervisor").get("/care").get_data(as_text=True)
    assert "巡访覆盖率" in overview and "张桂兰" not in overview
    assert "张桂兰" not in login_as("dispatcher2").get("/care").get_data(as_text=True)
    assert "张桂兰" in login_as("dispatcher").get("/care").get_data(as_text=True)


def test_every_read_of_a_record_is_logged_and_shown_to_the_town(world, api, login_as,
                                                                freeze):
    freeze(at(MONDAY))
    person_id = add_person(world, registered=MONDAY)
    api("worker").get(f"/api/v1/care/people/{person_id}")
    api("worker").get("/api/v1/care/visits/due")  # named in the worker's list (due later)
    login_as("admin").get(f"/care/people/{person_id}")
    login_as("w101002").get(f"/care/people/{person_id}")  # refused: not a read
    with world.app_context():
        rows = db.session.execute(
            select(User.username, CareAccess.action, CareAccess.via)
            .join(User, User.id == CareAccess.user_id)
            .where(CareAccess.person_id == person_id).order_by(CareAccess.id)).all()
    assert [tuple(row) for row in rows] == [
        ("dispatcher", "edit", "page"), ("worker", "record", "api"), ("worker", "list", "api"),
        ("admin", "record", "page")]
    page = login_as("dispatcher").get(f"/care/people/{person_id}").get_data(as_text=True)
    assert "查阅留痕" in page and "系统管理员" in page
    # the edit form shows the whole record; the register's page names each person on it
    login_as("worker").get(f"/care/people/{person_id}/edit")
    login_as("admin").get("/care")
    login_as("supervisor").get("/care")  # figures only: no one named, nothing read
    with world.app_context():
        rows = db.session.execute(
            select(User.username, CareAccess.action).join(User, User.id == CareAccess.user_id)
            .where(CareAccess.person_id == person_id).order_by(CareAccess.id)).all()
    assert [tuple(row) for row in rows][-3:] == [
        ("dispatcher", "record"), ("worker", "record"), ("admin", "list")]


def test_the_register_form_refuses_bad_input_and_writes_nothing(world, login_as, freeze):
    freeze(at(MONDAY))
    dispatcher = login_as("dispatcher")
    grid = worker_grid(world)
    lat, lon = middle(world, grid)
    form = {"grid_code": grid, "name": "王秀英", "birth_year": "1939", "address": "河西村 1 组",
            "lat": f"{lat:.6f}", "lon": f"{lon:.6f}", "living": "alone", "risk": "medium"}
    bad = dispatcher.post("/care/people/new", data={**form, "birth_year": "公元前",
                                                     "living": "castle"})
    assert bad.status_code == 422
    assert "请检查：「出生年份」须为整数；「居住情况」无效的选项" in bad.get_data(as_text=True)
    half = dispatcher.post("/care/people/new", data={**form, "lon": ""})
    assert half.status_code == 422 and "纬度和经度须同时填写" in half.get_data(as_text=True)
    far = dispatcher.post("/care/people/new", data={**form, "lat": "30.0", "lon": "100.0"})
    assert far.status_code == 422 and "不在" in far.get_data(as_text=True)
    other_town = dispatcher.post("/care/people/new", data={**form,
                                                           "grid_code": worker_grid(world, "w102001")})
    assert other_town.status_code == 422
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(CarePerson)) == 0
    made = dispatcher.post("/care/people/new", data=form)
    assert made.status_code == 303
    with world.app_context():
        stored = db.session.scalar(select(CarePerson))
        # medium: every two weeks from registration
        assert (stored.name, stored.next_due_on) == ("王秀英", MONDAY + timedelta(days=14))


# ---- the due list and visits ---------------------------------------------------------

def test_the_workers_list_puts_the_overdue_first_and_stops_a_week_ahead(world, api, freeze):
    high = add_person(world, name="甲", risk="high", registered=MONDAY - timedelta(days=10))
    today = add_person(world, name="乙", risk="high", registered=MONDAY - timedelta(days=7))
    soon = add_person(world, name="丙", risk="medium", registered=MONDAY - timedelta(days=9))
    add_person(world, name="丁", risk="low", registered=MONDAY)  # a month away
    add_person(world, name="戊", grid_code=worker_grid(world, "w101002"),
               registered=MONDAY - timedelta(days=30))  # another grid
    freeze(at(MONDAY))
    items = api("worker").get("/api/v1/care/visits/due").get_json()["items"]
    assert [(i["person_id"], i["overdue_days"]) for i in items] == [
        (high, 3), (today, 0), (soon, -5)]
    assert items[0]["due_on"] == (MONDAY - timedelta(days=3)).isoformat()
    assert items[0]["age"] == 2026 - 1942


def test_a_visit_at_the_home_records_its_distance_and_moves_the_next_due_day(
        world, api, freeze):
    person_id = add_person(world, registered=MONDAY - timedelta(days=10))
    freeze(at(MONDAY))
    home = middle(world, worker_grid(world))
    near = (home[0] + 0.0003, home[1])  # ~33 m north
    worker = api("worker")
    first = _visit(worker, person_id, near=near, needs="煤不够用到月底")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert 30 <= body["distance_m"] <= 36
    assert body["next_due_on"] == (MONDAY + timedelta(days=7)).isoformat()
    # the phone sends it again (no answer came back): one visit
    again = _visit(worker, person_id, near=near, needs="煤不够用到月底")
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    # at the home means located: a visit without a position is refused
    blind = _visit(worker, person_id, key="k2")
    assert blind.status_code == 422 and "定位" in blind.get_json()["message"]
    half = _visit(worker, person_id, key="k4", kind="helper_call", lat=near[0])
    assert half.status_code == 422 and "lat" in half.get_json()["fields"]
    # only the grid's workers record visits; others do not even find the person
    assert _visit(api("w101002"), person_id, key="k3", near=near).status_code == 404
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(CareVisit)) == 1
    assert person(world, person_id).last_visit_on == MONDAY


def test_photos_need_the_persons_consent(world, api, login_as, freeze):
    person_id = add_person(world, registered=MONDAY - timedelta(days=3))
    freeze(at(MONDAY))
    worker = api("worker")
    near = middle(world, worker_grid(world))
    photo = worker.upload_photo()
    refused = _visit(worker, person_id, near=near, photo_ids=[photo])
    assert refused.status_code == 422 and "同意" in refused.get_json()["message"]
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(CareVisit)) == 0
    kept = _visit(worker, person_id, near=near, photo_ids=[photo], photo_consent=True)
    assert kept.status_code == 201 and kept.get_json()["photo_count"] == 1
    # a visit's photo never becomes a case's (which would publish it), nor is it served by
    # the cases' photo route, even to the worker who took it
    case = worker.post("/api/v1/events", json={
        "category_code": "06010", "lat": near[0], "lon": near[1], "description": "垃圾",
        "photo_ids": [photo]})
    assert case.status_code == 422
    assert worker.get(f"/attachments/{photo}").status_code == 404
    assert login_as("worker").get(f"/care/photos/{photo}/thumb").status_code == 200
    with world.app_context():
        assert db.session.scalar(select(CareAccess.action).order_by(CareAccess.id.desc())
                                 .limit(1)) == "photo"


def test_a_helpers_call_needs_a_paired_helper(world, api, login_as, freeze):
    person_id = add_person(world, registered=MONDAY - timedelta(days=3))
    freeze(at(MONDAY))
    worker = api("worker")
    alone = _visit(worker, person_id, kind="helper_call")
    assert alone.status_code == 422 and "互助人" in alone.get_json()["message"]
    paired = login_as("worker").post(f"/care/people/{person_id}/helper",
                                     data={"name": "赵大娘", "phone": "13700000003"})
    assert paired.status_code == 303
    call = _visit(worker, person_id, kind="helper_call")
    assert call.status_code == 201, call.get_json()
    with world.app_context():
        visit = db.session.scalar(select(CareVisit))
        assert (visit.kind, visit.helper.name, visit.distance_m) == ("helper_call", "赵大娘", None)


def test_a_visit_raises_a_case_that_is_routed_and_never_published(world, api, client,
                                                                  freeze):
    person_id = add_person(world, registered=MONDAY - timedelta(days=3))
    freeze(at(MONDAY))
    near = middle(world, worker_grid(world))
    answer = _visit(api("worker"), person_id, near=near, checks=_checks(heating=True),
                    raise_case={"category_code": "01401", "description": "取暖炉烟道破损，需更换"})
    assert answer.status_code == 201, answer.get_json()
    number = answer.get_json()["event_number"]
    with world.app_context():
        event = db.session.scalar(select(Event).where(Event.number == number))
        assert event.private and event.state != "reported" and event.source == "patrol"
        assert event.address == "河东村 3 组 12 号"
        event_id = event.id
    assert client.get(f"/open311/v2/requests/{event_id}.json").status_code == 404
    listed = client.get("/open311/v2/requests.json").get_json()
    assert all(item["service_request_id"] != str(event_id) for item in listed)
    # the dispatcher sees it like any case
    assert api("dispatcher").get(f"/api/v1/events/{event_id}").status_code == 200


def test_coverage_read_from_the_period_equals_the_whole_replay(world):
    """The shortcut in care/coverage.py (the replay starts at the last visit at least an
    interval before the period) gives what replaying every visit since registration gives,
    cold wave and all."""
    import random

    from care import coverage as care_coverage
    from care.services import intervals, waves_of
    rng = random.Random(20261203)
    people = {}
    for n in range(12):
        registered = date(2026, 1, 1) + timedelta(days=rng.randint(0, 120))
        risk = rng.choice(("high", "medium", "low"))
        person_id = add_person(world, name=f"甲{n}", risk=risk, registered=registered)
        days, day = [], registered
        while True:
            day += timedelta(days=rng.randint(1, 40))
            if day > date(2026, 11, 30):
                break
            days.append(day)
        people[person_id] = (registered, risk, days)
    with writing(world):
        from care.models import ColdWave
        town = db.session.get(CarePerson, next(iter(people))).town_id
        db.session.add(ColdWave(town_id=town, starts_on=date(2026, 8, 20),
                                ends_on=date(2026, 9, 10)))
        worker = db.session.scalar(select(User.id).where(User.username == "worker"))
        for person_id, (_registered, _risk, days) in people.items():
            grid_id = db.session.get(CarePerson, person_id).grid_id
            for day in days:
                db.session.add(CareVisit(person_id=person_id, grid_id=grid_id, user_id=worker,
                                         visited_at=at(day), visited_on=day, checks={},
                                         key=f"r-{person_id}-{day}"))
    today = date(2026, 12, 1)
    for start, end in ((date(2026, 6, 1), date(2026, 6, 30)), (date(2026, 9, 1),
                                                               date(2026, 11, 30)),
                       (date(2026, 9, 5), date(2026, 10, 5)),
                       (date(2026, 1, 1), date(2026, 11, 30))):
        with world.app_context():
            towns, _grids = care_coverage.coverage(start, end, today)
            table, waves = intervals(), waves_of(set(towns))
            whole = [replay(registered, days, table[risk], waves[town], start, end, today)
                     for registered, risk, days in people.values()]
        got = towns[town]
        assert (got.due, got.on_time) == (sum(r.due for r in whole),
                                          sum(r.on_time for r in whole)), (start, end)
        assert got.due > 0


def test_a_resend_that_races_the_first_answers_with_the_stored_visit(world, api, freeze,
                                                                   monkeypatch):
    """Two phones' worth of the same visit at once: both pass the checks before the write
    unit and after its lock, and the unique (user, key) decides — the loser answers with
    the winner's visit (200), nothing stored twice."""
    import care.visits
    person_id = add_person(world, registered=MONDAY - timedelta(days=3))
    freeze(at(MONDAY))
    near = middle(world, worker_grid(world))
    worker = api("worker")
    assert _visit(worker, person_id, key="race", near=near).status_code == 201
    real, calls = care.visits._existing, []

    def blind_twice(actor, key):  # the other request's row not yet seen, twice
        calls.append(key)
        return None if len(calls) <= 2 else real(actor, key)
    monkeypatch.setattr(care.visits, "_existing", blind_twice)
    again = _visit(worker, person_id, key="race", near=near)
    assert again.status_code == 200 and len(calls) == 3
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(CareVisit)) == 1
