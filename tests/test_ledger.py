"""清单化管理 (issue 15): a town's ledger over the 20 items of the responsibility list —
projects and milestones entered by the town's dispatchers, progress rolled up from
milestones to projects to items to the town on hand-built data with known answers (both
engines); who reads, who keeps it; bad input refused with nothing written."""
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.extensions import db
from programme.models import LedgerMilestone, LedgerProject

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=CST)
QINGHE = "220221101000"


def _project(client, item, name, **extra):
    answer = client.post(f"/programme/{QINGHE}/ledger/projects", data={
        "item": str(item), "name": name, "responsible": "镇规划建设办", **extra})
    assert answer.status_code == 303, answer.get_data(as_text=True)[-800:]
    return db.session.scalar(select(LedgerProject.id).where(LedgerProject.name == name))


def _milestone(client, project_id, name, due, weight=1):
    answer = client.post(f"/programme/{QINGHE}/ledger/projects/{project_id}/milestones",
                         data={"name": name, "due_on": due, "weight": str(weight)})
    assert answer.status_code == 303, answer.get_data(as_text=True)[-800:]
    return db.session.scalar(select(LedgerMilestone.id).where(LedgerMilestone.name == name))


def _progress(client, milestone_id, percent, spent=""):
    return client.post(f"/programme/{QINGHE}/ledger/milestones/{milestone_id}",
                       data={"percent": str(percent), "spent": spent})


def test_progress_rolls_up_from_milestones_to_the_town(world, api, login_as, freeze):
    freeze(NOW)
    town = login_as("dispatcher")  # 清河镇's own command centre keeps its ledger
    with world.app_context():
        pipes = _project(town, 4, "供水管网改造", target="改造管网 3.2 公里", budget="860")
        heat = _project(town, 4, "集中供热改造")
        station = _project(town, 10, "垃圾转运站")
        laid = _milestone(town, pipes, "管材进场", "2026-09-30")
        joined = _milestone(town, pipes, "管网铺设", "2026-11-30", weight=3)
        boiler = _milestone(town, heat, "锅炉安装", "2027-05-31")
        built = _milestone(town, station, "主体完工", "2026-10-31")
    assert _progress(town, laid, 100, "120").status_code == 303
    assert _progress(town, joined, 20, "80.5").status_code == 303
    assert _progress(town, boiler, 50).status_code == 303
    assert _progress(town, built, 100).status_code == 303
    ledger = api("supervisor").get(f"/api/v1/programme/towns/{QINGHE}/ledger").get_json()
    items = {item["item"]: item for item in ledger["items"]}
    assert sorted(items) == list(range(1, 21))  # all 20 items, planned or not
    # 供水管网: (100×1 + 20×3) / 4 = 40 %; 集中供热 50 %; item 4 their mean: 45 %
    assert [p["percent"] for p in items[4]["projects"]] == [40.0, 50.0]
    assert items[4]["percent"] == 45.0 and items[10]["percent"] == 100.0
    assert items[1]["percent"] is None and items[1]["projects"] == []  # not planned, not 0 %
    assert ledger["percent"] == 72.5  # the planned items' mean
    assert items[4]["projects"][0]["milestones"][1]["spent"] == 80.5
    page = login_as("supervisor").get(f"/programme/{QINGHE}/ledger").get_data(as_text=True)
    assert '<strong>72%</strong>' in page  # the total, 72.5 shown whole
    assert "1 个节点已过期未完成" in page  # 管网铺设 was due on 30 November at 20 %
    assert "未安排项目" in page


def test_who_reads_and_who_keeps_the_ledger(world, api, login_as, freeze):
    freeze(NOW)
    assert login_as("supervisor").get(f"/programme/{QINGHE}/ledger").status_code == 200
    assert login_as("supervisor").post(f"/programme/{QINGHE}/ledger/projects", data={
        "item": "4", "name": "x", "responsible": "y"}).status_code == 403
    for username in ("dispatcher2", "worker", "handler"):  # another town, and no one else
        assert login_as(username).get(f"/programme/{QINGHE}/ledger").status_code == 404
        assert api(username).get(f"/api/v1/programme/towns/{QINGHE}/ledger").status_code == 404
    assert login_as("admin").get("/programme/220221199000/ledger").status_code == 404


def test_bad_input_is_refused_and_nothing_is_written(world, login_as, freeze):
    freeze(NOW)
    town = login_as("dispatcher")
    no_item = town.post(f"/programme/{QINGHE}/ledger/projects", data={
        "item": "21", "name": "供水", "responsible": "办"})
    assert no_item.status_code == 422 and "责任清单中的事项" in no_item.get_data(as_text=True)
    backwards = town.post(f"/programme/{QINGHE}/ledger/projects", data={
        "item": "4", "name": "供水", "responsible": "办", "starts_on": "2026-10-01",
        "ends_on": "2026-09-01"})
    assert backwards.status_code == 422 and "完成日期不能早于开工日期" in backwards.get_data(
        as_text=True)
    nameless = town.post(f"/programme/{QINGHE}/ledger/projects", data={
        "item": "4", "name": "", "responsible": "办", "budget": "很多"})
    assert nameless.status_code == 422
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(LedgerProject)) == 0
        project = _project(town, 4, "供水管网改造")
        milestone = _milestone(town, project, "管材进场", "2026-09-30")
    over = _progress(town, milestone, 150)
    assert over.status_code == 422 and "完成比例须为 0–100" in over.get_data(as_text=True)
    with world.app_context():
        assert db.session.get(LedgerMilestone, milestone).percent == 0


def test_the_overview_shows_who_is_behind_on_which_item(world, login_as, freeze):
    freeze(NOW)
    town = login_as("dispatcher")
    with world.app_context():
        pipes = _project(town, 4, "供水管网改造")
        late = _milestone(town, pipes, "管网铺设", "2026-11-30")
        station = _project(town, 10, "垃圾转运站")
        built = _milestone(town, station, "主体完工", "2026-10-31")
    _progress(town, late, 20)
    _progress(town, built, 100)
    freeze(datetime(2026, 12, 8, 9, 0, tzinfo=CST))  # past the 5th: November unreported
    page = login_as("supervisor").get("/programme/overview").get_data(as_text=True)
    qinghe = page[page.index(">清河镇</a>"):]
    qinghe = qinghe[:qinghe.index("</tr>")]
    assert '<td class="late" title="1 个节点过期未完成">20</td>' in qinghe
    assert '<td class="done" >100</td>' in qinghe or '<td class="done">100</td>' in qinghe
    assert '<td class="total">60%</td>' in qinghe and "上月未报" in qinghe
    liuwan = page[page.index(">柳湾镇</a>"):]
    liuwan = liuwan[:liuwan.index("</tr>")]
    assert '<td class="total">—</td>' in liuwan and liuwan.count('class="none"') == 20
    assert login_as("dispatcher").get("/programme/overview").status_code == 403
    city = login_as("supervisor").get("/programme/overview?level=市级").get_data(as_text=True)
    assert "柳湾镇" in city and "清河镇" not in city
