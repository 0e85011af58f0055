"""定期调度 (issue 15): each demonstration town reports monthly on its ledger — every
milestone's percent complete and money spent, problems needing help, photos — by the
PROGRAMME_REPORT_DUE_DAY of the next month. A report updates the ledger it reports on. A
month left unreported climbs a ladder in the scheduler's round (PROGRAMME_REPORT_ESCALATION
days after the due day): 1 催报 to the town's dispatchers, 2 超期 to the county's
supervisors too, 3 督办 to the city's; each step once (ON CONFLICT DO NOTHING)."""
import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from core.bulk import bulk_insert
from core.database import write_transaction
from core.errors import InvalidInput
from core.extensions import db
from events.filters import local_day
from events.photos import claim_for
from notify.audience import Audience
from notify.models import Notification
from notify.services import notification_rows
from programme.ledger import projects
from programme.models import (IN_PROGRAMME, LedgerMilestone, LedgerProject, ProgrammeTown,
                              ProgressLine, ProgressReport, ReportEscalation)

STEP_WORDS = {1: "催报", 2: "超期", 3: "督办"}
MAX_PHOTOS = 9


def previous_month(day: date) -> date:
    first = day.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def due_day(month: date) -> date:
    """The day a month's report is due: the setting's day of the next month."""
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    last = calendar.monthrange(following.year, following.month)[1]
    return following.replace(day=min(max(current_app.config["PROGRAMME_REPORT_DUE_DAY"], 1),
                                     last))


def open_months(today: date) -> tuple[date, date]:
    """The months a town may report on today: the last one and this one."""
    return previous_month(today), today.replace(day=1)


@dataclass
class Line:
    milestone_id: int
    percent: int
    spent: float


def submit(actor, entry: ProgrammeTown, month: date, lines: list[Line], *, problems: str,
           help_needed: bool, photo_ids=(), now: datetime) -> ProgressReport:
    """The month's report (inside the caller's unit of work), revising one sent before; the
    ledger's milestones take its figures."""
    if month not in open_months(local_day(now)):
        raise InvalidInput(_("只能报送上月或本月的进展"), fields={"month": [_("无效的月份")]})
    milestones = {m.id: m for project in projects(entry) for m in project.milestones}
    if not milestones:
        raise InvalidInput(_("台账中还没有节点：请先在建设台账中安排项目和节点"))
    seen = set()
    for line in lines:
        if line.milestone_id not in milestones or line.milestone_id in seen:
            raise InvalidInput(_("节点不属于本镇台账"), fields={"lines": [_("无效的节点")]})
        if not 0 <= line.percent <= 100 or not 0 <= line.spent <= 10_000_000:
            raise InvalidInput(_("完成比例须为 0–100，已完成投资不能为负"),
                               fields={f"percent-{line.milestone_id}": [_("超出范围")]})
        seen.add(line.milestone_id)
    problems = (problems or "").strip()
    if len(problems) > 2000:
        raise InvalidInput(_("问题与需协调事项不超过 2000 字"), fields={"problems": [_("过长")]})
    report = db.session.scalar(select(ProgressReport).where(
        ProgressReport.entry_id == entry.id, ProgressReport.month == month))
    if report is None:
        report = ProgressReport(entry_id=entry.id, month=month, revised=0)
        db.session.add(report)
    else:
        report.revised += 1
        report.lines.clear()
        db.session.flush()
    report.submitted_at, report.submitted_by_id = now, actor.id
    report.submitted_by_name = actor.display_name
    report.problems, report.help_needed = problems, bool(help_needed)
    # a later month's report has the newer figures: a revision of an older month keeps them
    newer = set(db.session.scalars(select(ProgressLine.milestone_id).join(
        ProgressReport, ProgressReport.id == ProgressLine.report_id).where(
        ProgressReport.entry_id == entry.id, ProgressReport.month > month)))
    for line in lines:
        report.lines.append(ProgressLine(milestone_id=line.milestone_id, percent=line.percent,
                                         spent=line.spent))
        if line.milestone_id not in newer:
            milestone = milestones[line.milestone_id]
            milestone.percent, milestone.spent = line.percent, line.spent
            milestone.reported_at = now
    _claim(actor, photo_ids, report)
    db.session.flush()
    return report


def _claim(actor, photo_ids, report: ProgressReport) -> None:
    if photo_ids:
        report.photos.extend(claim_for(actor, photo_ids, "report",
                                       at_most=MAX_PHOTOS - len(report.photos)))


def reports(entry: ProgrammeTown) -> list[ProgressReport]:
    return db.session.scalars(select(ProgressReport).where(ProgressReport.entry_id == entry.id)
                              .order_by(ProgressReport.month.desc())).all()


# ---- the ladder ---------------------------------------------------------------------------

def escalate_reports(now: datetime) -> str:
    """One round: each town in the programme that has not reported last month."""
    days = current_app.config["PROGRAMME_REPORT_ESCALATION"]
    today = local_day(now)
    month = previous_month(today)
    due = due_day(month)
    reached_steps = [step for step, after in sorted(days.items())
                     if due + timedelta(days=after) <= today]
    if not reached_steps:
        return "reports: nothing due"
    with write_transaction():
        reported = set(db.session.scalars(select(ProgressReport.entry_id).where(
            ProgressReport.month == month)))
        planned = set(db.session.scalars(select(LedgerProject.entry_id).join(
            LedgerMilestone, LedgerMilestone.project_id == LedgerProject.id).distinct()))
        # a town with no milestone yet has nothing to report on (its ledger is the gap)
        entries = [entry for entry in db.session.scalars(select(ProgrammeTown).where(
            ProgrammeTown.status.in_(IN_PROGRAMME)))
            if entry.id not in reported and entry.id in planned]
        if not entries:
            return "reports: no town owes one"
        done = set(db.session.execute(select(ReportEscalation.entry_id, ReportEscalation.step)
                                      .where(ReportEscalation.month == month)))
        rows = [{"entry_id": entry.id, "month": month, "step": step, "reached_at": now}
                for entry in entries for step in reached_steps
                if (entry.id, step) not in done]
        if not rows:
            return "reports: nothing new"
        table = ReportEscalation.__table__
        new = bulk_insert(table, rows, returning=(table.c.entry_id, table.c.step),
                          skip_conflicts=True).all()
        steps: dict[int, list[int]] = {}
        for row in new:
            steps.setdefault(row.entry_id, []).append(row.step)
        by_id = {entry.id: entry for entry in entries}
        told = _announce([(by_id[eid], sorted(s)) for eid, s in steps.items()], month, due,
                         today, now)
    return f"reports: {len(new)} steps, {told} notices"


def _announce(items, month: date, due: date, today: date, now: datetime) -> int:
    audience, rows = Audience(), []
    for entry, steps in sorted(items, key=lambda item: item[0].id):
        top = steps[-1]
        people = set(audience.dispatchers[entry.town_id])
        town = entry.town
        path = town.path
        if top >= 2:
            people |= {uid for uid, spath, level in audience.supervisors
                       if level == "county" and path.startswith(spath)}
        if top >= 3:
            people |= {uid for uid, spath, level in audience.supervisors
                       if level == "city" and path.startswith(spath)}
        late = (today - due).days
        subject = (_("【催报】%(town)s %(month)s 建设进展应于 %(due)s 前报送",
                     town=town.name, month=f"{month.year}年{month.month}月",
                     due=f"{due.month}月{due.day}日") if top == 1 else
                   _("【%(step)s】%(town)s %(month)s 建设进展未报送，已超期 %(n)s 天",
                     step=STEP_WORDS[top], town=town.name,
                     month=f"{month.year}年{month.month}月", n=late))
        rows += notification_rows(people, top, kind="programme.report", event_id=None,
                                  subject=subject, now=now, emails=audience.emails,
                                  data={"step": top, "town_code": town.code,
                                        "month": month.isoformat(),
                                        "url": f"/programme/{town.code}/reports"})
    if rows:
        bulk_insert(Notification.__table__, rows)
    return len(rows)


def missing(entries, today: date) -> set[int]:
    """The entries (ids) whose last month's report is overdue today."""
    month = previous_month(today)
    if today <= due_day(month):
        return set()
    reported = set(db.session.scalars(select(ProgressReport.entry_id).where(
        ProgressReport.month == month)))
    return {entry.id for entry in entries if entry.status in IN_PROGRAMME
            and entry.id not in reported}

