"""Late visits climb the ladder once per step (issue 14), on both engines: 催办 on the due
day to the grid's workers, 超期 the day after to the town's dispatchers too, 督办 a week
after to the county's supervisors; names masked, never to the webhook; a visit stops it."""
from datetime import date, datetime, timedelta

from sqlalchemy import select

from auth.models import User
from care.models import CareEscalation
from care.sweep import escalate_care
from core.extensions import db
from notify.models import Notification
from tests.care_support import CST, add_person, middle, worker_grid

DUE = date(2026, 12, 7)


def _at(day: date, hour=0, minute=30) -> datetime:
    return datetime.combine(day, datetime.min.time().replace(hour=hour, minute=minute), CST)


def _sweep(app, when):
    with app.app_context():
        return escalate_care(when)


def _steps(app):
    with app.app_context():
        return sorted((row.due_on, row.step) for row in db.session.scalars(select(CareEscalation)))


def _told(app, username):
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        return [(n.data["step"], n.subject) for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user_id,
                                       Notification.channel == "in_app",
                                       Notification.kind.like("care.%"))
            .order_by(Notification.id))]


def test_a_late_visit_climbs_each_step_once_and_its_people_hear(world, api, freeze,
                                                               configure):
    configure(WEBHOOK_URL="http://127.0.0.1:9/hook")
    add_person(world, registered=DUE - timedelta(days=7))  # high: weekly
    assert _sweep(world, _at(DUE - timedelta(days=1), 23, 50)) == "care: nothing due"
    _sweep(world, _at(DUE))
    assert _steps(world) == [(DUE, 1)]
    _sweep(world, _at(DUE, 12))  # nothing new: each step once
    assert _steps(world) == [(DUE, 1)]
    assert _told(world, "worker") == [(1, "【催办】巡访：张**（" + _grid_name(world)
                                       + "）今天应走访")]
    assert _told(world, "dispatcher") == []
    _sweep(world, _at(DUE + timedelta(days=1)))
    assert _steps(world) == [(DUE, 1), (DUE, 2)]
    assert [step for step, _s in _told(world, "dispatcher")] == [2]
    assert "已超期 1 天" in _told(world, "dispatcher")[0][1]
    assert _told(world, "supervisor") == []
    _sweep(world, _at(DUE + timedelta(days=7)))
    assert _steps(world) == [(DUE, 1), (DUE, 2), (DUE, 3)]
    supervisor = _told(world, "supervisor")
    assert supervisor == [(3, f"【督办】巡访：{_grid_name(world)} 有留守老人走访超期 7 天")]
    assert _told(world, "dispatcher2") == [] and _told(world, "w101002") == []
    with world.app_context():
        assert db.session.scalar(select(Notification).where(
            Notification.kind.like("care.%"), Notification.channel == "webhook")) is None
        told = db.session.scalar(select(Notification).join(User, User.id == Notification.user_id)
                                 .where(User.username == "supervisor"))
    assert told.data["url"] == "/care" and "care_person_id" not in told.data  # no person


def test_a_visit_stops_the_climb_and_the_next_due_day_starts_afresh(world, api, freeze):
    person_id = add_person(world, registered=DUE - timedelta(days=7))
    _sweep(world, _at(DUE + timedelta(days=1)))
    assert _steps(world) == [(DUE, 1), (DUE, 2)]
    freeze(_at(DUE + timedelta(days=1), 10))
    home = middle(world, worker_grid(world))
    visit = api("worker").post("/api/v1/care/visits", json={
        "person_id": person_id, "key": "late-visit", "lat": home[0], "lon": home[1],
        "checks": {name: True for name in ("health", "heating", "food", "safety", "mood")}})
    assert visit.status_code == 201, visit.get_json()
    _sweep(world, _at(DUE + timedelta(days=7)))  # 督办 would be due for the old day
    assert _steps(world) == [(DUE, 1), (DUE, 2)]
    _sweep(world, _at(DUE + timedelta(days=8)))  # the new due day: 8 December + 7
    assert _steps(world) == [(DUE, 1), (DUE, 2), (DUE + timedelta(days=8), 1)]


def test_a_person_found_long_overdue_is_told_once_about_the_highest_step(world):
    add_person(world, registered=DUE - timedelta(days=7))
    _sweep(world, _at(DUE + timedelta(days=10)))
    assert _steps(world) == [(DUE, 1), (DUE, 2), (DUE, 3)]
    assert [step for step, _s in _told(world, "worker")] == [3]
    assert [step for step, _s in _told(world, "dispatcher")] == [3]


def _grid_name(app) -> str:
    from grid.models import Grid
    with app.app_context():
        return db.session.scalar(select(Grid.name).where(Grid.code == worker_grid(app)))
