"""Bulk user import (issue 12): an Excel or CSV sheet, every row checked as the user form
checks one; a bad row creates nobody and the report names the row and the field; a good
sheet creates everyone with a one-time password each, audited."""
import io
import re

from openpyxl import Workbook
from sqlalchemy import func, select

from audit.models import AuditEntry
from auth.models import User
from core.extensions import db
from grid.models import GridMember

HEADER = ["用户名", "姓名", "角色", "镇", "网格", "网格长", "部门", "部门负责人", "督办区划", "邮箱", "手机"]
GOOD = [["zhang.wei", "张伟", "网格员", "清河镇", "清河镇第3网格、220221101000004", "清河镇第3网格",
         "", "", "", "", "13800000001"],
        ["li.na", "李娜", "处置人员", "清河镇", "", "", "环卫所", "是", "", "ln@example.invalid", ""],
        ["wang.qiang", "王强", "督办领导", "", "", "", "", "", "永吉县", "", ""]]


def _xlsx(rows):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv(rows):
    return ("\ufeff" + "\n".join(",".join(row) for row in rows) + "\n").encode()


def _upload(client, data, name):
    return client.post("/admin/users/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _users(world):
    with world.app_context():
        return db.session.scalar(select(func.count(User.id)))


def test_a_good_excel_sheet_creates_everyone_with_a_one_time_password(world, login_as):
    admin = login_as("admin")
    assert "批量导入" in admin.get("/admin/users").get_data(as_text=True)
    template = admin.get("/admin/users/import-template.csv").data.decode("utf-8-sig")
    assert template.splitlines()[0] == ",".join(HEADER)
    answer = _upload(admin, _xlsx([HEADER] + GOOD), "staff.xlsx")
    assert answer.status_code == 201
    page = answer.get_data(as_text=True)
    assert "已创建 3 个用户" in page
    passwords = re.findall(r"<td>(zhang\.wei|li\.na|wang\.qiang)</td><td>[^<]+</td><td><code>([^<]+)</code>", page)
    assert len(passwords) == 3
    with world.app_context():
        zhang = db.session.scalar(select(User).where(User.username == "zhang.wei"))
        grids = {(m.grid.code, m.grid_role) for m in db.session.scalars(
            select(GridMember).where(GridMember.user_id == zhang.id))}
        assert grids == {("220221101000003", "leader"), ("220221101000004", "worker")}
        li = db.session.scalar(select(User).where(User.username == "li.na"))
        assert li.department.code == "220221101000-HW" and li.is_department_head
        wang = db.session.scalar(select(User).where(User.username == "wang.qiang"))
        assert wang.role == "supervisor" and wang.region.code == "220221000000"
        assert all(u.must_change_password for u in (zhang, li, wang))
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.kind == "user", AuditEntry.action == "create")) == 3
    for username, password in passwords:
        client = world.test_client()
        assert client.post("/login", data={"username": username,
                                           "password": password}).status_code == 302


def test_a_bad_row_creates_nobody_and_the_report_names_row_and_field(world, login_as):
    admin = login_as("admin")
    before = _users(world)
    rows = [HEADER] + GOOD + [
        ["zhao.liu", "", "网格员", "清河镇", "清河镇第5网格", "", "", "", "", "", ""],
        ["qian.qi", "钱七", "网格员", "清河镇", "清河镇第99网格", "", "", "", "", "", ""],
        ["zhang.wei", "另一个张伟", "网格员", "清河镇", "清河镇第6网格", "", "", "", "", "", ""],
        ["sun.ba", "孙八", "厨师", "清河镇", "", "", "", "", "", "", ""],
        ["zhou.jiu", "周九", "网格员", "清河镇", "清河镇第3网格", "清河镇第3网格", "", "", "", "", ""],
    ]
    answer = _upload(admin, _csv(rows), "staff.csv")
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "没有导入" in page
    for expected in ("第 5 行：姓名：请填写姓名", "第 6 行：网格：没有名为（或代码为）清河镇第99网格 的网格",
                     "第 7 行：用户名：用户名 zhang.wei 与第 2 行重复", "第 8 行：角色：请选择角色",
                     "第 9 行：网格长：清河镇第3网格 的网格长与第 2 行重复"):
        assert expected in page, expected
    assert _users(world) == before


def test_unreadable_sheets_are_refused_with_a_message(world, login_as):
    admin = login_as("admin")
    for data, name, message in ((b"", "x.csv", "请选择要导入的 Excel 或 CSV 文件"),
                                (b"not a workbook", "x.xlsx", "无法读取这个 Excel 文件"),
                                (b"\xff\xfe\x00", "x.csv", "UTF-8"),
                                (_csv([["a", "b"], ["1", "2"]]), "x.csv", "第一行须为表头")):
        answer = _upload(admin, data, name)
        assert answer.status_code == 422 and message in answer.get_data(as_text=True), name


def test_a_dispatchers_sheet_stays_within_their_town_and_roles(world, login_as):
    dispatcher = login_as("dispatcher")
    rows = [HEADER, GOOD[0], ["boss", "老板", "系统管理员", "", "", "", "", "", "", "", ""],
            ["far", "远方", "网格员", "柳湾镇", "柳湾镇第1网格", "", "", "", "", "", ""]]
    page = _upload(dispatcher, _csv(rows), "staff.csv").get_data(as_text=True)
    assert "第 3 行：角色：请选择角色" in page
    assert "第 4 行：镇：没有名为（或代码为）柳湾镇 的镇" in page
    assert login_as("worker").get("/admin/users/import").status_code == 403
