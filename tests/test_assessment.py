"""年度考核 and 递补 (issue 15): three parts weighted into a score on hand-built data with
known answers, the plan's marks over two years, publishing under a 文号 (kept as published),
the 递补 action (histories kept, an audit entry, past rankings unchanged), who sees what —
on both engines."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from audit.models import AuditEntry
from core.extensions import db
from grid.models import Region
from programme import ledger, services
from programme.models import (Assessment, AssessmentRow, ProgrammeChange, ProgrammeTown,
                              ProgressLine, ProgressReport)
from tests.support import writing

CST = ZoneInfo("Asia/Shanghai")
QINGHE = "220221101000"
JANUARY = datetime(2027, 1, 15, 2, 0, tzinfo=timezone.utc)


def _assessment(api, who="admin", **query):
    answer = api(who).get("/api/v1/programme/assessment?" + "&".join(
        f"{k}={v}" for k, v in query.items()))
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def _registered(world, now):
    """The county's marked towns entered in the registry (as 在建, designated 2024)."""
    with writing(world):
        services.enter_marked_towns(now, "测试")


def test_construction_counts_the_years_milestones_as_they_stood_at_its_end(world, api, freeze):
    """清河镇's ledger: due in 2026 — A (weight 1) 100 %, B (weight 3) 20 %, C (weight 2)
    changed in January 2027 to 90 % but reported at 50 % for December; due in 2027 — D at 100 %
    (not this year's). 建设进度 = (100·1 + 20·3 + 50·2) / 6 = 43.3; no case, no duty: the
    score is that part alone."""
    freeze(datetime(2026, 12, 20, 2, 0, tzinfo=timezone.utc))
    with writing(world):
        entry = db.session.scalar(select(ProgrammeTown).join(Region).where(
            Region.code == QINGHE))
        project = ledger.add_project(entry, {"item": 4, "name": "供水管网改造",
                                             "responsible": "镇规划建设办"}, JANUARY)
        a, b, c, d = (ledger.add_milestone(project, {"name": name, "due_on": due, "weight": w})
                      for name, due, w in (("A", date(2026, 6, 30), 1),
                                           ("B", date(2026, 11, 30), 3),
                                           ("C", date(2026, 12, 31), 2),
                                           ("D", date(2027, 3, 31), 1)))
        december = datetime(2026, 12, 20, 2, 0, tzinfo=timezone.utc)
        for milestone, percent in ((a, 100), (b, 20), (c, 50), (d, 100)):
            ledger.set_progress(milestone, percent, None, december)
        report = ProgressReport(entry_id=entry.id, month=date(2026, 12, 1),
                                submitted_at=december, submitted_by_name="镇", revised=0)
        db.session.add(report)
        db.session.flush()
        db.session.add(ProgressLine(report_id=report.id, milestone_id=c.id, percent=50,
                                    spent=0))
        ledger.set_progress(c, 90, None, JANUARY)  # after the year's end
    freeze(JANUARY)
    got = _assessment(api, level="provincial", year=2026)
    qinghe = next(i for i in got["items"] if i["town_code"] == QINGHE)
    assert qinghe["parts"] == {"construction": 43.3, "governance": None, "duties": None}
    assert qinghe["score"] == 43.3 and qinghe["grade"] == "D" and qinghe["rank"] == 1
    assert got["published"] is None and got["weights"] == {
        "construction": 40, "governance": 40, "duties": 20}
    # 2027 counts D as well, each milestone as it stands now: (100 + 60 + 180 + 100) / 7
    assert next(i for i in _assessment(api, level="provincial", year=2027)["items"]
                if i["town_code"] == QINGHE)["parts"]["construction"] == 62.9


def test_parts_weigh_into_the_score_and_an_absent_part_leaves_it(world, county, api, freeze,
                                                                 login_as):
    """The county's towns have only cases: the score is the governance part (the rankings'
    综合指标值). Weights construction 0, governance 1, duties 3 change nothing for them."""
    freeze(JANUARY)
    got = _assessment(api, "county-lead", level="provincial", year=2026)
    assert [(i["town_name"], i["score"], i["parts"]["governance"]) for i in got["items"]] == [
        ("P1镇", 100.0, 100.0), ("P2镇", 80.9, 80.9), ("P3镇", 42.6, 42.6),
        ("P4镇", 23.5, 23.5)]
    admin = login_as("admin")
    saved = admin.post("/programme/assessment/formula", data={
        "construction": "0", "governance": "1", "duties": "3"})
    assert saved.status_code == 303
    again = _assessment(api, "county-lead", level="provincial", year=2026)
    assert again["weights"] == {"governance": 1, "duties": 3}
    assert [i["score"] for i in again["items"]] == [100.0, 80.9, 42.6, 23.5]
    refused = admin.post("/programme/assessment/formula", data={
        "construction": "0", "governance": "0", "duties": "-1"})
    assert refused.status_code == 422 and "权重须为 0–100 的整数" in refused.get_data(as_text=True)
    page = admin.get("/programme/assessment/formula").get_data(as_text=True)
    assert "治理成效×1 + 环境责任×3" in page
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.target == "年度考核")) == 1


def test_two_years_at_the_bottom_warn_and_the_replacement_keeps_every_history(
        world, county, api, login_as, freeze):
    freeze(JANUARY)
    _registered(world, JANUARY)
    first = _assessment(api, level="provincial", year=2025)  # P4 last, the year before empty
    assert {i["town_name"]: i["mark"] for i in first["items"] if i["rank"]} == {
        "P3镇": "commend", "P4镇": "criticize"}
    assert first["replacement_candidate"] is None
    got = _assessment(api, "county-lead", level="provincial", year=2026)
    assert [(i["town_name"], i["rank"], i["mark"]) for i in got["items"]] == [
        ("P1镇", 1, "commend"), ("P2镇", 2, None), ("P3镇", 3, None),
        ("P4镇", 4, "eliminate_warning")]
    assert got["replacement_candidate"]["town_name"] == "C2镇"
    ranking_2026 = api("county-lead").get("/api/v1/rankings?level=provincial&period=2026")
    admin = login_as("admin")
    early = admin.post("/programme/assessment/replace", data={
        "year": "2026", "town": county["P4"], "document_no": "吉政〔2027〕1 号"})
    assert early.status_code == 409 and "尚未发布" in early.get_data(as_text=True)
    unnumbered = admin.post("/programme/assessment/publish", data={
        "level": "省级", "year": "2026", "document_no": " "})
    assert unnumbered.status_code == 422
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(Assessment)) == 0
    assert admin.post("/programme/assessment/publish", data={
        "level": "省级", "year": "2026", "document_no": "吉政办〔2027〕3 号"}).status_code == 303
    assert admin.post("/programme/assessment/publish", data={
        "level": "省级", "year": "2026", "document_no": "吉政办〔2027〕4 号"}).status_code == 409
    this_year = admin.post("/programme/assessment/publish", data={
        "level": "省级", "year": "2027", "document_no": "x"})
    assert this_year.status_code == 422 and "年度结束后" in this_year.get_data(as_text=True)
    published = _assessment(api, "county-lead", level="provincial", year=2026)
    assert published["published"]["document_no"] == "吉政办〔2027〕3 号"
    assert published["items"] == got["items"]

    with writing(world):  # an older registry's town without a designated year
        db.session.scalars(select(ProgrammeTown).join(Region).where(
            Region.code == county["P4"])).one().designated_year = None
    done = admin.post("/programme/assessment/replace", data={
        "year": "2026", "town": county["P4"], "document_no": "吉政〔2027〕5 号",
        "note": "省政府常务会议研究决定"})
    assert done.status_code == 303
    assert "P4镇 淘汰，C2镇 递补入选省级示范镇" in admin.get(done.location).get_data(as_text=True)
    with world.app_context():
        entries = {e.town.name: e for e in db.session.scalars(select(ProgrammeTown))}
        p4, c2 = entries["P4镇"], entries["C2镇"]
        assert (p4.level, p4.status) == ("省级", "eliminated")
        assert (c2.level, c2.status, c2.designated_year) == ("省级", "promoted", 2027)
        assert db.session.get(Region, c2.town_id).demo_level == "省级"
        assert db.session.get(Region, p4.town_id).demo_level is None
        for entry, action in ((p4, "status"), (c2, "status")):
            history = [(c.action, c.document_no) for c in entry.changes]
            assert history == [("create", ""), (action, "吉政〔2027〕5 号")]
        assert "由C2镇递补" in p4.changes[-1].note and "省政府常务会议" in p4.changes[-1].note
        audit = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "replace")).one()
        assert audit.actor_name == "admin" and audit.before["eliminated"] == county["P4"]
        assert audit.after["promoted"] == county["C2"]
        assert db.session.scalar(select(func.count()).select_from(AssessmentRow)) == 5
    # the year's results, published and reckoned, and its rankings read as before
    assert _assessment(api, "county-lead", level="provincial", year=2026)["items"] == got["items"]
    assert api("county-lead").get("/api/v1/rankings?level=provincial&period=2026"
                                  ).get_json() == ranking_2026.get_json()
    now_ranked = api("county-lead").get("/api/v1/rankings?level=provincial&period=2027")
    assert {i["town_name"] for i in now_ranked.get_json()["items"]} == {
        "P1镇", "P2镇", "P3镇", "C2镇"}
    again = admin.post("/programme/assessment/replace", data={
        "year": "2026", "town": county["P4"], "document_no": "吉政〔2027〕6 号"})
    assert again.status_code == 409 and "已经执行过" in again.get_data(as_text=True)
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProgrammeChange).where(
            ProgrammeChange.document_no == "吉政〔2027〕6 号")) == 0


def test_a_published_assessment_keeps_its_results_when_weights_change(world, county, api,
                                                                      login_as, freeze):
    freeze(JANUARY)
    admin = login_as("admin")
    assert admin.post("/programme/assessment/publish", data={
        "level": "市级", "year": "2026", "document_no": "吉政办〔2027〕3 号"}).status_code == 303
    before = _assessment(api, level="city", year=2026)
    assert admin.post("/programme/assessment/formula", data={
        "construction": "10", "governance": "10", "duties": "80"}).status_code == 303
    after = _assessment(api, level="city", year=2026)
    assert after == before and after["weights"] == {
        "construction": 40, "governance": 40, "duties": 20}


def test_who_sees_the_assessment_and_bad_queries(world, county, api, login_as, freeze):
    freeze(JANUARY)
    # the demo county's supervisor sees its own 省级 town, ranked among the province's
    own = _assessment(api, "supervisor", level="provincial", year=2026)
    assert [i["town_code"] for i in own["items"]] == [QINGHE]
    # the province's warning (P4) is not in this county's reach, nor is its 递补 candidate
    assert own["replacement_candidate"] is None
    assert _assessment(api, "county-lead", level="provincial", year=2026
                       )["replacement_candidate"]["town_name"] == "C2镇"
    assert _assessment(api, "county-lead", level="county", year=2026)["items"] == []
    for who in ("worker", "dispatcher", "handler"):
        assert api(who).get("/api/v1/programme/assessment").status_code == 403
        assert login_as(who).get("/programme/assessment").status_code == 403
    for query, field in (("year=2019", "year"), ("year=2028", "year"), ("year=20x6", "year"),
                         ("level=national", "level")):
        answer = api("admin").get(f"/api/v1/programme/assessment?{query}")
        assert answer.status_code == 422 and field in answer.get_json()["fields"], query
    assert login_as("supervisor").post("/programme/assessment/publish", data={
        "level": "省级", "year": "2026", "document_no": "x"}).status_code == 403
    page = login_as("supervisor").get("/programme/assessment?level=省级&year=2026")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "试算" in text and ">清河镇</a>" in text
    assert "P4镇" not in text and "发布考核结果" not in text  # a supervisor reads
    desk = login_as("admin").get("/programme/assessment?level=省级&year=2026").get_data(
        as_text=True)
    assert "发布考核结果" in desk and "P4镇" in desk and "淘汰预警" in desk
    assert "拟递补连续两年考核靠后的省级示范镇" in desk and "C2镇" in desk
    bad = login_as("admin").get("/programme/assessment?year=1999")
    assert bad.status_code == 422 and "考核年度须在 2020 年至今年之间" in bad.get_data(as_text=True)
    pdf = login_as("supervisor").get("/programme/assessment/report.pdf?level=省级&year=2026")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and len(pdf.data) > 2000


def test_the_score_is_the_weighted_mean_of_the_parts_present():
    from programme.assessment import DEFAULT_WEIGHTS, duties, total
    # (50·40 + 80·40 + 90·20) / 100 = 70; without duties (50·40 + 80·40) / 80 = 65
    assert total({"construction": 50, "governance": 80, "duties": 90}, DEFAULT_WEIGHTS) == 70.0
    assert total({"construction": 50, "governance": 80, "duties": None}, DEFAULT_WEIGHTS) == 65.0
    assert total({"construction": None, "governance": None, "duties": None},
                 DEFAULT_WEIGHTS) is None
    assert total({"construction": 50, "governance": 80, "duties": 90}, {"duties": 1}) == 90.0
    assert duties({"snow_on_time_rate": 0.5, "care_coverage_rate": 1.0}) == 75.0
    assert duties({"snow_on_time_rate": None, "care_coverage_rate": 0.25}) == 25.0
    assert duties({"snow_on_time_rate": None, "care_coverage_rate": None}) is None
