"""区划 on pages (issue 12): add a town under the county and a village under it (codes
checked), a town's demonstration level and year, its working periods — which move the
deadlines of the cases in hand; every change audited; admins only."""
import re

from sqlalchemy import select

from audit.models import AuditEntry
from core.extensions import db
from events.models import Event
from grid.models import Region

COUNTY = "220221000000"
TOWN = "220221101000"


def _version(client, region_id):
    page = client.get(f"/admin/regions/{region_id}").get_data(as_text=True)
    return re.search(r'name="version" value="([0-9a-f]+)"', page).group(1)


def _region(world, code):
    with world.app_context():
        region = db.session.scalar(select(Region).where(Region.code == code))
        if region is not None:
            db.session.expunge(region)
        return region


#: each bad code for a new town, and the message beside the field
BAD_TOWN_CODES = [
    ("22022110", "区划代码须为 12 位数字"),
    ("220299103000", "代码须以上级区划代码的前 6 位 220221 开头"),
    ("220221103001", "乡镇代码的后 3 位须为 000"),
    (TOWN, "区划代码 220221101000 已存在"),
]


def test_a_bad_town_code_is_refused_beside_the_field(world, login_as):
    admin = login_as("admin")
    county = _region(world, COUNTY)
    for code, message in BAD_TOWN_CODES:
        answer = admin.post(f"/admin/regions/{county.id}/children", data={"code": code,
                                                                           "name": "新镇"})
        assert answer.status_code == 422, code
        assert f'<span class="field-error" role="alert">{message}</span>' in answer.get_data(
            as_text=True)
    with world.app_context():
        assert db.session.scalar(select(Region).where(Region.name == "新镇")) is None


def test_an_admin_adds_a_town_and_a_village_and_names_it_a_demonstration_town(world,
                                                                             login_as):
    admin = login_as("admin")
    county = _region(world, COUNTY)
    tree = admin.get("/admin/regions").get_data(as_text=True)
    assert "永吉县" in tree and "清河镇" in tree and "新增乡镇（街道）" in tree
    made = admin.post(f"/admin/regions/{county.id}/children",
                      data={"code": "220221103000", "name": "双河镇"})
    assert made.status_code == 303
    town = _region(world, "220221103000")
    assert (town.level, town.parent_id, town.path) == ("town", county.id,
                                                      f"{county.path}220221103000/")
    assert town.case_prefix == "双河"
    village = admin.post(f"/admin/regions/{town.id}/children",
                         data={"code": "220221103001", "name": "东风村"})
    assert village.status_code == 303 and _region(world, "220221103001").level == "village"
    # the demonstration mark is the registry's (/programme, with its 文号): the form shows
    # it and sends nothing that changes it
    form = admin.get(f"/admin/regions/{town.id}").get_data(as_text=True)
    assert "不是示范镇" in form and 'href="/programme"' in form and 'name="demo_level"' not in form
    saved = admin.post(f"/admin/regions/{town.id}", data={
        "name": "双河镇", "demo_level": "市级", "demo_year": "2026",
        "work_periods": "08:00-12:00", "version": _version(admin, town.id)},
        follow_redirects=True)
    assert "已保存 双河镇" in saved.get_data(as_text=True)
    assert _region(world, "220221103000").demo_level is None
    tree = admin.get("/admin/regions").get_data(as_text=True)
    assert "市级示范镇" not in tree.split("双河镇")[1][:200] and "东风村" in tree
    with world.app_context():
        actions = db.session.execute(select(AuditEntry.target, AuditEntry.action).where(
            AuditEntry.kind == "region").order_by(AuditEntry.id)).all()
    assert [tuple(a) for a in actions] == [("220221103000", "create"),
                                           ("220221103001", "create"),
                                           ("220221103000", "update")]


def test_new_working_periods_move_the_deadlines_of_cases_in_hand(world, login_as, report,
                                                                 api):
    case = report("worker")
    assert api("dispatcher").act(case["id"], "dispatch").status_code == 200
    assert api("handler").act(case["id"], "accept").status_code == 200
    with world.app_context():
        before = db.session.get(Event, case["id"]).due_at
    admin = login_as("admin")
    town = _region(world, TOWN)
    bad = admin.post(f"/admin/regions/{town.id}", data={"name": town.name,
                                                       "work_periods": "12:00-08:00"})
    assert bad.status_code == 422 and "各时段不能重叠" in bad.get_data(as_text=True)
    opened = _version(admin, town.id)
    saved = admin.post(f"/admin/regions/{town.id}", data={
        "name": town.name, "version": opened,
        "work_periods": "08:00-10:00，14:00-15:00"},
        follow_redirects=True)
    assert "按新工作时段重算期限 1 件" in saved.get_data(as_text=True)
    assert _region(world, TOWN).work_periods == ["08:00-10:00", "14:00-15:00"]
    with world.app_context():
        assert db.session.get(Event, case["id"]).due_at > before  # fewer hours a day: later
    # a second admin's form, opened before that save, is refused and changes nothing
    late = login_as("admin").post(f"/admin/regions/{town.id}", data={
        "name": "改了名的镇", "version": opened, "work_periods": ""})
    assert late.status_code == 409 and "已被他人修改" in late.get_data(as_text=True)
    assert _region(world, TOWN).name == town.name


def test_only_admins_manage_regions(world, login_as):
    town = _region(world, TOWN)
    for username in ("dispatcher", "supervisor", "worker"):
        client = login_as(username)
        assert client.get("/admin/regions").status_code == 403
        assert client.post(f"/admin/regions/{town.id}", data={"name": "x"}).status_code == 403
