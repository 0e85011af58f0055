"""Stage clocks on cases, through the API, on real calendar dates."""
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.extensions import db
from events.models import Category
from tests.support import writing

CST = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime(*args, tzinfo=CST)


def iso(value):
    return datetime.fromisoformat(value).astimezone(CST)


def test_new_patrol_case_runs_the_dispatch_clock_in_working_time(freeze, report):
    freeze(local(2026, 3, 10, 11, 30))  # a Tuesday, half an hour before lunch
    clock = report("worker")["clock"]
    assert clock["stage"] == "dispatch" and clock["color"] == "green"
    assert iso(clock["due_at"]) == local(2026, 3, 10, 14, 0)  # 60 working min over lunch
    assert iso(clock["warn_at"]) == local(2026, 3, 10, 13, 48)  # 80 %
    assert iso(clock["started_at"]) == local(2026, 3, 10, 11, 30)
    assert clock["level"] == 0 and clock["provisional"] is False


def test_the_ladder_setting_decides_when_a_case_is_warned(freeze, report, configure):
    """ESCALATION_LADDERS is the one place the ladders live (issue 16): a county that warns
    at half the limit gets its cases warned at half the limit, with the stage name."""
    configure(ESCALATION_LADDERS={"一般": {"warn_ratio": 0.5, "delays": [0, 480, 1440]},
                                  "分阶段": {"warn_ratio": 0.5, "delays": [0, 480, 1440]},
                                  "紧急": {"warn_ratio": 0.5, "delays": [0, 120, 480]}})
    freeze(local(2026, 3, 10, 11, 30))
    clock = report("worker")["clock"]
    assert iso(clock["due_at"]) == local(2026, 3, 10, 14, 0)  # the limit is the category's
    assert iso(clock["warn_at"]) == local(2026, 3, 10, 12, 0)  # 30 of 60 working minutes
    assert clock["stage_name"] == "立案派遣"


def test_urgent_categories_count_natural_time(freeze, report):
    freeze(local(2026, 3, 10, 17, 20))
    clock = report("worker", category_code="10001")["clock"]  # 道路积雪结冰, 紧急
    assert iso(clock["due_at"]) == local(2026, 3, 10, 17, 35)  # 15 natural minutes


def test_handling_clock_uses_the_category_limit_and_colours_change(freeze, report, api):
    freeze(local(2026, 3, 10, 9, 0))
    eid = report("worker")["id"]
    api("dispatcher").act(eid, "dispatch")
    body = api("handler").act(eid, "accept").get_json()
    assert body["clock"]["stage"] == "handle"
    assert iso(body["clock"]["due_at"]) == local(2026, 3, 10, 14, 30)  # 06010: 4 工作时
    freeze(local(2026, 3, 10, 14, 0))
    assert api("handler").get(f"/api/v1/events/{eid}").get_json()["clock"]["color"] == "yellow"
    freeze(local(2026, 3, 10, 14, 30))
    listed = api("handler").get("/api/v1/events").get_json()["items"][0]
    assert listed["clock"]["color"] == "red"


def test_suspension_pauses_and_resume_continues_from_what_remains(freeze, report, api):
    freeze(local(2026, 3, 10, 9, 0))
    eid = report("worker")["id"]
    api("dispatcher").act(eid, "dispatch")
    api("handler").act(eid, "accept")  # due 14:30, 240 working minutes
    freeze(local(2026, 3, 10, 10, 0))  # 60 used
    suspended = api("dispatcher").act(eid, "suspend", note="等待协调").get_json()
    assert suspended["clock"]["paused"] and suspended["clock"]["due_at"] is None
    assert suspended["clock"]["color"] == "grey"
    freeze(local(2026, 3, 12, 16, 0))  # Thursday afternoon: 180 remain
    resumed = api("dispatcher").act(eid, "resume", note="继续").get_json()
    assert iso(resumed["clock"]["due_at"]) == local(2026, 3, 13, 9, 30)  # 90 + 90 minutes


def test_approved_extension_adds_its_hours(freeze, report, api):
    freeze(local(2026, 3, 10, 9, 0))
    eid = report("worker")["id"]
    api("dispatcher").act(eid, "dispatch")
    api("handler").act(eid, "accept")
    api("handler").act(eid, "request_extension", hours=8, note="需要机械")
    body = api("dispatcher").act(eid, "approve_extension", note="同意").get_json()
    assert iso(body["clock"]["due_at"]) == local(2026, 3, 11, 14, 30)  # + 1 工作日
    denied_path = api("handler").act(eid, "request_extension", hours=8, note="再延").get_json()
    assert iso(denied_path["clock"]["due_at"]) == local(2026, 3, 11, 14, 30)


def test_return_restarts_the_department_clock_after_redispatch(freeze, report, api):
    freeze(local(2026, 3, 10, 9, 0))
    eid = report("worker")["id"]
    first = api("dispatcher").act(eid, "dispatch", department_code="220221101000-ZF").get_json()
    freeze(local(2026, 3, 10, 15, 0))
    api("h220221101000-zf").act(eid, "return", note="不归我们")
    again = api("dispatcher").act(eid, "dispatch").get_json()
    assert again["clock"]["stage"] == "accept"
    assert iso(again["clock"]["started_at"]) == local(2026, 3, 10, 15, 0)
    assert iso(again["clock"]["due_at"]) == local(2026, 3, 10, 16, 0)
    assert iso(first["clock"]["due_at"]) == local(2026, 3, 10, 10, 0)


def test_editing_a_category_changes_only_new_stages(freeze, report, world, api):
    freeze(local(2026, 3, 10, 9, 0))
    eid = report("worker")["id"]
    api("dispatcher").act(eid, "dispatch")
    api("handler").act(eid, "accept")
    with writing(world):
        category = db.session.scalar(select(Category).where(Category.code == "06010"))
        category.limit_value = 1
    body = api("handler").get(f"/api/v1/events/{eid}").get_json()
    assert iso(body["clock"]["due_at"]) == local(2026, 3, 10, 14, 30)
    other = report("worker")["id"]
    api("dispatcher").act(other, "dispatch")
    fresh = api("handler").act(other, "accept").get_json()
    assert iso(fresh["clock"]["due_at"]) == local(2026, 3, 10, 10, 0)


def test_staged_category_shows_one_deadline_per_stage(freeze, report, api):
    freeze(local(2026, 3, 10, 9, 0))
    eid = report("worker", category_code="06001")["id"]  # 私搭乱建
    api("dispatcher").act(eid, "dispatch")
    body = api("h220221101000-zf").act(eid, "accept").get_json()
    stages = [(m["name"], iso(m["due_at"])) for m in body["milestones"]]
    assert stages == [("停工", local(2026, 3, 10, 14, 30)),
                      ("处罚", local(2026, 3, 19, 9, 0)),
                      ("拆除", local(2026, 4, 8, 9, 0))]
    assert iso(body["clock"]["due_at"]) == local(2026, 4, 8, 9, 0)


def test_deadline_into_an_unpublished_year_is_provisional_then_recomputed(freeze, report, api,
                                                                        runner, world):
    freeze(local(2026, 12, 31, 16, 0))
    eid = report("worker")["id"]
    api("dispatcher").act(eid, "dispatch")
    body = api("handler").act(eid, "accept").get_json()
    assert body["clock"]["provisional"] is True
    assert iso(body["clock"]["due_at"]) == local(2027, 1, 1, 10, 30)  # Friday, Mon–Fri guess
    try:
        result = runner.invoke(args=["calendar", "add-year", "2027", "--weekdays"])
        assert result.exit_code == 0 and "1 provisional deadlines recomputed" in result.output
        result = runner.invoke(args=["calendar", "set", "2027-01-01", "--off", "--name", "元旦"])
        assert result.exit_code == 0, result.output
        body = api("handler").get(f"/api/v1/events/{eid}").get_json()
        assert body["clock"]["provisional"] is False
        assert iso(body["clock"]["due_at"]) == local(2027, 1, 4, 10, 30)
    finally:
        with writing(world):
            from workcal.calendar import WorkDay
            db.session.execute(WorkDay.__table__.delete().where(WorkDay.day >= datetime(
                2027, 1, 1).date()))


def test_calendar_cli_refuses_what_it_cannot_do(runner, world):
    assert "does not know 2099" in runner.invoke(args=["calendar", "add-year", "2099"]).output
    assert "not in the calendar" in runner.invoke(
        args=["calendar", "set", "2099-01-01", "--off"]).output
    shown = runner.invoke(args=["calendar", "show", "2026"]).output
    assert "2026-02-14 上班" in shown and "2026-02-16 休息 春节" in shown


def test_a_town_can_keep_its_own_working_hours(freeze, report, api, runner):
    result = runner.invoke(args=["calendar", "periods", "220221101000",
                                 "08:30-12:00", "14:00-18:00"])
    assert result.exit_code == 0, result.output
    freeze(local(2026, 3, 10, 11, 30))
    clock = report("worker")["clock"]
    assert iso(clock["due_at"]) == local(2026, 3, 10, 14, 30)  # 30 min before lunch, 30 after
    assert runner.invoke(args=["calendar", "periods", "220221101000", "18:00-08:00"]).exit_code != 0
    assert runner.invoke(args=["calendar", "periods", "220221101000"]).exit_code == 0
    freeze(local(2026, 3, 10, 11, 30))
    assert iso(report("worker")["clock"]["due_at"]) == local(2026, 3, 10, 14, 0)
