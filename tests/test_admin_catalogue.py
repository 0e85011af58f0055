"""Administration (issue 12): 事项类别 and 责任清单 on pages — an edited limit reaches only
stages that start afterwards, the catalogue goes out and back in as CSV (a bad row saves
nothing), and a routing change sends the next dispatch elsewhere; each change audited."""
import re

from sqlalchemy import select

from audit.models import AuditEntry
from core.extensions import db
from events.models import Category, Department, Event, RoutingRule
from grid.models import Region


def _category(world, code="06010"):
    with world.app_context():
        category = db.session.scalar(select(Category).where(Category.code == code))
        db.session.expunge(category)
        return category


def _form(category, **change):
    form = {"name": category.name, "default_department": category.default_department,
            "urgency": category.urgency, "limit_value": f"{category.limit_value:g}",
            "limit_unit": category.limit_unit, "verify_limit_min": category.verify_limit_min,
            "dispatch_limit_min": category.dispatch_limit_min,
            "accept_limit_min": category.accept_limit_min,
            "check_limit_min": category.check_limit_min,
            "filing_criteria": category.filing_criteria,
            "closing_criteria": category.closing_criteria, "verifier": category.verifier,
            "is_active": "1", "version": str(category.version)}
    form.update(change)
    return {k: str(v) for k, v in form.items() if v is not None}


def _limit(world, event_id):
    with world.app_context():
        return db.session.get(Event, event_id).clock_limit_min


def test_an_edited_handling_limit_applies_to_stages_that_start_afterwards(
        world, login_as, report, api):
    before = report("worker")  # 06010 暴露垃圾: 4 工作时 to handle
    assert api("dispatcher").act(before["id"], "dispatch").status_code == 200
    assert api("handler").act(before["id"], "accept").status_code == 200
    assert _limit(world, before["id"]) == 240
    category = _category(world)
    admin = login_as("admin")
    page = admin.get(f"/admin/categories/{category.id}").get_data(as_text=True)
    assert "修改只用于之后开始的环节" in page and "实施方案第 14 项" in page
    saved = admin.post(f"/admin/categories/{category.id}",
                       data=_form(category, limit_value="2", limit_unit="wh"),
                       follow_redirects=True)
    assert "新的时限只用于之后开始的环节" in saved.get_data(as_text=True)
    assert _limit(world, before["id"]) == 240  # the stage already running keeps its limit
    after = report("worker")
    assert api("dispatcher").act(after["id"], "dispatch").status_code == 200
    assert api("handler").act(after["id"], "accept").status_code == 200
    assert _limit(world, after["id"]) == 120
    with world.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.kind == "category"))
        assert (entry.target, entry.before, entry.after) == (
            "06010", {"limit_value": 4.0}, {"limit_value": 2.0})


#: each way the category form goes wrong, the field and the message beside it
BAD_CATEGORY_FORMS = [
    ({"name": ""}, "name", "须为 1–64 个字符"),
    ({"limit_value": "0"}, "limit_value", "处置时限须为 0.1–1000 的数"),
    ({"limit_value": "abc"}, "limit_value", "处置时限须为 0.1–1000 的数"),
    ({"limit_unit": "days"}, "limit_unit", "时限单位须为 工作时、工作日 或 小时"),
    ({"urgency": "很急"}, "urgency", "紧急程度须为 一般、紧急 或 分阶段"),
    ({"check_limit_min": "-5"}, "check_limit_min", "须为 1–86400 的整数（分钟）"),
    ({"filing_criteria": "长" * 501}, "filing_criteria", "最多 500 个字符"),
]


def test_a_bad_category_form_is_refused_and_changes_nothing(world, login_as):
    category = _category(world)
    admin = login_as("admin")
    for change, field, message in BAD_CATEGORY_FORMS:
        answer = admin.post(f"/admin/categories/{category.id}", data=_form(category, **change))
        assert answer.status_code == 422, field
        assert f'<span class="field-error" role="alert">{message}</span>' in answer.get_data(
            as_text=True), field
        after = _category(world)
        assert (after.name, after.limit_value, after.version) == (
            category.name, category.limit_value, category.version)


def test_a_stopped_category_cannot_be_reported_and_a_stale_form_is_refused(
        world, login_as, api):
    category = _category(world, "06042")
    admin = login_as("admin")
    assert admin.post(f"/admin/categories/{category.id}",
                      data=_form(category, is_active=None)).status_code == 303
    refused = api("worker").post("/api/v1/events", json={
        "category_code": "06042", "lat": 43.603, "lon": 126.485, "description": "满了"})
    assert refused.status_code == 422
    stale = admin.post(f"/admin/categories/{category.id}", data=_form(category, name="别的"))
    assert stale.status_code == 409 and _category(world, "06042").name == category.name


def test_the_catalogue_goes_out_and_back_in_as_csv(world, login_as):
    admin = login_as("admin")
    exported = admin.get("/admin/categories.csv")
    assert exported.status_code == 200 and exported.data.startswith("\ufeff".encode())
    text = exported.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("code,name,major_code")
    with world.app_context():
        count = len(db.session.scalars(select(Category)).all())
    assert len(text.strip().splitlines()) == count + 1
    # unchanged back in: nothing changes; one edited row and one new row: both land
    same = admin.post("/admin/categories/import", data={"file": (_bytes(text), "c.csv")},
                      follow_redirects=True)
    assert "新增 0 个，修改 0 个" in same.get_data(as_text=True)
    edited = text.replace(",暴露垃圾,", ",暴露垃圾（含建筑垃圾）,", 1) + \
        "98001,村内道路坑洼,98,乡村设施,一般,3,wd,交通管理站,,坑深 5 厘米以上,修补平整,,,,,,1,0\n"
    done = admin.post("/admin/categories/import", data={"file": (_bytes(edited), "c.csv")},
                      follow_redirects=True)
    assert "新增 1 个，修改 1 个" in done.get_data(as_text=True)
    assert _category(world).name == "暴露垃圾（含建筑垃圾）"
    new = _category(world, "98001")
    assert (new.major_name, new.limit_value, new.limit_unit, new.verify_limit_min) == (
        "乡村设施", 3.0, "wd", 120)  # stage limits left empty: the urgency's defaults
    with world.app_context():
        actions = db.session.execute(select(AuditEntry.action, AuditEntry.target).where(
            AuditEntry.kind == "category").order_by(AuditEntry.id)).all()
    assert [tuple(a) for a in actions] == [("update", "06010"), ("create", "98001")]


def test_a_bad_catalogue_row_saves_nothing_and_names_the_line(world, login_as):
    admin = login_as("admin")
    text = admin.get("/admin/categories.csv").data.decode("utf-8-sig")
    lines = text.splitlines()
    renamed = next(i for i, line in enumerate(lines) if line.startswith("06042,"))
    lines[renamed] = lines[renamed].replace(",垃圾箱（站）满溢,", ",满溢改名,", 1)
    broken = next(i for i, line in enumerate(lines) if line.startswith("06010,"))
    lines[broken] = re.sub(r",一般,\d+(\.\d+)?,", ",一般,-2,", lines[broken], count=1)
    lines.append(lines[renamed + 1])  # a code twice
    answer = admin.post("/admin/categories/import",
                        data={"file": (_bytes("\n".join(lines)), "c.csv")})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert "没有导入" in page and f"第 {broken + 1} 行：06010：处置时限须为 0.1–1000 的数" in page
    assert f"第 {len(lines)} 行" in page and "重复" in page
    assert _category(world, "06042").name == "垃圾箱（站）满溢"  # the good row: not saved either
    for body, message in ((b"", "请选择要导入的 CSV 文件"), (b"\xff\xfe\x00bad", "UTF-8"),
                          (b"a,b\n1,2\n", "缺少列")):
        refused = admin.post("/admin/categories/import", data={"file": (_bytes(body), "c.csv")})
        assert refused.status_code == 422 and message in refused.get_data(as_text=True)


def _bytes(text):
    import io
    return io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text)


def test_a_routing_change_sends_the_next_dispatch_to_the_new_department(
        world, login_as, report, api):
    with world.app_context():
        town = db.session.scalar(select(Region).where(Region.code == "220221101000"))
        category = db.session.scalar(select(Category).where(Category.code == "06010"))
        other = db.session.scalar(select(Department).where(
            Department.region_id == town.id, Department.code.like("%-ZF")))
        town_id, category_id, other_id, other_code = town.id, category.id, other.id, other.code
    admin = login_as("admin")
    page = admin.get(f"/admin/routing?town={town_id}").get_data(as_text=True)
    assert "第 14 项" in page and "省住房城乡建设厅" in page  # the plan's item beside it
    first = report("worker")
    assert api("dispatcher").act(first["id"], "dispatch").status_code == 200
    saved = admin.post("/admin/routing", data={"town": str(town_id),
                                               f"c{category_id}": str(other_id)},
                       follow_redirects=True)
    assert "修改 1 项" in saved.get_data(as_text=True)
    second = report("worker")
    assert api("dispatcher").act(second["id"], "dispatch").status_code == 200
    with world.app_context():
        departments = [db.session.get(Event, e["id"]).department.code for e in (first, second)]
        rule = db.session.scalar(select(RoutingRule).where(
            RoutingRule.category_id == category_id, RoutingRule.region_id == town_id))
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.kind == "routing"))
    assert departments == ["220221101000-HW", other_code] and rule.department_id == other_id
    assert entry.before == {"department": "220221101000-HW"}
    assert entry.after == {"department": other_code}
    # a department of another town is not accepted for this town's rule
    with world.app_context():
        foreign = db.session.scalar(select(Department.id).where(Department.region_id != town_id))
    admin.post("/admin/routing", data={"town": str(town_id), f"c{category_id}": str(foreign)})
    with world.app_context():
        assert db.session.scalar(select(RoutingRule.department_id).where(
            RoutingRule.category_id == category_id, RoutingRule.region_id == town_id)) == other_id


def test_a_routing_form_opened_before_another_admins_save_is_refused(world, login_as):
    with world.app_context():
        town = db.session.scalar(select(Region).where(Region.code == "220221101000"))
        category = db.session.scalar(select(Category).where(Category.code == "06010"))
        departments = db.session.scalars(select(Department).where(
            Department.region_id == town.id).order_by(Department.code)).all()
        rule = db.session.scalar(select(RoutingRule).where(
            RoutingRule.category_id == category.id, RoutingRule.region_id == town.id))
        town_id, category_id, shown = town.id, category.id, str(rule.department_id)
        first, second = (str(d.id) for d in departments[:2])
    one, two = login_as("admin"), login_as("admin")
    assert one.post("/admin/routing", data={"town": town_id, f"o{category_id}": shown,
                                            f"c{category_id}": first}).status_code == 303
    late = two.post("/admin/routing", data={"town": town_id, f"o{category_id}": shown,
                                            f"c{category_id}": second})
    assert late.status_code == 409
    assert "暴露垃圾 的派给部门已被他人修改" in late.get_data(as_text=True)
    with world.app_context():
        assert str(db.session.scalar(select(RoutingRule.department_id).where(
            RoutingRule.category_id == category_id, RoutingRule.region_id == town_id))) == first
