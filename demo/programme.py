"""The demo's task ledger (issue 15): 清河镇's projects under a few items of the
responsibility list, milestones half done, one late — so 建设台账, 进度总览 and 定期调度 show
something on a fresh demo. Names and figures are made up."""
from datetime import datetime, timedelta

from sqlalchemy import select

from grid.models import Region
from programme import ledger
from programme.models import ProgrammeTown

PROJECTS = (
    (4, "供水管网改造", "镇规划建设办、供水公司", "改造管网 3.2 公里", 860,
     (("管材进场", -60, 100), ("管网铺设", -5, 60), ("通水验收", 90, 0))),
    (4, "集中供热改造", "镇规划建设办、供热公司", "改造换热站 2 座", 1200,
     (("设备招标", -30, 100), ("换热站安装", 40, 30))),
    (8, "垃圾转运站", "环卫所", "日处理 60 吨", 450,
     (("主体完工", -20, 100), ("设备调试", 20, 50))),
    (10, "镇区停车场", "综合执法队", "新增车位 120 个", 300,
     (("场地平整", 30, 10),)),
)


def build_ledger(now: datetime) -> int:
    entry = db_entry()
    if entry is None:
        return 0
    today = now.date()
    for item, name, responsible, target, budget, milestones in PROJECTS:
        project = ledger.add_project(entry, {"item": item, "name": name,
                                             "responsible": responsible, "target": target,
                                             "budget": float(budget),
                                             "starts_on": today - timedelta(days=120),
                                             "ends_on": today + timedelta(days=200)}, now)
        for label, days, percent in milestones:
            milestone = ledger.add_milestone(project, {"name": label,
                                                       "due_on": today + timedelta(days=days)})
            ledger.set_progress(milestone, percent, budget * percent / 100 / len(milestones),
                                now)
    return len(PROJECTS)


def db_entry():
    from core.extensions import db
    return db.session.scalar(select(ProgrammeTown).join(Region, Region.id == ProgrammeTown.town_id)
                             .where(Region.code == "220221101000"))


def publish_last_year(now: datetime) -> None:
    """Last year's assessment of each level published by the demo's admin, so the pages show
    a published year (and its two-years-at-the-bottom warnings this year); 市级 first, so the
    省级 result names its 递补 candidate from the published 市级 order."""
    from audit.services import record
    from auth.models import User
    from core.extensions import db
    from programme.assessment import publish
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    year = now.year - 1
    for number, level in enumerate(("市级", "省级", "县级"), start=8):
        done = publish(admin, level, year, f"吉政办〔{now.year}〕{number} 号", now)
        record(admin, "programme", f"{year} {level}示范镇考核", "publish", None,
               {"document_no": done.document_no, "towns": len(done.rows)})
