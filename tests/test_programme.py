"""示范镇名录 (issue 15, first part), on both engines: the registry with every decision's
history and 文号, the plan's quotas per city and county, the facts of a 申报 and its plan
file, who sees and who decides; the region's mark (which the rankings read) follows it."""
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.extensions import db
from grid.models import Region
from programme.models import AppendOnly, ProgrammeChange, ProgrammeTown
from tests.support import writing

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=CST)
COUNTY = "220221000000"
SHUANGHE = "220221103000"


@pytest.fixture
def shuanghe(world):
    """A third town of the demo county, not yet in the registry."""
    with writing(world):
        county = db.session.scalar(select(Region).where(Region.code == COUNTY))
        db.session.add(Region(code=SHUANGHE, name="双河镇", level="town", parent=county,
                              path=county.path + SHUANGHE + "/"))
    return SHUANGHE


def _registry(api, who="supervisor", **query):
    answer = api(who).get("/api/v1/programme/towns?" + "&".join(
        f"{k}={v}" for k, v in query.items()))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def test_the_demo_towns_are_in_the_registry_with_their_history(world, api, login_as):
    items = _registry(api)
    assert [(i["town_name"], i["level"], i["status"], i["designated_year"]) for i in items] == [
        ("清河镇", "省级", "building", 2024), ("柳湾镇", "市级", "building", 2025)]
    assert [i["town_name"] for i in _registry(api, level="city")] == ["柳湾镇"]
    assert items[0]["history"][0]["action"] == "create"
    # only supervisors and admins: the command centre and grid workers do not run it
    for username in ("dispatcher", "worker", "handler"):
        assert api(username).get("/api/v1/programme/towns").status_code == 403
        assert login_as(username).get("/programme").status_code == 403
    assert api("supervisor").get("/api/v1/programme/towns?level=national").status_code == 422


def test_the_quotas_name_what_is_short(world, login_as):
    page = login_as("admin").get("/programme").get_data(as_text=True)
    # 吉林市: one 省级 and one 市级 of the two each; 永吉县 without a 县级 town
    assert "全省省级" in page and '<strong class="late">1</strong>' in page
    assert '<span class="late">1 / 2</span>' in page
    assert '<span class="tag late">永吉县</span>' in page


def test_an_admin_lists_a_candidate_and_designates_it_with_a_document_number(
        world, api, login_as, freeze, shuanghe):
    freeze(NOW)
    admin = login_as("admin")
    listed = admin.post("/programme", data={
        "town_code": shuanghe, "level": "县级", "status": "candidate", "population": "23000",
        "area_km2": "86.5", "industry": "人参种植、乡村旅游"})
    assert listed.status_code == 303
    # designating needs its year and its 文号; nothing is written without them
    bare = admin.post(f"/programme/{shuanghe}/decide", data={
        "level": "县级", "status": "building", "designated_year": "2026", "version": "1"})
    assert bare.status_code == 422 and "请填写决定文号" in bare.get_data(as_text=True)
    designated = admin.post(f"/programme/{shuanghe}/decide", data={
        "level": "县级", "status": "building", "designated_year": "2026", "version": "1",
        "document_no": "永政〔2026〕8 号", "note": "县政府常务会议研究确定"})
    assert designated.status_code == 303
    stale = admin.post(f"/programme/{shuanghe}/decide", data={
        "level": "市级", "status": "building", "designated_year": "2026", "version": "1",
        "document_no": "x"})
    assert stale.status_code == 409
    with world.app_context():
        town = db.session.scalar(select(Region).where(Region.code == shuanghe))
        assert (town.demo_level, town.demo_year) == ("县级", 2026)  # the rankings' mark
    entry = next(i for i in _registry(api, level="county") if i["town_code"] == shuanghe)
    assert (entry["population"], entry["area_km2"]) == (23000, 86.5)
    assert [(h["action"], h["document_no"], h["after"].get("status")) for h in entry["history"]] == [
        ("create", "", "candidate"), ("status", "永政〔2026〕8 号", "building")]
    assert entry["history"][1]["before"] == {"status": "candidate", "designated_year": None}
    page = login_as("supervisor").get(f"/programme/{shuanghe}").get_data(as_text=True)
    assert "永政〔2026〕8 号" in page and "状态：候选；入选年份：— → 状态：在建；入选年份：2026" in page
    # the county now has its 县级 town
    assert '<span class="tag late">永吉县</span>' not in admin.get("/programme").get_data(
        as_text=True)


def test_an_eliminated_town_leaves_the_counts_and_keeps_its_history(world, api, login_as,
                                                                   freeze):
    freeze(NOW)
    admin = login_as("admin")
    answer = admin.post("/programme/220221102000/decide", data={
        "level": "市级", "status": "eliminated", "designated_year": "2025", "version": "1",
        "document_no": "吉市住建〔2026〕30 号"})
    assert answer.status_code == 303
    with world.app_context():
        assert db.session.scalar(select(Region.demo_level).where(
            Region.code == "220221102000")) is None
    entry = next(i for i in _registry(api) if i["town_code"] == "220221102000")
    assert entry["status"] == "eliminated" and len(entry["history"]) == 2
    assert '<span class="late">0 / 2</span>' in admin.get("/programme").get_data(as_text=True)
    with writing(world):
        change = db.session.scalar(select(ProgrammeChange).limit(1))
        change.note = "改写"
        with pytest.raises(AppendOnly):
            db.session.flush()
        db.session.rollback()


def test_only_admins_decide_and_the_plan_file_must_be_a_pdf(world, login_as, freeze):
    freeze(NOW)
    supervisor = login_as("supervisor")
    assert supervisor.post("/programme/220221101000/decide", data={
        "level": "省级", "status": "eliminated"}).status_code == 403
    admin = login_as("admin")
    not_pdf = admin.post("/programme/220221101000/plan",
                         data={"plan": (io.BytesIO(b"GIF89a..."), "plan.pdf")},
                         content_type="multipart/form-data")
    assert not_pdf.status_code == 422 and "须为 PDF" in not_pdf.get_data(as_text=True)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    sent = admin.post("/programme/220221101000/plan",
                      data={"plan": (io.BytesIO(pdf), "清河镇十四五规划.pdf")},
                      content_type="multipart/form-data")
    assert sent.status_code == 303
    got = supervisor.get("/programme/220221101000/plan.pdf")
    assert got.status_code == 200 and got.data == pdf
    assert "清河镇十四五规划.pdf" in supervisor.get("/programme/220221101000").get_data(
        as_text=True)
    with world.app_context():
        entry = db.session.scalar(select(ProgrammeTown).join(Region).where(
            Region.code == "220221101000"))
        assert [c.action for c in entry.changes] == ["create", "plan"]
