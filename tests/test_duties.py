"""The plan's duties in the dashboards (issue 14): 清雪及时率 and 巡访覆盖率 per town and grid,
on hand-built data with known answers, on both engines; shown on the board, and scored in
the rankings only where the admins weight them."""
from datetime import date, datetime, timedelta

from sqlalchemy import select

from care.models import CareVisit
from core.extensions import db
from dashboard import weights
from dashboard.board import units
from dashboard.stats import Period
from grid.models import Grid, Region
from snow.models import SnowOperation, SnowTask
from tests.care_support import CST, add_person, worker_grid
from tests.support import writing

QINGHE = "220221101000"
NOW = datetime(2026, 12, 20, 12, 0, tzinfo=CST)
DECEMBER = Period(date(2026, 12, 1), date(2026, 12, 31))


def _snow(app):
    """清河镇: four tasks with deadlines in December — cleared by it, cleared after it,
    uncleared past it, and one still to come (not counted) — and one in November."""
    due = datetime(2026, 12, 10, 8, 0, tzinfo=CST)
    with writing(app):
        town = db.session.scalar(select(Region).where(Region.code == QINGHE))
        grids = db.session.scalars(select(Grid).where(Grid.town_id == town.id)
                                   .order_by(Grid.code)).all()
        operation = SnowOperation(level="中雪", started_at=due - timedelta(days=2),
                                  stopped_at=due - timedelta(days=1))
        db.session.add(operation)
        plan = [(due, due - timedelta(hours=2)), (due, due + timedelta(hours=3)), (due, None),
                (NOW + timedelta(days=2), None), (datetime(2026, 11, 20, tzinfo=CST),
                                                  datetime(2026, 11, 19, tzinfo=CST))]
        for grid, (due_at, cleared_at) in zip(grids, plan):
            db.session.add(SnowTask(operation=operation, grid_id=grid.id, town_id=town.id,
                                    state="cleared" if cleared_at else "in_progress",
                                    due_at=due_at, cleared_at=cleared_at))
        return [grid.code for grid in grids[:3]]


def _care(app):
    """One weekly (high risk) person of the worker's grid registered 24 November, visited on
    30 November and 9 December."""
    from auth.models import User
    person_id = add_person(app, registered=date(2026, 11, 24))
    grid_code = worker_grid(app)
    with writing(app):
        grid_id = db.session.scalar(select(Grid.id).where(Grid.code == grid_code))
        worker = db.session.scalar(select(User.id).where(User.username == "worker"))
        for day in (date(2026, 11, 30), date(2026, 12, 9)):
            db.session.add(CareVisit(
                person_id=person_id, grid_id=grid_id, user_id=worker, kind="visit",
                visited_at=datetime.combine(day, datetime.min.time(), CST),
                visited_on=day, checks={}, needs="", photo_consent=False,
                key=f"t-{day}"))


def _units(app, username, args=None):
    from auth.models import User
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return units(user, args or {}, DECEMBER, NOW)


def test_the_towns_duties_on_hand_built_data(world):
    snow_grids = _snow(world)
    _care(world)
    kind, rows = _units(world, "supervisor")
    assert kind == "town"
    qinghe = next(row for row in rows if row["code"] == QINGHE)
    # snow: 1 of 3 counted tasks cleared by its deadline (the one to come and November's
    # are not December's, or not yet due)
    assert round(qinghe["snow_on_time_rate"], 4) == round(1 / 3, 4)
    # care: due 1 Dec (met on 30 Nov), 7 Dec (missed: the visit came late on the 9th and
    # starts the schedule again), 16 Dec from the 9th (missed by the 20th): 1 of 3
    assert round(qinghe["care_coverage_rate"], 4) == round(1 / 3, 4)
    liuwan = next(row for row in rows if row["code"] == "220221102000")
    assert liuwan["snow_on_time_rate"] is None and liuwan["care_coverage_rate"] is None
    # per grid within the town
    kind, grids = _units(world, "supervisor", {"town": QINGHE})
    by_code = {row["code"]: row for row in grids}
    assert kind == "grid"
    assert [by_code[code]["snow_on_time_rate"] for code in snow_grids] == [1.0, 0.0, 0.0]
    assert round(by_code[worker_grid(world)]["care_coverage_rate"], 4) == round(1 / 3, 4)


def test_the_board_shows_them_and_rankings_score_them_only_when_weighted(world, api,
                                                                         login_as, freeze):
    _snow(world)
    _care(world)
    freeze(NOW)
    page = login_as("supervisor").get("/dashboard?from=2026-12-01&to=2026-12-31")
    text = page.get_data(as_text=True)
    assert "清雪及时率" in text and "巡访覆盖率" in text
    # 清河镇's row: 33.3% twice (1 of 3 snow tasks, 1 of 3 visits)
    row = text[text.index('>清河镇</a>'):]
    row = row[:row.index("</tr>")]
    assert row.count("33.3%") == 2
    plain = api("supervisor").get("/api/v1/rankings?level=provincial&period=2026-12")
    before = plain.get_json()["items"][0]["score"]
    assert before is None  # no case in December: nothing the default weights score
    with writing(world):
        from auth.models import User
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        weights.save("town", {"snow_on_time_rate": 100}, admin)
    ranked = api("supervisor").get("/api/v1/rankings?level=provincial&period=2026-12")
    assert ranked.get_json()["items"][0]["score"] == 33.3
    # a department is never scored on a town's duties
    assert "snow_on_time_rate" not in {rate.key for rate in weights.KINDS["department"].rates}


def test_kept_coverage_follows_every_visit_edit_and_schedule_change(world, api, freeze):
    """care/coverage.py keeps its figures in the app's cache: a visit, a change of risk
    level or a cold wave gives a new answer at once."""
    from care import coverage as care_coverage
    from care.models import CarePerson, ColdWave
    from tests.care_support import middle
    from tests.support import another_app
    person_id = add_person(world, registered=date(2026, 11, 24))
    freeze(NOW)
    with another_app(world, CACHE_TYPE="SimpleCache") as app:
        def rate():
            with app.app_context():
                towns, _grids = care_coverage.coverage(DECEMBER.first, date(2026, 12, 20),
                                                       NOW.date())
                return (towns[next(iter(towns))].due, towns[next(iter(towns))].on_time)
        assert rate() == (3, 0)  # 1, 8 and 15 December missed
        assert rate() == (3, 0)  # kept
        home = middle(world, worker_grid(world))
        freeze(datetime(2026, 12, 1, 9, 0, tzinfo=CST))
        answer = api("worker").post("/api/v1/care/visits", json={
            "person_id": person_id, "key": "kept-1", "lat": home[0], "lon": home[1],
            "checks": {name: True for name in ("health", "heating", "food", "safety",
                                               "mood")}})
        assert answer.status_code == 201
        assert rate() == (3, 1)  # 1 December met; 8th and 15th missed
        with writing(world):
            db.session.get(CarePerson, person_id).risk = "low"
            db.session.get(CarePerson, person_id).version += 1
            from sqlalchemy import update
            db.session.execute(update(CarePerson).values(updated_at=NOW))
        assert rate() == (0, 0)  # monthly: due 24 December, then (visited) 1 January
        with writing(world):
            db.session.add(ColdWave(town_id=db.session.get(CarePerson, person_id).town_id,
                                    starts_on=date(2026, 12, 10), ends_on=date(2026, 12, 12)))
        # the cold wave's 10 December, met by the 1st's visit, and again the 10th (7 days
        # from the 1st, not before the wave): missed
        assert rate() == (2, 1)
