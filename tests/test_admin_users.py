"""Administration (issue 12): users on pages — create, forced password change, edit, deactivate,
reset — each audited; two admins editing at once; dispatchers within their town only."""
import re

import pytest
from sqlalchemy import func, select

from audit.models import AuditEntry
from auth.models import ApiToken, User
from core.extensions import db
from grid.models import Grid, GridMember, Region
from tests.support import DEMO_PASSWORD

TOWN1 = "220221101000"


def _grid(world, code):
    with world.app_context():
        return db.session.scalar(select(Grid.id).where(Grid.code == code))


def _town(world, code=TOWN1):
    with world.app_context():
        return db.session.scalar(select(Region.id).where(Region.code == code))


def _user(world, username):
    with world.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


def _audit(world, **where):
    with world.app_context():
        return [(e.kind, e.target, e.action, e.actor_name, e.before, e.after)
                for e in db.session.scalars(select(AuditEntry).filter_by(**where)
                                            .order_by(AuditEntry.id))]


def _count_users(world):
    with world.app_context():
        return db.session.scalar(select(func.count(User.id)))


def _worker_form(world, **fields):
    return {"username": "wang.xm", "display_name": "王小明", "role": "grid_worker",
            "email": "wxm@example.invalid", "phone": "13800000000",
            "grids": [str(_grid(world, f"{TOWN1}003")), str(_grid(world, f"{TOWN1}004"))],
            **fields}


def _login(world, username, password):
    client = world.test_client()
    answer = client.post("/login", data={"username": username, "password": password})
    return client, answer


def test_a_new_user_from_the_form_logs_in_changes_the_password_and_is_deactivated(
        world, login_as, client):
    admin = login_as("admin")
    page = admin.get("/admin/users/new").get_data(as_text=True)
    assert "新建用户" in page and "负责的网格" in page
    made = admin.post("/admin/users/new", data=_worker_form(world))
    assert made.status_code == 201
    text = made.get_data(as_text=True)
    password = re.search(r'<p class="temp-password"><code>([^<]+)</code>', text).group(1)
    assert "临时密码（只显示这一次）" in text
    user = _user(world, "wang.xm")
    assert user.role == "grid_worker" and user.region_id == _town(world)
    assert user.must_change_password and user.email == "wxm@example.invalid"
    with world.app_context():
        assert {m.grid.code for m in db.session.scalars(select(GridMember).where(
            GridMember.user_id == user.id))} == {f"{TOWN1}003", f"{TOWN1}004"}
    [entry] = _audit(world, kind="user", target="wang.xm")
    assert entry[2:4] == ("create", "admin")
    assert entry[5]["grids"] == [f"{TOWN1}003", f"{TOWN1}004"] and entry[5]["role"] == "grid_worker"

    # first login: the password page before anything else; the API refuses a token
    worker, answer = _login(world, "wang.xm", password)
    assert answer.status_code == 302
    assert worker.get("/events").headers["Location"].endswith("/account/password")
    refused = client.post("/api/v1/tokens", json={"username": "wang.xm", "password": password})
    assert refused.status_code == 403 and "请先登录网页修改密码" in refused.get_json()["message"]
    wrong = worker.post("/account/password", data={"current": password, "new": "short",
                                                   "again": "short"})
    assert wrong.status_code == 422 and "新密码至少 8 位" in wrong.get_data(as_text=True)
    changed = worker.post("/account/password", data={"current": password,
                                                     "new": "my-own-pass-1",
                                                     "again": "my-own-pass-1"})
    assert changed.status_code == 303
    assert worker.get("/events").status_code == 200  # the same session goes on
    token = client.post("/api/v1/tokens", json={"username": "wang.xm",
                                                "password": "my-own-pass-1"})
    assert token.status_code == 201
    bearer = {"Authorization": f"Bearer {token.get_json()['token']}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 200

    # deactivated: the session, the token and the next login all fail; the name stays
    off = admin.post(f"/admin/users/{user.id}/enabled", data={"enabled": "0"},
                     follow_redirects=True)
    assert "已停用 王小明" in off.get_data(as_text=True)
    assert worker.get("/events").status_code == 302  # back to the login page
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    assert _login(world, "wang.xm", "my-own-pass-1")[1].status_code == 401
    assert client.post("/api/v1/tokens", json={"username": "wang.xm",
                                               "password": "my-own-pass-1"}).status_code == 401
    assert _user(world, "wang.xm").display_name == "王小明"  # never deleted
    listed = admin.get("/admin/users?disabled=1&q=wang").get_data(as_text=True)
    assert "王小明" in listed and "已停用" in listed
    assert "王小明" not in admin.get("/admin/users?q=wang").get_data(as_text=True)
    assert [e[2] for e in _audit(world, target="wang.xm")] == ["create", "deactivate"]


def test_a_reset_password_is_shown_once_and_ends_sessions_and_tokens(world, login_as, client,
                                                                   token_for):
    worker = login_as("worker")
    bearer = {"Authorization": f"Bearer {token_for('worker')}"}
    admin = login_as("admin")
    user = _user(world, "worker")
    reset = admin.post(f"/admin/users/{user.id}/password")
    assert reset.status_code == 200
    password = re.search(r'<p class="temp-password"><code>([^<]+)</code>',
                         reset.get_data(as_text=True)).group(1)
    assert worker.get("/events").status_code == 302
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    with world.app_context():
        assert not db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert _login(world, "worker", DEMO_PASSWORD)[1].status_code == 401
    again, answer = _login(world, "worker", password)
    assert answer.status_code == 302
    assert "管理员重置" in again.get("/account/password").get_data(as_text=True)
    assert again.get("/field/").headers["Location"].endswith("/account/password")
    [entry] = _audit(world, action="reset_password")
    assert entry[1] == "worker" and password not in str(entry)  # the log keeps no password


#: each way the user form goes wrong, the field it names and the message beside it
BAD_USER_FORMS = [
    ({"display_name": ""}, "display_name", "请填写姓名"),
    ({"username": "王小明"}, "username", "用户名只能用英文字母、数字和 . _ -"),
    ({"username": "worker"}, "username", "用户名 worker 已存在"),
    ({"grids": []}, "grids", "网格员至少要负责一个网格"),
    ({"email": "not-an-address"}, "email", "邮箱格式不对"),
    ({"password": "short"}, "password", "密码至少 8 位"),
    ({"role": "handler"}, "department", "处置人员须指定所属部门"),
    ({"role": "supervisor"}, "region", "督办领导须指定督办的区划"),
]


def test_a_bad_user_form_is_refused_beside_the_field_and_saves_nothing(world, login_as):
    admin = login_as("admin")
    before = _count_users(world)
    for change, field, message in BAD_USER_FORMS:
        answer = admin.post("/admin/users/new", data=_worker_form(world, **change))
        assert answer.status_code == 422, field
        page = answer.get_data(as_text=True)
        assert f'<span class="field-error" role="alert">{message}</span>' in page, field
        assert 'value="王小明"' in page or change.get("display_name") == ""  # typed text stays
        assert _count_users(world) == before
    assert not _audit(world, kind="user")


def test_grids_of_two_towns_and_a_second_grid_leader_are_refused(world, login_as):
    admin = login_as("admin")
    with world.app_context():
        other = db.session.scalar(select(Grid.id).where(Grid.town_id != _town(world)))
    mixed = admin.post("/admin/users/new", data=_worker_form(
        world, grids=[str(_grid(world, f"{TOWN1}003")), str(other)]))
    assert mixed.status_code == 422 and "网格员的网格须在同一个镇" in mixed.get_data(as_text=True)
    grid = str(_grid(world, f"{TOWN1}003"))
    assert admin.post("/admin/users/new", data=_worker_form(
        world, grids=[grid], leads=[grid])).status_code == 201
    second = admin.post("/admin/users/new", data=_worker_form(
        world, username="li.si", display_name="李四", grids=[grid], leads=[grid]))
    assert second.status_code == 422
    assert "已有网格长 王小明：一个网格只有一位网格长" in second.get_data(as_text=True)


def test_two_admins_editing_the_same_user_cannot_overwrite_each_other(world, login_as):
    user = _user(world, "worker")
    first, second = login_as("admin"), login_as("admin")
    form = re.search(r'name="version" value="(\d+)"',
                     first.get(f"/admin/users/{user.id}").get_data(as_text=True)).group(1)
    grids = [str(m.grid_id) for m in user.memberships]
    base = {"display_name": user.display_name, "role": "grid_worker", "grids": grids,
            "version": form}
    assert first.post(f"/admin/users/{user.id}", data={**base, "phone": "13900000001"}
                      ).status_code == 303
    late = second.post(f"/admin/users/{user.id}", data={**base, "phone": "13900000002"})
    assert late.status_code == 409
    assert "已被他人修改：请查看最新内容后再保存" in late.get_data(as_text=True)
    assert _user(world, "worker").phone == "13900000001"
    updates = [e for e in _audit(world, target="worker") if e[2] == "update"]
    assert len(updates) == 1 and updates[0][4] == {"phone": None}
    assert updates[0][5] == {"phone": "13900000001"}


def test_a_dispatcher_manages_the_workers_and_handlers_of_their_town_only(world, login_as):
    dispatcher = login_as("dispatcher")
    listed = dispatcher.get("/admin/users").get_data(as_text=True)
    assert "worker" in listed and "dispatcher2" not in listed and "系统管理员" not in listed
    with world.app_context():
        other = db.session.scalar(select(User.id).where(
            User.role == "grid_worker", User.region_id != _town(world)))
        admin_id = db.session.scalar(select(User.id).where(User.username == "admin"))
    assert dispatcher.get(f"/admin/users/{other}").status_code == 403
    assert dispatcher.get(f"/admin/users/{admin_id}").status_code == 403
    assert dispatcher.post(f"/admin/users/{other}/password").status_code == 403
    assert dispatcher.post(f"/admin/users/{other}/enabled", data={"enabled": "0"}
                           ).status_code == 403
    promoted = dispatcher.post("/admin/users/new", data=_worker_form(world, role="admin"))
    assert promoted.status_code == 422 and _user(world, "wang.xm") is None
    made = dispatcher.post("/admin/users/new", data=_worker_form(world))
    assert made.status_code == 201 and _user(world, "wang.xm").region_id == _town(world)


@pytest.mark.parametrize("username, allowed", [
    ("grid_worker", False), ("handler", False), ("supervisor", False), ("dispatcher", True),
    ("admin", True)])
def test_who_may_open_the_admin_pages(world, login_as, username, allowed):
    login = "worker" if username == "grid_worker" else username
    client = login_as(login)
    admin_only = ["/admin/departments", "/admin/departments/new", "/admin/audit",
                  "/admin/audit.csv", "/admin/audit.xlsx", "/admin/calendar",
                  "/admin/open311-keys", "/admin/logins", "/dashboard/weights",
                  "/admin/categories", "/admin/categories.csv", "/admin/routing",
                  "/admin/regions"]
    shared = ["/admin", "/admin/users", "/admin/users/new", "/admin/users/import",
              "/admin/users/import-template.csv", "/admin/grids/import",
              "/admin/grids/220221101000.geojson"]
    for path in shared:
        assert client.get(path).status_code == (200 if allowed else 403), path
    for path in admin_only:
        assert client.get(path).status_code == (200 if username == "admin" else 403), path
    user = _user(world, "handler")
    for path in (f"/admin/users/{user.id}/password", f"/admin/users/{user.id}/enabled"):
        if not allowed:
            assert client.post(path).status_code == 403, path
    department = user.department_id
    assert client.post(f"/admin/departments/{department}", data={}).status_code == (
        422 if username == "admin" else 403)
    assert client.post("/admin/users/new", data={}).status_code == (422 if allowed else 403)
    assert client.post("/admin/users/import", data={}).status_code == (422 if allowed else 403)
    assert client.post("/admin/grids/import", data={"town": "220221101000"}).status_code == (
        422 if allowed else 403)
    for path in ("/admin/categories/import", "/admin/routing", "/admin/regions/1/children"):
        assert client.post(path, data={}).status_code in (
            (303, 404, 422) if username == "admin" else (403,)), path


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for path in ("/admin", "/admin/users", "/admin/audit", "/admin/departments", "/grids"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"], path


def test_the_menu_leads_admins_and_dispatchers_to_administration(world, login_as):
    for username in ("admin", "dispatcher"):
        home = login_as(username).get("/events").get_data(as_text=True)
        assert 'href="/admin">系统管理</a>' in home, username
    page = login_as("admin").get("/admin").get_data(as_text=True)
    for name in ("用户", "责任单位", "网格与二维码", "工作日历", "审计日志", "Open311 密钥", "登录锁定",
                 "评分权重"):
        assert name in page
    worker = login_as("worker").get("/events").get_data(as_text=True)
    assert "系统管理" not in worker and 'href="/grids">网格</a>' in worker
    grids = login_as("worker").get("/grids").get_data(as_text=True)
    assert "清河镇第1网格" in grids and "清河镇第2网格" not in grids
    every = login_as("admin").get("/grids").get_data(as_text=True)
    assert every.count('class="card grid-town"') == 2
