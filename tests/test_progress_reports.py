"""定期调度 (issue 15): a town's monthly progress report updates its ledger and is kept (a
second one for the month revises it); bad reports are refused with nothing written; a
month left unreported climbs 催报 → 超期 → 督办 once per step, on both engines, and stops
for the town that reports."""
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import func, select

from auth.models import User
from core.extensions import db
from notify.models import Notification
from programme.models import LedgerMilestone, LedgerProject, ProgressReport, ReportEscalation
from programme.reports import escalate_reports

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 10, 0, tzinfo=CST)
QINGHE, LIUWAN = "220221101000", "220221102000"


def _milestone(client, code, name="管网铺设"):
    answer = client.post(f"/programme/{code}/ledger/projects", data={
        "item": "4", "name": f"{name}项目", "responsible": "镇规划建设办"})
    assert answer.status_code == 303
    project = db.session.scalar(select(LedgerProject.id).where(
        LedgerProject.name == f"{name}项目"))
    answer = client.post(f"/programme/{code}/ledger/projects/{project}/milestones",
                         data={"name": name, "due_on": "2027-06-30"})
    assert answer.status_code == 303
    return db.session.scalar(select(LedgerMilestone.id).where(LedgerMilestone.name == name))


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (120, 120, 120)).save(out, "JPEG")
    return out.getvalue()


def test_a_report_updates_the_ledger_and_a_second_revises_it(world, api, login_as, freeze):
    freeze(NOW)
    town = login_as("dispatcher")
    with world.app_context():
        milestone = _milestone(town, QINGHE)
    sent = town.post(f"/programme/{QINGHE}/reports", data={
        "month": "2026-11-01", f"percent-{milestone}": "60", f"spent-{milestone}": "120.5",
        "problems": "管材价格上涨，需协调资金", "help_needed": "1",
        "photos": (io.BytesIO(_jpeg()), "site.jpg")}, content_type="multipart/form-data")
    assert sent.status_code == 303, sent.get_data(as_text=True)[-600:]
    ledger = api("supervisor").get(f"/api/v1/programme/towns/{QINGHE}/ledger").get_json()
    line = ledger["items"][3]["projects"][0]["milestones"][0]
    assert (line["percent"], line["spent"]) == (60, 120.5)
    page = login_as("supervisor").get(f"/programme/{QINGHE}/reports").get_data(as_text=True)
    assert "2026年11月" in page and "需协调" in page and "管材价格上涨" in page
    with world.app_context():
        report = db.session.scalar(select(ProgressReport))
        photo = report.photos[0].id
    assert login_as("supervisor").get(
        f"/programme/{QINGHE}/reports/photos/{photo}/thumb").status_code == 200
    assert login_as("dispatcher2").get(
        f"/programme/{QINGHE}/reports/photos/{photo}/thumb").status_code == 404
    again = town.post(f"/programme/{QINGHE}/reports", data={
        "month": "2026-11-01", f"percent-{milestone}": "70", f"spent-{milestone}": "150"})
    assert again.status_code == 303
    with world.app_context():
        reports = db.session.scalars(select(ProgressReport)).all()
        assert len(reports) == 1 and reports[0].revised == 1
        assert [(l.percent, l.spent) for l in reports[0].lines] == [(70, 150.0)]


def test_bad_reports_are_refused_and_nothing_is_written(world, login_as, freeze):
    freeze(NOW)
    town, other = login_as("dispatcher"), login_as("dispatcher2")
    with world.app_context():
        milestone = _milestone(town, QINGHE)
    with world.app_context():  # a fresh session: the first one's snapshot is of before
        theirs = _milestone(other, LIUWAN, "污水管网")
    old = town.post(f"/programme/{QINGHE}/reports", data={
        "month": "2026-09-01", f"percent-{milestone}": "60"})
    assert old.status_code == 422 and "只能报送上月或本月" in old.get_data(as_text=True)
    over = town.post(f"/programme/{QINGHE}/reports", data={
        "month": "2026-11-01", f"percent-{milestone}": "160"})
    assert over.status_code == 422
    foreign = town.post(f"/programme/{QINGHE}/reports", data={
        "month": "2026-11-01", f"percent-{theirs}": "50"})
    assert foreign.status_code == 422 and "节点不属于本镇台账" in foreign.get_data(as_text=True)
    assert other.post(f"/programme/{QINGHE}/reports", data={
        "month": "2026-11-01", f"percent-{milestone}": "50"}).status_code == 404
    with world.app_context():
        assert db.session.scalar(select(func.count()).select_from(ProgressReport)) == 0
        assert db.session.get(LedgerMilestone, milestone).percent == 0


def _sweep(app, when):
    with app.app_context():
        return escalate_reports(when)


def _steps(app):
    with app.app_context():
        return sorted((row.entry_id, row.step)
                      for row in db.session.scalars(select(ReportEscalation)))


def _told(app, username):
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        return [n.data["step"] for n in db.session.scalars(select(Notification).where(
            Notification.user_id == user_id, Notification.channel == "in_app",
            Notification.kind == "programme.report").order_by(Notification.id))]


def test_a_missing_report_climbs_each_step_once(world, login_as, freeze):
    freeze(NOW)
    with world.app_context():
        milestone = _milestone(login_as("dispatcher"), QINGHE)
    with world.app_context():
        _milestone(login_as("dispatcher2"), LIUWAN, "污水管网")
    assert _sweep(world, datetime(2026, 12, 4, 9, tzinfo=CST)) == "reports: nothing due"
    _sweep(world, datetime(2026, 12, 5, 0, 30, tzinfo=CST))  # due today: 催报, both towns
    assert [step for _entry, step in _steps(world)] == [1, 1]
    assert _told(world, "dispatcher") == [1] and _told(world, "dispatcher2") == [1]
    assert _told(world, "supervisor") == []
    _sweep(world, datetime(2026, 12, 5, 12, tzinfo=CST))  # nothing new: each step once
    assert len(_steps(world)) == 2
    freeze(datetime(2026, 12, 6, 9, tzinfo=CST))  # 清河镇 reports, a day late
    assert login_as("dispatcher").post(f"/programme/{QINGHE}/reports", data={
        "month": "2026-11-01", f"percent-{milestone}": "40"}).status_code == 303
    _sweep(world, datetime(2026, 12, 8, 9, tzinfo=CST))  # 超期: 柳湾镇 only, to the county
    _sweep(world, datetime(2026, 12, 15, 9, tzinfo=CST))  # 督办
    assert _told(world, "dispatcher") == [1]
    assert _told(world, "dispatcher2") == [1, 2, 3]
    assert _told(world, "supervisor") == [2, 3]  # the county's supervisor
    with world.app_context():
        subjects = db.session.scalars(select(Notification.subject).join(
            User, User.id == Notification.user_id).where(User.username == "supervisor")).all()
    assert any("柳湾镇 2026年11月 建设进展未报送，已超期 3 天" in s for s in subjects)
    page = login_as("dispatcher2").get(f"/programme/{LIUWAN}/reports").get_data(as_text=True)
    assert "尚未报送" in page


def test_a_revised_older_month_keeps_the_newer_figures_and_december_is_due_in_january(
        world, api, login_as, freeze, configure):
    from datetime import date

    from programme.reports import due_day
    freeze(NOW)
    town = login_as("dispatcher")
    with world.app_context():
        milestone = _milestone(town, QINGHE)
    for month, percent in (("2026-11-01", "40"), ("2026-12-01", "70"), ("2026-11-01", "45")):
        assert town.post(f"/programme/{QINGHE}/reports", data={
            "month": month, f"percent-{milestone}": percent}).status_code == 303
    ledger = api("supervisor").get(f"/api/v1/programme/towns/{QINGHE}/ledger").get_json()
    assert ledger["items"][3]["projects"][0]["milestones"][0]["percent"] == 70
    with world.app_context():
        assert due_day(date(2026, 12, 1)) == date(2027, 1, 5)
        configure(PROGRAMME_REPORT_DUE_DAY=31)
        assert due_day(date(2027, 1, 1)) == date(2027, 2, 28)  # a month's last day at most


def test_a_town_with_nothing_planned_is_not_chased(world):
    assert _sweep(world, datetime(2026, 12, 20, 9, tzinfo=CST)) == "reports: no town owes one"
