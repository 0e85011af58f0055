"""Hand-offs (issue 9): every step that hands a case to someone tells exactly them, once,
in the unit of work that made the step — and nobody else, and never the one who acted."""
import re

import pytest
from sqlalchemy import select

from auth.models import User
from core.extensions import db
from notify.models import Notification
from tests.support import writing


#: hand-offs that only inform (提醒), beside the tasks (待办, kind task.*)
NOTICES = ("extension_approved", "extension_denied", "unsatisfied")


def _tasks(app):
    """Every in-app hand-off so far (tasks and notices), as (username, kind) in order."""
    with app.app_context():
        return [(username, kind) for username, kind in db.session.execute(
            select(User.username, Notification.kind).join(User, User.id == Notification.user_id)
            .where(Notification.channel == "in_app",
                   Notification.kind.startswith("task.") | Notification.kind.in_(NOTICES))
            .order_by(Notification.id))]


#: a walk round the lifecycle: (who acts, action, parameters, who is told what)
WALK = [
    ("dispatcher", "create", {"source": "hotline"}, {("worker", "task.verify")}),
    ("worker", "verify", {}, {("dispatcher", "task.dispatch")}),
    ("dispatcher", "dispatch", {}, {("handler", "task.accept")}),
    ("handler", "return", {"note": "不属于本单位"}, {("dispatcher", "task.returned")}),
    ("dispatcher", "dispatch", {}, {("handler", "task.accept")}),
    ("handler", "accept", {}, set()),
    ("handler", "request_extension", {"hours": 8, "note": "等设备"},
     {("dispatcher", "task.extension")}),
    ("dispatcher", "deny_extension", {"note": "请按期办结"}, {("handler", "extension_denied")}),
    ("handler", "request_extension", {"hours": 4, "note": "再等等"},
     {("dispatcher", "task.extension")}),
    ("dispatcher", "approve_extension", {}, {("handler", "extension_approved")}),
    ("handler", "comment", {"note": "正在清运"}, set()),
    ("handler", "handle", {"note": "已清理"}, {("worker", "task.check")}),
    ("worker", "rework", {"note": "仍有残留"}, {("handler", "task.accept")}),
    ("handler", "accept", {}, set()),
    ("handler", "handle", {"note": "已返工"}, {("worker", "task.check")}),
    ("worker", "close", {"note": "核查通过", "photo": True}, set()),
    ("supervisor", "reopen", {"note": "群众反映反弹"}, {("handler", "task.accept")}),
    ("dispatcher", "suspend", {"note": "待协调"}, set()),
    ("dispatcher", "resume", {}, set()),
]


def test_each_hand_off_tells_exactly_the_people_it_hands_to_once(world, api, report):
    event_id = None
    for step, (who, action, params, told) in enumerate(WALK):
        before = _tasks(world)
        if action == "create":
            event_id = report(who, **params)["id"]
        else:
            response = api(who).act(event_id, action, **params)
            assert response.status_code == 200, (step, action, response.get_json())
        new = _tasks(world)[len(before):]
        assert sorted(new) == sorted(told), (step, who, action, new)  # each once, no one else


def test_a_patrol_report_goes_straight_to_the_dispatchers(world, report):
    report("worker")  # a grid worker's own patrol report is filed directly
    assert _tasks(world) == [("dispatcher", "task.dispatch")]


def test_a_failed_step_tells_nobody(world, api, report):
    case = report("worker")
    before = _tasks(world)
    refused = api("worker").act(case["id"], "dispatch")  # not a worker's step
    assert refused.status_code == 403
    bad = api("dispatcher").act(case["id"], "dispatch", department_code="NO-SUCH")
    assert bad.status_code == 422
    assert _tasks(world) == before


def test_the_subject_names_the_case_and_the_task_and_the_note_comes_along(world, api,
                                                                       report):
    case = report("worker", description="东街垃圾桶满溢")
    api("dispatcher").act(case["id"], "dispatch", note="请今日内清运")
    with world.app_context():
        row = db.session.scalar(select(Notification).where(Notification.kind == "task.accept"))
        assert row.subject.startswith("【待签收】" + case["number"])
        assert "清河镇第1网格" in row.subject and row.body == "请今日内清运"
        assert row.event_id == case["id"]


def test_who_is_told_is_a_setting(world, api, report, configure):
    configure(NOTIFY_HANDOFFS={**world.config["NOTIFY_HANDOFFS"],
                               "accept": {"to": ["town_dispatchers"], "channels": ["in_app"]},
                               "dispatch": {"to": [], "channels": ["in_app"]}})
    case = report("worker")
    api("dispatcher2").get("/api/v1/events")  # another town's dispatcher: never told
    api("dispatcher").act(case["id"], "dispatch")
    assert _tasks(world) == []  # the dispatcher acted; the handler is not in the setting
    api("handler").act(case["id"], "accept")
    api("handler").act(case["id"], "return", note="退回")
    api("dispatcher").act(case["id"], "dispatch")
    assert ("dispatcher", "task.accept") not in _tasks(world)  # never the one who acted
    assert ("dispatcher", "task.returned") in _tasks(world)


def test_tasks_go_by_email_too_with_the_same_outbox(world, api, report, configure):
    configure(SMTP_HOST="127.0.0.1")
    with writing(world):
        db.session.scalar(select(User).where(User.username == "handler")).email = "h@example.test"
    case = report("worker")
    api("dispatcher").act(case["id"], "dispatch")
    with world.app_context():
        channels = {(n.channel, n.status) for n in db.session.scalars(
            select(Notification).where(Notification.kind == "task.accept"))}
    assert channels == {("in_app", "sent"), ("email", "pending")}


@pytest.mark.parametrize("tab", ["tasks", "alerts", "all"])
def test_the_messages_page_shows_tasks_done_once_the_case_moved_on(world, api, report,
                                                                   login_as, tab):
    case = report("worker")
    page = login_as("dispatcher")
    listing = page.get(f"/notifications?tab={tab}").get_data(as_text=True)
    if tab == "alerts":
        assert case["number"] not in listing
        return
    assert f"【待派遣】{case['number']}" in listing and "已处理" not in listing
    api("dispatcher").act(case["id"], "dispatch")
    assert "已处理" in page.get(f"/notifications?tab={tab}").get_data(as_text=True)


# --- 自动派遣: per category, no dispatcher step ----------------------------------------------

def _auto(app, code="06010", on=True):
    from events.models import Category
    with writing(app):
        db.session.scalar(select(Category).where(Category.code == code)).auto_dispatch = on


def test_an_auto_dispatch_category_goes_straight_to_its_department(world, api, report):
    _auto(world)
    case = report("worker")  # a patrol report: filed, then dispatched by the system
    assert case["state"] == "dispatched"
    assert [h["action"] for h in case["history"]] == ["create", "dispatch"]
    assert case["history"][-1]["actor"] == "系统" and "自动派遣" in case["history"][-1]["note"]
    assert case["department_name"] == "环卫所"
    assert _tasks(world) == [("handler", "task.accept")]  # the dispatchers have nothing to do
    assert api("handler").act(case["id"], "accept").status_code == 200


def test_auto_dispatch_after_verification_and_not_for_other_categories(world, api, report):
    _auto(world)
    hotline = report("dispatcher", source="hotline")
    assert hotline["state"] == "reported"
    verified = api("worker").act(hotline["id"], "verify").get_json()
    assert verified["state"] == "dispatched" and verified["history"][-1]["actor"] == "系统"
    other = report("worker", category_code="06020")  # not switched on
    assert other["state"] == "filed"
    assert ("dispatcher", "task.dispatch") in _tasks(world)


def test_auto_dispatch_without_a_department_leaves_the_case_to_the_dispatchers(world, report,
                                                                             runner):
    from events.models import RoutingRule, Department
    result = runner.invoke(args=["auto-dispatch", "06010"])
    assert result.exit_code == 0 and "auto-dispatch on" in result.output
    with writing(world):
        for rule in db.session.scalars(select(RoutingRule)):
            db.session.delete(rule)
        for department in db.session.scalars(select(Department)):
            department.is_active = False
    case = report("worker")
    assert case["state"] == "filed"
    assert _tasks(world) == [("dispatcher", "task.dispatch")]
    off = runner.invoke(args=["auto-dispatch", "06010", "--off"])
    assert off.exit_code == 0 and "auto-dispatch off" in off.output
    assert runner.invoke(args=["auto-dispatch", "99999"]).exit_code != 0


# --- 督办: a supervision order, an alert to whoever holds the case ----------------------------

def _alerts(app, kind="supervise"):
    with app.app_context():
        return [(username, subject) for username, subject in db.session.execute(
            select(User.username, Notification.subject)
            .join(User, User.id == Notification.user_id)
            .where(Notification.channel == "in_app", Notification.kind == kind)
            .order_by(Notification.id))]


def test_a_supervision_order_is_logged_counted_and_told_to_the_holder(world, api, report,
                                                                    login_as):
    case = report("worker")
    api("dispatcher").act(case["id"], "dispatch")
    answer = api("supervisor").act(case["id"], "supervise", note="群众反映强烈，请今日办结",
                                   hours=4)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["state"] == "dispatched" and body["supervise_count"] == 1  # state unchanged
    last = body["history"][-1]
    assert last["action"] == "supervise" and last["note"] == "群众反映强烈，请今日办结"
    assert last["data"]["deadline"]
    alerts = _alerts(world)
    assert [who for who, _ in alerts] == ["handler"]  # holder and head: one person, once
    assert alerts[0][1].startswith(f"【督办】{case['number']}") and "限" in alerts[0][1]
    bell = api("handler").get("/api/v1/notifications").get_json()
    assert bell["unread_alerts"] == 1 and bell["unread_tasks"] == 1  # 督办 is an alert
    listed = api("supervisor").get("/api/v1/events").get_json()["items"]
    assert [i["supervise_count"] for i in listed if i["id"] == case["id"]] == [1]
    page = login_as("supervisor").get("/events").get_data(as_text=True)
    assert "督办 ×1" in page


def test_once_signed_the_handler_who_signed_hears_a_supervision_order(world, api, report):
    case = report("worker")
    api("dispatcher").act(case["id"], "dispatch")
    api("handler").act(case["id"], "accept")
    api("supervisor").act(case["id"], "supervise", note="请加快")
    assert [who for who, _ in _alerts(world)] == ["handler"]


def test_a_supervision_order_is_refused_where_it_does_not_belong(world, api, report):
    case = report("worker")
    assert api("worker").act(case["id"], "supervise", note="x").status_code == 403
    missing = api("supervisor").act(case["id"], "supervise")
    assert missing.status_code == 422
    too_long = api("supervisor").act(case["id"], "supervise", note="x", hours=1000)
    assert too_long.status_code == 422 and "hours" in too_long.get_json()["fields"]
    assert _alerts(world) == []
    assert api("supervisor").act(case["id"], "supervise", note="请尽快派遣").status_code == 200
    assert [who for who, _ in _alerts(world)] == ["dispatcher"]  # filed: the dispatchers hold it


def test_the_issuer_chooses_whom_a_supervision_order_tells(world, api, report, login_as):
    case = report("worker")
    api("dispatcher").act(case["id"], "dispatch")
    told = api("supervisor").act(case["id"], "supervise", note="请镇里协调",
                                 recipients=["town_dispatchers"])
    assert told.status_code == 200
    assert told.get_json()["history"][-1]["data"]["recipients"] == ["town_dispatchers"]
    assert [who for who, _ in _alerts(world)] == ["dispatcher"]  # not the handler this time
    for bad in ([], ["mayor"]):
        refused = api("supervisor").act(case["id"], "supervise", note="x", recipients=bad)
        assert refused.status_code == 422
        assert any(name.startswith("recipients") for name in refused.get_json()["fields"])
    assert api("dispatcher").act(case["id"], "comment", note="x",
                                 recipients=["holder"]).status_code == 422  # 督办 only
    # the page offers the choice, the holder and the head ticked
    page = login_as("supervisor").get(f"/events/{case['id']}").get_data(as_text=True)
    boxes = re.findall(r'name="recipients" value="(\w+)"( checked)?', page)
    assert boxes == [("holder", " checked"), ("department_heads", " checked"),
                     ("town_dispatchers", "")]
    form = login_as("supervisor")
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    sent = form.post(f"/events/{case['id']}/actions", data={
        "action": "supervise", "note": "请今日办结", "version": version,
        "recipients": ["holder", "town_dispatchers"]})
    assert sent.status_code == 302
    assert sorted(who for who, _ in _alerts(world)) == ["dispatcher", "dispatcher", "handler"]
    page = login_as("supervisor").get(f"/events/{case['id']}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    none = form.post(f"/events/{case['id']}/actions", data={  # every box unticked
        "action": "supervise", "note": "请今日办结", "version": version,
        "recipients_offered": "1"})
    assert none.status_code == 422 and "请选择督办对象" in none.get_data(as_text=True)


def test_a_task_is_done_once_its_case_is_returned_and_sent_elsewhere(world, api, report):
    """The old department's 待签收 must not come back when the case returns to 已派遣
    somewhere else: a task waits on its state *and* its stage."""
    from events.models import Department
    case = report("worker")
    api("dispatcher").act(case["id"], "dispatch")
    api("handler").act(case["id"], "return", note="不归我们管")
    with world.app_context():
        other = db.session.scalar(select(Department.code).where(
            Department.region_id == db.session.scalar(select(Department.region_id).where(
                Department.code.endswith("-HW"))), ~Department.code.endswith("-HW")))
    assert api("dispatcher").act(case["id"], "dispatch",
                                 department_code=other).status_code == 200
    tasks = [i for i in api("handler").get("/api/v1/notifications").get_json()["items"]
             if i["kind"] == "task.accept"]
    assert len(tasks) == 1 and tasks[0]["done"] is True


def test_one_unit_moving_a_case_many_times_tells_each_holder_once(world, now):
    """The demo seed (one unit) and any batch: the latest move of a kind per case speaks."""
    from events import intake, services
    with writing(world):
        users = {u.username: u for u in db.session.scalars(select(User))}
        event, _ = intake.create_event(users["worker"], now, category_code="06010",
                                       lat=43.603, lon=126.485, description="批量")
        services.dispatch_event(users["dispatcher"], event, now)
        services.return_event(users["handler"], event, now, note="退回")
        services.dispatch_event(users["dispatcher"], event, now)
    assert _tasks(world) == [("handler", "task.accept")]


def test_mark_all_read_on_one_tab_leaves_the_other(world, api, report, login_as):
    case = report("worker")
    api("dispatcher").act(case["id"], "dispatch")
    api("supervisor").act(case["id"], "supervise", note="请加快")
    handler = login_as("handler")
    handler.post("/notifications/read", data={"all": "1", "tab": "alerts"})
    bell = api("handler").get("/api/v1/notifications").get_json()
    assert bell["unread_alerts"] == 0 and bell["unread_tasks"] == 1


@pytest.mark.parametrize("target", ["//evil.example", "/\t/evil.example", "https://evil.example/",
                                    "/\\evil.example"])
def test_marking_read_never_sends_the_reader_off_site(world, login_as, target):
    answer = login_as("handler").post("/notifications/read",
                                      data={"all": "1", "next": target})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/notifications")


# --- 其他问题: reports that fit no category are verified by the town's dispatchers ------------

def test_a_report_that_fits_no_category_waits_on_the_dispatchers_not_the_grid(world, api,
                                                                             report, login_as):
    case = report("admin", source="hotline", category_code="99001",
                  description="村口有不明液体流到路上，不知道该找谁")
    assert _tasks(world) == [("dispatcher", "task.verify")]  # not the grid's workers
    numbers = lambda who: {e["number"] for e in api(who).get(  # noqa: E731
        "/api/v1/events?mine=1").get_json()["items"]}
    assert case["number"] in numbers("dispatcher")
    assert case["number"] not in numbers("worker")
    # the grid's worker may not judge it; the dispatcher verifies it and it is theirs to dispatch
    detail = api("worker").get(f"/api/v1/events/{case['id']}").get_json()
    assert "verify" not in detail["allowed_actions"] and "reject" not in detail["allowed_actions"]
    assert api("worker").act(case["id"], "verify").status_code == 409
    listed = login_as("dispatcher").get("/events?mine=1").get_data(as_text=True)
    assert "派遣员核实" in listed
    assert api("dispatcher").act(case["id"], "verify", note="属实，属水务").status_code == 200
    # an ordinary category still goes to the grid
    report("admin", source="hotline")
    assert _tasks(world)[-1] == ("worker", "task.verify")


def test_a_late_other_problem_is_chased_at_the_dispatchers(world, report, now, freeze):
    from datetime import timedelta

    from events.sweep import escalate_due
    freeze(now)
    case = report("dispatcher", source="hotline", category_code="99001")
    with world.app_context():
        assert escalate_due(now + timedelta(days=3)).steps  # it owns its units of work
    with world.app_context():
        chased = set(db.session.scalars(
            select(User.username).join(Notification, Notification.user_id == User.id)
            .where(Notification.event_id == case["id"], Notification.channel == "in_app",
                   ~Notification.kind.startswith("task."))))
    assert chased and "dispatcher" in chased and "worker" not in chased


def test_who_a_new_report_tells_is_read_before_its_unit_and_for_it_only(world, report):
    """The town's dispatchers are read with the report's checks, before its unit of work
    takes the write lock (notify.handoffs.read_ahead); what was read serves that unit only:
    a dispatcher disabled after one report is not told of the next, and a unit that rolls
    back leaves nothing read behind."""
    from sqlalchemy import event as sa_event

    from notify import handoffs
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.replace('"', "").split()))
    with world.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", seen)
    try:
        report("worker")
    finally:
        sa_event.remove(engine, "before_cursor_execute", seen)
    people = [i for i, s in enumerate(statements)
              if s.startswith("SELECT user.id FROM user WHERE user.is_enabled")]
    counter = next(i for i, s in enumerate(statements)
                   if s.startswith("INSERT INTO event_counter"))
    assert len(people) == 1 and people[0] < counter, statements
    assert _tasks(world) == [("dispatcher", "task.dispatch")]
    with writing(world):
        db.session.scalar(select(User).where(User.username == "dispatcher")).is_enabled = False
    report("worker")
    assert _tasks(world) == [("dispatcher", "task.dispatch")]  # not told again
    with world.test_request_context():
        db.session.connection()
        db.session.info[handoffs._READ_AHEAD] = {("town_dispatchers", 1): frozenset({1})}
        db.session.rollback()
        assert handoffs._READ_AHEAD not in db.session.info
