"""清单化管理 (issue 15): a demonstration town's ledger — for each of the 20 items of the
plan's responsibility list, the town's projects (responsible units, target, budget, dates)
and their milestones — and the roll-up of progress: a project's percent is its milestones'
percents weighted by their weights, an item's the mean of its projects', the town's the
mean of the items that have projects (an item with none is "not planned", not 0 %).

Kept by admins and the town's own dispatchers (镇级实施); read by those who see the registry
and the town's dispatchers."""
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from core.errors import Forbidden, InvalidInput, NotFound
from core.extensions import db
from events.catalogue_admin import responsibility_items
from grid.models import Region
from programme.models import LedgerMilestone, LedgerProject, ProgrammeTown
from programme.services import reach

MAX_PROJECTS_PER_ITEM = 30
MAX_MILESTONES = 20


def items() -> dict[int, dict]:
    return responsibility_items()


def entry_for(user, code: str, *, write: bool = False) -> ProgrammeTown:
    """The town's registry entry if the caller may read (or, `write`, keep) its ledger."""
    query = select(ProgrammeTown).join(Region, Region.id == ProgrammeTown.town_id).where(
        Region.code == code)
    if write:  # one writer of a town's ledger and reports at a time (two first reports of
        query = query.with_for_update(of=ProgrammeTown)  # a month would both insert)
    entry = db.session.scalar(query)
    if entry is None:
        raise NotFound(_("名录中没有这个乡镇"))
    own_town = user.role == "dispatcher" and user.region_id == entry.town_id
    if write:
        if not (user.role == "admin" or own_town):
            if _sees(user, entry):
                raise Forbidden(_("台账由本镇受理中心和管理员维护"))
            raise NotFound(_("名录中没有这个乡镇"))
    elif not (own_town or _sees(user, entry)):
        raise NotFound(_("名录中没有这个乡镇"))
    return entry


def _sees(user, entry: ProgrammeTown) -> bool:
    return db.session.scalar(select(ProgrammeTown.id).where(
        ProgrammeTown.id == entry.id, reach(user))) is not None


def _text(data: dict, name: str, label: str, high: int, *, required: bool = True) -> str:
    value = (data.get(name) or "").strip()
    if (required and not value) or len(value) > high:
        message = _("%(label)s须为 1–%(n)s 字", label=label, n=high) if required else \
            _("%(label)s不超过 %(n)s 字", label=label, n=high)
        raise InvalidInput(message, fields={name: [message]})
    return value


def add_project(entry: ProgrammeTown, data: dict, now: datetime) -> LedgerProject:
    item = data.get("item")
    if item not in items():
        raise InvalidInput(_("请选择责任清单中的事项（1–20）"), fields={"item": [_("无效的事项")]})
    count = len([p for p in projects(entry) if p.item == item])
    if count >= MAX_PROJECTS_PER_ITEM:
        raise InvalidInput(_("每个事项最多 %(n)s 个项目", n=MAX_PROJECTS_PER_ITEM))
    budget = data.get("budget")
    if budget is not None and not 0 <= budget <= 10_000_000:
        raise InvalidInput(_("预算须在 0–1000 亿元之间（单位：万元）"), fields={"budget": [_("超出范围")]})
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    if starts_on and ends_on and ends_on < starts_on:
        raise InvalidInput(_("完成日期不能早于开工日期"), fields={"ends_on": [_("早于开工日期")]})
    project = LedgerProject(
        entry_id=entry.id, item=item, name=_text(data, "name", _("项目名称"), 100),
        responsible=_text(data, "responsible", _("责任单位"), 200),
        target=_text(data, "target", _("建设目标"), 200, required=False), budget=budget,
        starts_on=starts_on, ends_on=ends_on, created_at=now)
    db.session.add(project)
    db.session.flush()
    return project


def add_milestone(project: LedgerProject, data: dict) -> LedgerMilestone:
    if len(project.milestones) >= MAX_MILESTONES:
        raise InvalidInput(_("每个项目最多 %(n)s 个节点", n=MAX_MILESTONES))
    due_on = data.get("due_on")
    if not isinstance(due_on, date):
        raise InvalidInput(_("请填写节点日期"), fields={"due_on": [_("必填")]})
    weight = data.get("weight") or 1
    if not 1 <= weight <= 100:
        raise InvalidInput(_("权重须为 1–100"), fields={"weight": [_("1–100")]})
    milestone = LedgerMilestone(project=project, name=_text(data, "name", _("节点名称"), 100),
                                due_on=due_on, weight=weight, percent=0, spent=0)
    db.session.add(milestone)
    db.session.flush()
    return milestone


def set_progress(milestone: LedgerMilestone, percent: int, spent: float | None,
                 now: datetime) -> None:
    if not isinstance(percent, int) or not 0 <= percent <= 100:
        raise InvalidInput(_("完成比例须为 0–100"), fields={"percent": [_("0–100")]})
    if spent is not None and not 0 <= spent <= 10_000_000:
        raise InvalidInput(_("已完成投资超出范围"), fields={"spent": [_("超出范围")]})
    milestone.percent = percent
    if spent is not None:
        milestone.spent = spent
    milestone.reported_at = now


def projects(entry: ProgrammeTown) -> list[LedgerProject]:
    return db.session.scalars(select(LedgerProject).where(LedgerProject.entry_id == entry.id)
                              .order_by(LedgerProject.item, LedgerProject.id)).all()


# ---- the roll-up ------------------------------------------------------------------------

def project_percent(project: LedgerProject) -> float | None:
    total = sum(m.weight for m in project.milestones)
    if not total:
        return None
    return sum(m.percent * m.weight for m in project.milestones) / total


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


@dataclass
class ItemRow:
    item: int
    section: str
    task: str
    responsible: str
    projects: list = field(default_factory=list)
    percent: float | None = None
    budget: float = 0.0
    spent: float = 0.0
    late: int = 0  # milestones past their day, not complete


def ledger(entry: ProgrammeTown, today: date) -> tuple[list[ItemRow], float | None]:
    """All 20 items with the town's projects, each item's percent, and the town's."""
    rows = {number: ItemRow(number, row["section"], row["task"], row["responsible"])
            for number, row in sorted(items().items())}
    for project in projects(entry):
        row = rows.get(project.item)
        if row is None:
            continue
        row.projects.append((project, project_percent(project)))
        row.budget += project.budget or 0
        row.spent += sum(m.spent for m in project.milestones)
        row.late += sum(1 for m in project.milestones if m.due_on < today and m.percent < 100)
    for row in rows.values():
        row.percent = _mean(percent for _project, percent in row.projects)
    return list(rows.values()), _mean(row.percent for row in rows.values())


@dataclass
class OverviewRow:
    entry: ProgrammeTown
    percent: float | None
    cells: list  # per item 1–20: (percent or None, late milestones)
    missing_report: bool = False


def overview(user, today: date, level: str | None = None) -> list[OverviewRow]:
    """图表化推进 for the province, a city or a county: each demonstration town in reach
    (在建, 递补入选) with its items' percents and late milestones, one read of the projects."""
    from programme.models import IN_PROGRAMME
    from programme.reports import missing
    query = (select(ProgrammeTown).join(Region, Region.id == ProgrammeTown.town_id)
             .where(reach(user), ProgrammeTown.status.in_(IN_PROGRAMME)).order_by(Region.path))
    if level:
        query = query.where(ProgrammeTown.level == level)
    entries = db.session.scalars(query).all()
    by_entry: dict[int, list[LedgerProject]] = {}
    if entries:
        for project in db.session.scalars(select(LedgerProject).where(
                LedgerProject.entry_id.in_([e.id for e in entries]))
                .order_by(LedgerProject.item, LedgerProject.id)):
            by_entry.setdefault(project.entry_id, []).append(project)
    lacking = missing(entries, today)
    rows = []
    for entry in entries:
        per_item: dict[int, list] = {}
        late: dict[int, int] = {}
        for project in by_entry.get(entry.id, []):
            per_item.setdefault(project.item, []).append(project_percent(project))
            late[project.item] = late.get(project.item, 0) + sum(
                1 for m in project.milestones if m.due_on < today and m.percent < 100)
        cells = [(_mean(per_item[n]) if n in per_item else None, late.get(n, 0))
                 for n in sorted(items())]
        rows.append(OverviewRow(entry, _mean(cell[0] for cell in cells), cells,
                                entry.id in lacking))
    return rows
