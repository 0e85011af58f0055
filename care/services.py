"""The care register (issue 14, 巡访+互助): people added, edited, paired with a neighbour,
taken off; the visit schedule by risk level and the towns' cold waves; who is due.

Each person keeps the day their next visit is due (next_due_on), set again whenever what it
depends on changes: a visit, the risk level, the schedule, a cold wave of the town."""
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from audit.services import record
from care import schedule
from care.access import SEEING_ROLES, clause, log_access
from care.models import RISKS, UNITS, CareHelper, CarePerson, CareSchedule, ColdWave
from core.errors import Conflict, Forbidden, InvalidInput
from core.extensions import db
from events.filters import local_day
from grid.locate import point_in_grid
from grid.models import Grid, Region

#: a worker's list shows who is due within this many days, overdue first
DUE_HORIZON_DAYS = 7
DUE_LIST_LIMIT = 300
#: a cold wave is declared for at most this long
MAX_WAVE_DAYS = 30


def intervals() -> dict[str, schedule.Interval]:
    return {row.risk: schedule.Interval(row.every, row.unit, row.cold_wave_days)
            for row in db.session.scalars(select(CareSchedule))}


def waves_of(town_ids) -> dict[int, list[tuple[date, date]]]:
    waves: dict[int, list] = {}
    for wave in db.session.scalars(select(ColdWave).where(ColdWave.town_id.in_(list(town_ids)))
                                   .order_by(ColdWave.starts_on)):
        waves.setdefault(wave.town_id, []).append((wave.starts_on, wave.ends_on))
    return waves


def refresh_due(people) -> None:
    """Set each person's next due day from their last visit (or registration), their risk
    level and their town's cold waves (inside the caller's unit of work)."""
    people = [person for person in people if person.left_on is None]
    if not people:
        return
    table, waves = intervals(), waves_of({person.town_id for person in people})
    for person in people:
        anchor = person.last_visit_on or person.registered_on
        person.next_due_on = schedule.next_due(anchor, table[person.risk],
                                               waves.get(person.town_id, ()))


def _grid(actor, code: str, lat, lon) -> Grid:
    grid = db.session.scalar(select(Grid).where(Grid.code == code, Grid.retired_at.is_(None)))
    allowed = grid is not None and (
        actor.role == "admin"
        or (actor.role == "dispatcher" and grid.town_id == actor.region_id)
        or (actor.role == "grid_worker" and grid.id in actor.grid_ids))
    if not allowed:
        raise InvalidInput(_("没有这个网格，或不在您负责的范围内"),
                           fields={"grid_code": [_("没有这个网格，或不在您负责的范围内")]})
    if (lat is None) != (lon is None):
        raise InvalidInput(_("住址位置须同时有纬度和经度"), fields={"lat": [_("须同时填写")]})
    if lat is not None and not point_in_grid(grid, lat, lon):
        raise InvalidInput(_("住址位置不在「%(grid)s」内", grid=grid.name),
                           fields={"lat": [_("不在所选网格内")], "lon": [_("不在所选网格内")]})
    return grid


PERSON_FIELDS = ("name", "birth_year", "address", "lat", "lon", "phone", "guardian_name",
                 "guardian_phone", "guardian_relation", "living", "risk", "notes")


def add_person(actor, data: dict, now: datetime, *, via: str = "page") -> CarePerson:
    if actor.role not in SEEING_ROLES:
        raise Forbidden(_("无权登记"))
    grid = _grid(actor, data["grid_code"], data.get("lat"), data.get("lon"))
    person = CarePerson(grid_id=grid.id, town_id=grid.town_id, registered_on=local_day(now),
                        created_at=now, updated_at=now,
                        **{name: _clean(data.get(name)) for name in PERSON_FIELDS})
    db.session.add(person)
    db.session.flush()
    refresh_due([person])
    log_access(actor, [person.id], action="edit", via=via, now=now)
    return person


def _clean(value):
    return value.strip() if isinstance(value, str) else value


def update_person(actor, person: CarePerson, data: dict, now: datetime, *,
                  version: int | None = None, via: str = "page") -> CarePerson:
    if version is not None and version != person.version:
        raise Conflict(_("档案已被他人修改，请刷新后再改"))
    grid = _grid(actor, data["grid_code"], data.get("lat"), data.get("lon"))
    person.grid_id, person.town_id = grid.id, grid.town_id
    for name in PERSON_FIELDS:
        setattr(person, name, _clean(data.get(name)))
    person.updated_at, person.version = now, person.version + 1
    db.session.flush()
    db.session.refresh(person, ["grid"])
    refresh_due([person])
    log_access(actor, [person.id], action="edit", via=via, now=now)
    return person


def take_off(actor, person: CarePerson, reason: str, now: datetime) -> None:
    """Off the register (moved, into care, died): kept with its visits, no longer due."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 64:
        raise InvalidInput(_("请写明原因（64 字以内）"), fields={"left_reason": [_("必填")]})
    if person.left_on is not None:
        raise Conflict(_("已不在册"))
    person.left_on, person.left_reason, person.next_due_on = local_day(now), reason, None
    person.updated_at, person.version = now, person.version + 1
    log_access(actor, [person.id], action="edit", via="page", now=now)


def pair_helper(actor, person: CarePerson, data: dict | None, now: datetime,
                helper_id: int | None = None) -> CareHelper | None:
    """Pair the person with a neighbour (a new one from `data`, or one of the grid's by
    id), or unpair (neither)."""
    helper = None
    if helper_id is not None:
        helper = db.session.get(CareHelper, helper_id)
        if helper is None or helper.grid_id != person.grid_id:
            raise InvalidInput(_("没有这位互助人"), fields={"helper_id": [_("没有这位互助人")]})
    elif data is not None:
        helper = CareHelper(grid_id=person.grid_id, created_at=now,
                            **{name: _clean(data.get(name, "")) for name in ("name", "phone",
                                                                            "address")})
        db.session.add(helper)
        db.session.flush()
    person.helper_id = helper.id if helper else None
    person.helper_since = local_day(now) if helper else None
    person.updated_at, person.version = now, person.version + 1
    log_access(actor, [person.id], action="edit", via="page", now=now)
    return helper


def due(user, today: date, *, horizon_days: int = DUE_HORIZON_DAYS,
        limit: int = DUE_LIST_LIMIT) -> list[CarePerson]:
    """The people on the caller's register due within the horizon, most overdue first."""
    return db.session.scalars(
        select(CarePerson).where(clause(user), CarePerson.left_on.is_(None),
                                 CarePerson.next_due_on <= today + timedelta(days=horizon_days))
        .order_by(CarePerson.next_due_on, CarePerson.id).limit(limit)).all()


def set_schedule(actor, rows: dict[str, dict], now: datetime) -> int:
    """Admins edit the intervals ({risk: {every, unit, cold_wave_days}}); every person's
    next due day follows. Returns how many people it moved."""
    if actor.role != "admin":
        raise Forbidden(_("只有管理员可以修改走访周期"))
    for risk in RISKS:
        row = rows.get(risk) or {}
        every, unit, cold = row.get("every"), row.get("unit"), row.get("cold_wave_days")
        if unit not in UNITS or not isinstance(every, int) or not isinstance(cold, int) or not (
                1 <= every <= (12 if unit == "month" else 366) and 1 <= cold <= 366):
            message = _("周期须为 1–366 天或 1–12 个月，寒潮期间 1–366 天")
            raise InvalidInput(message, fields={risk: [message]})
    for current in db.session.scalars(select(CareSchedule)):
        wanted = rows[current.risk]
        before = {"every": current.every, "unit": current.unit,
                  "cold_wave_days": current.cold_wave_days}
        after = {"every": wanted["every"], "unit": wanted["unit"],
                 "cold_wave_days": wanted["cold_wave_days"]}
        if before != after:
            current.every, current.unit = after["every"], after["unit"]
            current.cold_wave_days = after["cold_wave_days"]
            record(actor, "care_schedule", current.risk, "update", before, after)
    db.session.flush()
    people = _active()
    before = {person.id: person.next_due_on for person in people}
    refresh_due(people)
    return sum(person.next_due_on != before[person.id] for person in people)


def _active(town_ids=None):
    query = select(CarePerson).where(CarePerson.left_on.is_(None))
    if town_ids is not None:
        query = query.where(CarePerson.town_id.in_(list(town_ids)))
    return db.session.scalars(query).all()


def declare_cold_wave(actor, town_codes: list[str], starts_on: date, ends_on: date,
                      now: datetime) -> list[ColdWave]:
    """寒潮: extra rounds in these towns from one day to another (a dispatcher: their town;
    an admin: any). Everyone there is due again by the cold-wave interval."""
    if actor.role not in ("dispatcher", "admin"):
        raise Forbidden(_("只有受理中心和管理员可以发布寒潮"))
    today = local_day(now)
    # from today on: a wave back-dated would make the town's visits overdue at once and
    # rewrite past coverage
    if not (today <= starts_on <= ends_on <= today + timedelta(days=60)
            and ends_on - starts_on < timedelta(days=MAX_WAVE_DAYS)):
        message = _("寒潮须从今天或以后开始（60 天内），结束不早于开始，最长 30 天")
        raise InvalidInput(message, fields={"starts_on": [message]})
    towns = db.session.scalars(select(Region).where(Region.code.in_(town_codes or ["-"]),
                                                    Region.level == "town")).all()
    if not towns or len(towns) != len(set(town_codes)):
        raise InvalidInput(_("请选择乡镇"), fields={"town_codes": [_("请选择乡镇")]})
    if actor.role == "dispatcher" and any(town.id != actor.region_id for town in towns):
        raise Forbidden(_("只能为本乡镇发布寒潮"))
    waves = []
    for town in towns:
        waves.append(ColdWave(town_id=town.id, starts_on=starts_on, ends_on=ends_on,
                              declared_by_id=actor.id, created_at=now))
        record(actor, "cold_wave", town.name, "create", None,
               {"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat()})
    db.session.add_all(waves)
    db.session.flush()
    refresh_due(_active([town.id for town in towns]))
    return waves


def running_waves(town_ids, today: date) -> list[ColdWave]:
    return db.session.scalars(select(ColdWave).where(
        ColdWave.town_id.in_(list(town_ids)), ColdWave.ends_on >= today)
        .order_by(ColdWave.starts_on)).all()
