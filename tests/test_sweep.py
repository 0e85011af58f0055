"""The escalation sweep: 催办 at 80 %, 超期 levels after, each step once, one notice each."""
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from auth.models import User
from core.extensions import db
from events.models import Escalation, Event
from events.sweep import escalate_due
from notify.models import Notification

CST = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime(*args, tzinfo=CST)


def _accepted_case(freeze, report, api):
    freeze(local(2026, 3, 10, 9, 0))
    eid = report("worker")["id"]
    api("dispatcher").act(eid, "dispatch")
    api("handler").act(eid, "accept")  # handling: warn 13:42, due 14:30 (4 工作时)
    return eid


def _sweep(app, when):
    with app.app_context():
        return escalate_due(when)  # it owns its units of work


def _inbox(app, username):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        return db.session.scalars(select(Notification.subject).where(
            Notification.user_id == user.id, Notification.channel == "in_app",
            Notification.kind.in_(("warn", "overdue")))  # the ladder's, not hand-offs
            .order_by(Notification.id)).all()


def test_warning_at_80_percent_goes_to_the_assignee_once(freeze, report, api, world):
    eid = _accepted_case(freeze, report, api)
    assert _sweep(world, local(2026, 3, 10, 13, 41)).steps == 0
    result = _sweep(world, local(2026, 3, 10, 13, 42))
    assert (result.cases, result.steps) == (1, 1)
    assert _sweep(world, local(2026, 3, 10, 13, 50)).steps == 0
    inbox = _inbox(world, "handler")
    assert len(inbox) == 1 and "催办" in inbox[0]
    assert _inbox(world, "dispatcher") == []
    freeze(local(2026, 3, 10, 13, 50))
    body = api("handler").get(f"/api/v1/events/{eid}").get_json()
    assert body["clock"]["color"] == "yellow" and body["clock"]["level"] == 0
    assert [h["action"] for h in body["history"]][-1] == "warn"
    assert body["history"][-1]["actor"] == "系统"


def test_overdue_level_one_reaches_dispatcher_and_department_head(freeze, report, api, world):
    eid = _accepted_case(freeze, report, api)
    _sweep(world, local(2026, 3, 10, 13, 45))
    result = _sweep(world, local(2026, 3, 10, 14, 30))
    assert result.by_step == {2: 1}
    assert "超期（一级）" in _inbox(world, "dispatcher")[-1]
    assert len(_inbox(world, "handler")) == 2  # the warning, then the overdue notice
    assert _inbox(world, "supervisor") == []
    freeze(local(2026, 3, 10, 15, 0))
    clock = api("dispatcher").get(f"/api/v1/events/{eid}").get_json()["clock"]
    assert clock["color"] == "red" and clock["level"] == 1


def test_after_three_days_down_every_level_is_recorded_once_and_each_person_hears_once(
        freeze, report, api, world):
    eid = _accepted_case(freeze, report, api)
    result = _sweep(world, local(2026, 3, 16, 9, 0))  # the scheduler was down since Tuesday
    assert result.by_step == {1: 1, 2: 1, 3: 1, 4: 1}
    for username in ("handler", "dispatcher", "supervisor"):
        inbox = _inbox(world, username)
        assert len(inbox) == 1, (username, inbox)
        assert "三级" in inbox[0]
    with world.app_context():
        steps = db.session.scalars(select(Escalation.step).where(Escalation.event_id == eid)
                                   .order_by(Escalation.step)).all()
    assert steps == [1, 2, 3, 4]
    assert _sweep(world, local(2026, 3, 20, 9, 0)).steps == 0
    history = api("dispatcher").get(f"/api/v1/events/{eid}").get_json()["history"]
    assert [h["data"].get("step") for h in history if h["action"] in ("warn", "overdue")] == \
        [1, 2, 3, 4]


def test_suspended_cases_do_not_escalate_and_resume_picks_up(freeze, report, api, world):
    eid = _accepted_case(freeze, report, api)
    freeze(local(2026, 3, 10, 10, 0))
    api("dispatcher").act(eid, "suspend", note="协调")
    assert _sweep(world, local(2026, 3, 20, 9, 0)).steps == 0
    freeze(local(2026, 3, 20, 9, 0))
    api("dispatcher").act(eid, "resume", note="继续")  # 180 working minutes remain
    assert _sweep(world, local(2026, 3, 20, 11, 0)).steps == 0
    assert _sweep(world, local(2026, 3, 20, 11, 12)).by_step == {1: 1}  # 192 − 60 used
    assert _sweep(world, local(2026, 3, 20, 12, 0)).by_step == {2: 1}


def test_a_new_stage_escalates_afresh(freeze, report, api, world):
    eid = _accepted_case(freeze, report, api)
    _sweep(world, local(2026, 3, 10, 13, 45))  # warning for the handling stage
    freeze(local(2026, 3, 10, 14, 0))
    api("handler").act(eid, "handle", note="已清理")  # 核查: warn 17:12, due Wed 08:30
    result = _sweep(world, local(2026, 3, 10, 17, 15))
    assert result.by_step == {1: 1}
    assert "核查" in _inbox(world, "worker")[-1]


def test_only_due_cases_are_touched(freeze, report, api, world):
    first = _accepted_case(freeze, report, api)
    freeze(local(2026, 3, 10, 13, 0))
    second = report("worker")["id"]  # dispatch clock: warn 13:48
    result = _sweep(world, local(2026, 3, 10, 13, 45))
    assert (result.cases, result.steps) == (1, 1)
    with world.app_context():
        touched = db.session.scalars(select(Escalation.event_id)).all()
        versions = dict(db.session.execute(select(Event.id, Event.version)).all())
    assert touched == [first]
    assert versions[second] == 1  # untouched row, untouched version


def test_escalate_cli_prints_what_it_did(freeze, report, api, world, runner):
    _accepted_case(freeze, report, api)
    result = runner.invoke(args=["escalate", "--now", "2026-03-10T14:30:00+08:00"])
    assert result.exit_code == 0
    assert "escalated 1 cases: 2 steps" in result.output
    assert runner.invoke(args=["escalate", "--now", "yesterday"]).exit_code != 0
    assert "zone" in runner.invoke(args=["escalate", "--now", "2026-03-10T14:30:00"]).output
