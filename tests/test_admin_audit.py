"""Administration (issue 12): departments and their heads on pages, and the append-only audit
log of every admin change — filtered, exported, never altered."""
import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text, update

from audit.models import AppendOnly, AuditEntry
from auth.models import User
from core.extensions import db
from events.models import Department
from grid.models import Region
from tests.support import writing


def _department(world, code):
    with world.app_context():
        department = db.session.scalar(select(Department).where(Department.code == code))
        db.session.expunge(department)
        return department


def _head(world, department_id):
    with world.app_context():
        return db.session.scalars(select(User.username).where(
            User.department_id == department_id, User.is_department_head.is_(True))).all()


def _town_id(world):
    with world.app_context():
        return db.session.scalar(select(Region.id).where(Region.level == "town")
                                 .order_by(Region.code))


def test_an_admin_creates_a_department_and_names_its_head(world, login_as):
    admin = login_as("admin")
    made = admin.post("/admin/departments/new", data={"code": "QH-ZHZF", "name": "综合执法队",
                                                      "town": str(_town_id(world))})
    assert made.status_code == 303
    department = _department(world, "QH-ZHZF")
    assert department.name == "综合执法队" and department.is_active
    # a handler of the new department, then named its head
    with world.app_context():
        grid_less = {"username": "zhao.zf", "display_name": "赵执法", "role": "handler",
                     "department": str(department.id)}
    assert admin.post("/admin/users/new", data=grid_less).status_code == 201
    page = admin.get(f"/admin/departments/{department.id}").get_data(as_text=True)
    assert "赵执法（zhao.zf）" in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    with world.app_context():
        handler_id = db.session.scalar(select(User.id).where(User.username == "zhao.zf"))
    saved = admin.post(f"/admin/departments/{department.id}", data={
        "name": "综合行政执法队", "town": str(_town_id(world)), "head": str(handler_id),
        "is_active": "1", "version": version}, follow_redirects=True)
    assert "已保存 综合行政执法队" in saved.get_data(as_text=True)
    assert _head(world, department.id) == ["zhao.zf"]
    listing = admin.get("/admin/departments").get_data(as_text=True)
    assert "综合行政执法队" in listing and "赵执法" in listing
    late = admin.post(f"/admin/departments/{department.id}", data={
        "name": "别的名字", "town": str(_town_id(world)), "is_active": "1", "version": version})
    assert late.status_code == 409 and _department(world, "QH-ZHZF").name == "综合行政执法队"
    entries = admin.get("/admin/audit?kind=department").get_data(as_text=True)
    assert "新建责任单位 · QH-ZHZF" in entries and "修改责任单位 · QH-ZHZF" in entries
    assert "综合执法队" in entries and "zhao.zf" in entries


def test_a_deactivated_department_is_no_longer_offered_for_dispatch(world, login_as, api):
    department = _department(world, "220221101000-HW")
    admin = login_as("admin")
    page = admin.get(f"/admin/departments/{department.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert admin.post(f"/admin/departments/{department.id}", data={
        "name": department.name, "town": str(department.region_id), "version": version,
        "head": ""}).status_code == 303
    offered = api("dispatcher").get("/api/v1/departments").get_json()
    assert department.code not in {d["code"] for d in offered["items"]}
    assert _head(world, department.id) == []


#: each way the department form goes wrong, and the message beside the field
BAD_DEPARTMENT_FORMS = [
    ({"code": "", "name": "x"}, "代码须为 1–32 位英文字母、数字、- 或 _"),
    ({"code": "220221101000-HW", "name": "x"}, "代码 220221101000-HW 已被使用"),
    ({"code": "NEW", "name": ""}, "请填写部门名称"),
    ({"code": "NEW", "name": "x", "town": "999999"}, "请选择部门所在的镇"),
]


def test_a_bad_department_form_is_refused_and_saves_nothing(world, login_as):
    admin = login_as("admin")
    for form, message in BAD_DEPARTMENT_FORMS:
        answer = admin.post("/admin/departments/new", data={"town": str(_town_id(world)),
                                                            **form})
        assert answer.status_code == 422, message
        assert f'<span class="field-error" role="alert">{message}</span>' in answer.get_data(
            as_text=True)
    with world.app_context():
        assert not db.session.scalar(select(AuditEntry))
        assert not db.session.scalar(select(Department).where(Department.code == "NEW"))


def test_the_audit_log_cannot_be_altered_by_the_orm_or_by_sql(world, login_as):
    admin = login_as("admin")
    worker = _user_id(world, "worker")
    assert admin.post(f"/admin/users/{worker}/enabled", data={"enabled": "0"}).status_code == 303
    with pytest.raises(AppendOnly), writing(world):
        db.session.scalar(select(AuditEntry)).target = "someone-else"
        db.session.flush()
    with pytest.raises(AppendOnly), writing(world):
        db.session.delete(db.session.scalar(select(AuditEntry)))
        db.session.flush()
    for statement in (update(AuditEntry).values(target="x"), text("DELETE FROM audit_entry")):
        with pytest.raises(Exception, match="append-only"), writing(world):
            db.session.execute(statement)  # below the ORM: the engine's trigger refuses
    with world.app_context():
        assert db.session.scalar(select(AuditEntry.target)) == "worker"


def _user_id(world, username):
    with world.app_context():
        return db.session.scalar(select(User.id).where(User.username == username))


def test_the_audit_log_filters_and_exports_cell_by_cell(world, login_as):
    admin = login_as("admin")
    for username in ("worker", "handler"):
        assert admin.post(f"/admin/users/{_user_id(world, username)}/enabled",
                          data={"enabled": "0"}).status_code == 303
    assert admin.post(f"/admin/users/{_user_id(world, 'worker')}/enabled",
                      data={"enabled": "1"}).status_code == 303
    page = admin.get("/admin/audit?target=worker").get_data(as_text=True)
    assert page.count('<li class="card">') == 2 and "启用用户 · worker" in page
    assert "停用用户 · worker" in page and "handler" not in page
    assert "<td>启用</td><td>是</td><td>否</td>" in page  # the field and values in Chinese
    book = load_workbook(io.BytesIO(admin.get("/admin/audit.xlsx?kind=user").data))
    sheet = book.active
    assert [c.value for c in sheet[1]] == ["时间", "操作人", "对象类型", "对象", "操作", "修改前",
                                           "修改后", "IP"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [(r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows] == [
        ("admin", "用户", "worker", "启用", "启用=False", "启用=True"),
        ("admin", "用户", "handler", "停用", "启用=True", "启用=False"),
        ("admin", "用户", "worker", "停用", "启用=True", "启用=False")]
    assert sheet["A2"].number_format == "yyyy-mm-dd hh:mm" and sheet.freeze_panes == "A2"
    body = admin.get("/admin/audit.csv?actor=admin&from=2000-01-01&to=2100-01-01").data
    assert body.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert lines[0][0] == "时间" and len(lines) == 4
    assert admin.get("/admin/audit.csv?to=1999-12-31").data.decode("utf-8-sig").count("\n") == 1


def test_the_command_line_is_audited_too(world, runner):
    result = runner.invoke(args=["users", "create", "cli.user", "--role", "admin",
                                 "--name", "命令行建的"])
    assert result.exit_code == 0, result.output
    with world.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.target == "cli.user"))
        assert (entry.actor_name, entry.action, entry.actor_id) == ("命令行", "create", None)



def test_weights_open311_keys_and_lockouts_are_audited(world, login_as):
    admin = login_as("admin")
    from dashboard.metrics import RATES
    form = {"kind": "town", **{f"town-{m.key}": "0" for m in RATES}, "town-close_rate": "100"}
    assert admin.post("/dashboard/weights", data=form).status_code == 302
    made = admin.post("/admin/open311-keys", data={"name": "县融媒体中心"})
    key_text = made.get_data(as_text=True)
    with world.app_context():
        from portal.models import Open311Key
        key_id = db.session.scalar(select(Open311Key.id))
    assert admin.post("/admin/open311-keys", data={"revoke": str(key_id)}).status_code == 303
    assert admin.post("/admin/logins", data={"username": "worker"}).status_code == 303
    with world.app_context():
        rows = db.session.execute(select(AuditEntry.kind, AuditEntry.target, AuditEntry.action,
                                         AuditEntry.after).order_by(AuditEntry.id)).all()
    assert [tuple(r[:3]) for r in rows] == [
        ("weights", "示范镇", "update"), ("open311_key", "县融媒体中心", "create"),
        ("open311_key", "县融媒体中心", "deactivate"), ("login", "worker", "unlock")]
    assert rows[0].after == {"weights": {"close_rate": 100}}
    for row in rows:  # the key shown once on the page is in no entry
        keys = set(re.findall(r"<code>([^<]{20,})</code>", key_text))
        assert not any(k in str(tuple(row)) for k in keys)
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "修改评分权重 · 示范镇" in page and "新建Open311 密钥 · 县融媒体中心" in page
