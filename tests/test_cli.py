"""The CLI: demo data, users, categories."""
from sqlalchemy import func, select

from auth.models import User
from core.extensions import db
from events.models import Category, Event, EventLog
from grid.models import GridMember


def test_seed_demo_builds_a_living_county_once(runner, app):
    result = runner.invoke(args=["seed-demo", "--password", "secret-pass", "--cases", "120"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        # the programme's history (demo/history.py) comes besides: its cases say so
        states = dict(db.session.execute(select(Event.state, func.count()).where(
            Event.description.not_like("%往年案件%")).group_by(Event.state)).all())
        assert sum(states.values()) == 120
        assert "programme history: 26 demonstration towns" in result.output
        assert set(states) == {"reported", "filed", "dispatched", "accepted", "handled",
                               "closed", "rejected", "suspended"}
        names = set(db.session.scalars(select(User.username)))
        assert {"admin", "supervisor", "dispatcher", "worker", "handler"} <= names
        handler = db.session.scalar(select(User).where(User.username == "handler"))
        assert handler.department.name == "环卫所" and handler.department.region.name == "清河镇"
        # every case's log replays: it starts with create and chains to its state
        for event in db.session.scalars(select(Event)):
            logs = event.logs
            assert logs[0].action == "create"
            assert all(b.from_state == a.to_state for a, b in zip(logs, logs[1:]))
            assert logs[-1].to_state == event.state
        logs = db.session.scalar(select(func.count()).select_from(EventLog))
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "already present" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EventLog)) == logs


def test_seed_demo_prints_a_generated_password_that_logs_in(runner, app):
    result = runner.invoke(args=["seed-demo", "--cases", "0"])
    password = result.output.strip().splitlines()[-1].split(": ")[-1]
    response = app.test_client().post("/api/v1/tokens",
                                      json={"username": "admin", "password": password})
    assert response.status_code == 201


def test_users_create_with_scope_and_password_from_stdin(runner, world):
    result = runner.invoke(args=["users", "create", "zhang", "--role", "grid_worker",
                                 "--grid", "220221101000005", "--password-stdin"],
                           input="a-long-password\n")
    assert result.exit_code == 0, result.output
    with world.app_context():
        user = db.session.scalar(select(User).where(User.username == "zhang"))
        grids = db.session.scalars(select(GridMember.grid_id).where(GridMember.user_id == user.id))
        assert len(list(grids)) == 1 and user.region.code == "220221101000"
    token = world.test_client().post("/api/v1/tokens", json={
        "username": "zhang", "password": "a-long-password"})
    assert token.status_code == 201


def test_a_department_head_with_email_hears_of_overdue_cases(runner, world):
    result = runner.invoke(args=["users", "create", "zhao", "--role", "handler",
                                 "--department", "220221101000-HW", "--department-head",
                                 "--email", "zhao@qinghe.test", "--password-stdin"],
                           input="a-long-password\n")
    assert result.exit_code == 0, result.output
    with world.app_context():
        user = db.session.scalar(select(User).where(User.username == "zhao"))
        assert user.is_department_head and user.email == "zhao@qinghe.test"


def test_users_create_refuses_bad_input_with_a_message(runner, world):
    cases = [
        (["users", "create", "worker", "--role", "admin"], "已存在"),
        (["users", "create", "x1", "--role", "dispatcher"], "town"),
        (["users", "create", "x2", "--role", "dispatcher", "--town", "000000000000"], "不存在"),
        (["users", "create", "x3", "--role", "handler", "--department", "NOPE"], "不存在"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, result.output
    with world.app_context():
        assert db.session.scalar(select(User).where(User.username.like("x%"))) is None


def test_generated_password_is_printed(runner, world):
    result = runner.invoke(args=["users", "create", "li", "--role", "supervisor",
                                 "--region", "220221000000"])
    assert result.exit_code == 0
    password = result.output.strip().splitlines()[-1].removeprefix("password: ")
    token = world.test_client().post("/api/v1/tokens", json={"username": "li",
                                                             "password": password})
    assert token.status_code == 201


def test_load_categories_from_the_catalogue(runner, app):
    result = runner.invoke(args=["load-categories"])
    assert result.exit_code == 0 and "43 added" in result.output
    with app.app_context():
        snow = db.session.scalar(select(Category).where(Category.code == "10001"))
        assert snow.urgency == "紧急" and (snow.limit_value, snow.limit_unit) == (24, "h")
        assert snow.verify_limit_min == 30
    assert "0 added, 0 updated" in runner.invoke(args=["load-categories"]).output


def test_seed_demo_if_empty_leaves_a_used_database_alone(runner, world):
    result = runner.invoke(args=["seed-demo", "--if-empty", "--password", "other-pass-1"])
    assert result.exit_code == 0 and "already has users" in result.output
    response = world.test_client().post("/api/v1/tokens",
                                        json={"username": "admin", "password": "other-pass-1"})
    assert response.status_code == 401  # passwords untouched


def test_bench_data_fills_cases_the_app_reads(runner, world):
    """bench/ fills its databases with this command: every column a case needs is set."""
    result = runner.invoke(args=["bench-data", "--cases", "120", "--due", "7"])
    assert result.exit_code == 0, result.output
    assert "120 cases" in result.output and "7 due" in result.output
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Event)) == 120
        assert db.session.scalar(select(func.sum(Event.supervise_count))) == 0
    swept = runner.invoke(args=["escalate"])
    assert swept.exit_code == 0 and "escalated 7 cases" in swept.output
