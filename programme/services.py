"""示范镇名录 (issue 15): who sees the registry, towns entered and decided on (each decision
kept with its 文号), the facts of a 申报 and its 十四五 plan file, and the counts against the
plan's quotas ("每个市（州）至少2个省级示范镇，全省确定省级示范镇30个；每个市（州）至少2个市级示范镇，
全省…40个以上；每个县（市、区）至少1个县级示范镇，全省…50个以上")."""
import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, true
from sqlalchemy.exc import IntegrityError

from auth.permissions import towns_under
from core.errors import Conflict, Forbidden, InvalidInput
from core.extensions import db
from grid.models import Region
from programme.models import (IN_PROGRAMME, LEVELS, STATUSES, ProgrammeChange,
                              ProgrammeTown)

#: the plan's quotas: at least so many per city (市（州）) or county, and in the province
PER_CITY = {"省级": 2, "市级": 2}
PER_COUNTY = {"县级": 1}
PROVINCE_TOTAL = {"省级": 30, "市级": 40, "县级": 50}
#: a 十四五 plan file: a PDF up to this size
PLAN_MAX_BYTES = 20 * 1024 * 1024
SEEING_ROLES = ("admin", "supervisor")


def reach(user):
    """A WHERE clause on ProgrammeTown.town_id: an admin everything, a supervisor the towns
    of their region (province, city or county)."""
    if user.role == "admin":
        return true()
    if user.role == "supervisor" and user.region is not None:
        return ProgrammeTown.town_id.in_(towns_under(user.region.path))
    return ProgrammeTown.id.is_(None)  # nothing


def registry(user, *, level: str | None = None, status: str | None = None):
    query = select(ProgrammeTown).join(Region, Region.id == ProgrammeTown.town_id).where(
        reach(user)).order_by(Region.path)
    if level:
        query = query.where(ProgrammeTown.level == level)
    if status:
        query = query.where(ProgrammeTown.status == status)
    return db.session.scalars(query).all()


def _admin(actor) -> None:
    if actor.role != "admin":
        raise Forbidden(_("只有管理员可以修改示范镇名录"))


def _record(actor, entry, action, before, after, now, document_no="", note=""):
    db.session.add(ProgrammeChange(
        entry=entry, at=now, actor_id=actor.id if actor else None,
        actor_name=getattr(actor, "display_name", None) or "系统", action=action,
        before=before, after=after, document_no=(document_no or "").strip()[:64],
        note=(note or "").strip()))


def _check_decision(level, status, year, document_no, now) -> None:
    if level not in LEVELS:
        raise InvalidInput(_("级别须为 省级、市级 或 县级"), fields={"level": [_("无效的级别")]})
    if status not in STATUSES:
        raise InvalidInput(_("无效的状态"), fields={"status": [_("无效的状态")]})
    # a town in the programme needs its designation's year; an eliminated one keeps the year
    # it had (older registries: none, or before 2020)
    if (status in IN_PROGRAMME and (year is None or not 2020 <= year <= now.year + 1)) or (
            status == "eliminated" and year is not None and not 1949 <= year <= now.year + 1):
        message = _("入选年份须在 2020 年至明年之间")
        raise InvalidInput(message, fields={"designated_year": [message]})
    if status != "candidate" and not (document_no or "").strip():
        message = _("请填写决定文号")
        raise InvalidInput(message, fields={"document_no": [message]})
    if len((document_no or "").strip()) > 64:
        raise InvalidInput(_("文号不超过 64 字"), fields={"document_no": [_("文号不超过 64 字")]})


def _sync_region(entry: ProgrammeTown) -> None:
    """The region's mark (which the rankings read) follows the registry."""
    town = entry.town
    if entry.status in IN_PROGRAMME:
        town.demo_level, town.demo_year = entry.level, entry.designated_year
    else:
        town.demo_level, town.demo_year = None, None


def add(actor, town_code: str, now: datetime, *, level: str, status: str = "candidate",
        designated_year: int | None = None, document_no: str = "", note: str = "",
        facts: dict | None = None) -> ProgrammeTown:
    _admin(actor)
    town = db.session.scalar(select(Region).where(Region.code == town_code,
                                                  Region.level == "town"))
    if town is None:
        raise InvalidInput(_("没有这个乡镇"), fields={"town_code": [_("没有这个乡镇")]})
    if db.session.scalar(select(ProgrammeTown.id).where(ProgrammeTown.town_id == town.id)):
        raise Conflict(_("%(town)s 已在名录中", town=town.name))
    _check_decision(level, status, designated_year, document_no, now)
    entry = ProgrammeTown(town=town, level=level, status=status,
                          designated_year=designated_year if status != "candidate" else None,
                          created_at=now, updated_at=now, **_facts(facts or {}))
    db.session.add(entry)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # another admin listed it a moment ago
        raise Conflict(_("%(town)s 已在名录中", town=town.name)) from None
    _record(actor, entry, "create", None, {"level": level, "status": status,
                                           "designated_year": entry.designated_year,
                                           **_facts(facts or {})}, now, document_no, note)
    _sync_region(entry)
    db.session.flush()
    return entry


def decide(actor, entry: ProgrammeTown, now: datetime, *, level: str, status: str,
           designated_year: int | None, document_no: str, note: str = "",
           version: int | None = None) -> bool:
    """A decision on the town's level, status or year, with its 文号. False: nothing changed."""
    _admin(actor)
    if version is not None and version != entry.version:
        raise Conflict(_("名录已被他人修改，请刷新后再改"))
    _check_decision(level, status, designated_year, document_no, now)
    year = designated_year if status != "candidate" else None
    before = {"level": entry.level, "status": entry.status,
              "designated_year": entry.designated_year}
    after = {"level": level, "status": status, "designated_year": year}
    changed = {key: value for key, value in after.items() if before[key] != value}
    if not changed:
        return False
    entry.level, entry.status, entry.designated_year = level, status, year
    entry.updated_at, entry.version = now, entry.version + 1
    action = "status" if "status" in changed else ("level" if "level" in changed
                                                   else "designate")
    _record(actor, entry, action, {key: before[key] for key in changed}, changed, now,
            document_no, note)
    _sync_region(entry)
    return True


FACTS = ("population", "area_km2", "industry")


def _facts(data: dict) -> dict:
    return {key: data[key] for key in FACTS if key in data}


def set_facts(actor, entry: ProgrammeTown, data: dict, now: datetime) -> bool:
    _admin(actor)
    wanted = _facts(data)
    before = {key: getattr(entry, key) for key in wanted}
    changed = {key: value for key, value in wanted.items() if before[key] != value}
    if not changed:
        return False
    for key, value in changed.items():
        setattr(entry, key, value)
    entry.updated_at, entry.version = now, entry.version + 1
    _record(actor, entry, "facts", {key: before[key] for key in changed}, changed, now)
    return True


def store_plan(data: bytes) -> str:
    """A 十四五 plan checked and stored (before the write unit): its storage key."""
    from events.storage import get_storage
    if len(data) > PLAN_MAX_BYTES:
        raise InvalidInput(_("规划文件不能超过 20 MB"), fields={"plan": [_("不能超过 20 MB")]})
    if not data.startswith(b"%PDF-"):
        raise InvalidInput(_("规划文件须为 PDF"), fields={"plan": [_("须为 PDF")]})
    key = f"{hashlib.sha256(data).hexdigest()[:40]}-plan.pdf"
    storage = get_storage(current_app)
    if not storage.exists(key):
        storage.save(key, data)
    return key


def attach_plan(actor, entry: ProgrammeTown, key: str, name: str, now: datetime) -> None:
    _admin(actor)
    name = (name or "规划.pdf").strip()[:200]
    _record(actor, entry, "plan", {"plan": entry.plan_name or None}, {"plan": name}, now)
    entry.plan_key, entry.plan_name = key, name
    entry.updated_at, entry.version = now, entry.version + 1


def enter_marked_towns(now: datetime, note: str) -> int:
    """The towns the regions mark as demonstration towns and the registry lacks, entered as
    在建 (the demo data; migration 0030 does the same for a database that had them)."""
    listed = set(db.session.scalars(select(ProgrammeTown.town_id)))
    made = 0
    for town in db.session.scalars(select(Region).where(Region.level == "town",
                                                        Region.demo_level.is_not(None))
                                   .order_by(Region.path)):
        if town.id in listed:
            continue
        entry = ProgrammeTown(town=town, level=town.demo_level, status="building",
                              designated_year=town.demo_year, created_at=now, updated_at=now)
        db.session.add(entry)
        _record(None, entry, "create", None, {"level": entry.level, "status": "building",
                                              "designated_year": entry.designated_year},
                now, note=note)
        made += 1
    db.session.flush()
    return made


# ---- quotas -----------------------------------------------------------------------------

@dataclass
class UnitCount:
    region: Region
    counts: dict = field(default_factory=dict)  # level → towns in the programme
    needs: dict = field(default_factory=dict)   # level → the plan's minimum here

    @property
    def short(self) -> dict:
        return {level: need - self.counts.get(level, 0) for level, need in self.needs.items()
                if self.counts.get(level, 0) < need}


def quotas(user) -> dict:
    """The counts against the quotas within the caller's reach: each city (省级 ≥ 2, 市级 ≥ 2),
    each county (县级 ≥ 1), and the province's totals (30, 40, 50) when the caller sees it."""
    root = user.region if user.role == "supervisor" else None
    if user.role != "admin" and root is None:
        return {"province": None, "totals": dict.fromkeys(LEVELS, 0), "province_needs": {},
                "cities": [], "counties": []}
    regions = db.session.scalars(select(Region).where(
        Region.level.in_(("province", "city", "county")),
        Region.path.startswith(root.path, autoescape=True) if root is not None else true())
        .order_by(Region.path)).all()
    entries = db.session.execute(
        select(ProgrammeTown.level, Region.path).join(Region, Region.id == ProgrammeTown.town_id)
        .where(ProgrammeTown.status.in_(IN_PROGRAMME), reach(user))).all()
    cities = [UnitCount(r, needs=dict(PER_CITY)) for r in regions if r.level == "city"]
    counties = [UnitCount(r, needs=dict(PER_COUNTY)) for r in regions if r.level == "county"]
    totals = dict.fromkeys(LEVELS, 0)
    for level, path in entries:
        totals[level] += 1
        for unit in cities + counties:
            if path.startswith(unit.region.path):
                unit.counts[level] = unit.counts.get(level, 0) + 1
    province = next((r for r in regions if r.level == "province"), None)
    return {"province": province, "totals": totals,
            "province_needs": PROVINCE_TOTAL if province is not None else {},
            "cities": cities, "counties": counties}
