"""Two years of the demonstration programme for the demo (issue 11): 24 more 示范镇 —
省级, 市级 and 县级 — in three more counties of 吉林市, each with a grid and a 环卫所, and every
demonstration town's cases since January of last year, so the rankings have something to
rank: commendation, criticism and, for two towns at the bottom both years, an elimination
warning with a 市级 town to step up.

Only cases are made, never scores: each town has a quality each year (how many of its cases
close, on time, reworked, rated well, found on patrol) and its rows — cases, their logs,
stage runs and ratings — follow from it; every figure on the pages is computed from them.
The rows go in with bulk INSERTs (a few thousand cases in a second or two), not through the
lifecycle services, as bench-data does; the demo's own two towns keep their service-made
cases beside them."""
import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, insert, select

from core.extensions import db
from dashboard.rollups import rebuild
from demo.benchdata import store_counters
from events.intake import format_number
from events.models import Category, Department, Event, EventCounter, EventLog, StageRun
from grid.locate import grid_fields
from grid.models import Grid, Region
from portal.models import Rating

#: (county code, name, [(town name, level, quality last year, quality this year)]) — quality
#: 0–1 drives the outcomes. 青石镇, 白桦镇 and 溪河镇 are weak both years (淘汰预警); 拉法镇 and
#: 法特镇 slipped this year (通报批评); 红石砬子镇 and 二道甸子镇 recovered; 松花镇 is the best
#: 市级 town (递补)
COUNTIES = (
    ("220281000000", "蛟河市", (("天岗镇", "省级", .93, .93), ("新站镇", "省级", .88, .90),
                              ("拉法镇", "省级", .86, .60), ("青石镇", "省级", .45, .42),
                              ("黄松甸镇", "市级", .80, .80), ("漂河镇", "市级", .66, .66),
                              ("松花镇", "市级", .96, .97), ("前进乡", "县级", .74, .74))),
    ("220282000000", "桦甸市", (("夹皮沟镇", "省级", .90, .91), ("红石砬子镇", "省级", .62, .86),
                              ("二道甸子镇", "省级", .64, .84), ("白桦镇", "省级", .40, .38),
                              ("八道河子镇", "市级", .71, .71), ("金沙镇", "市级", .62, .62),
                              ("公吉乡", "县级", .69, .69), ("横道河子乡", "县级", .58, .58))),
    ("220283000000", "舒兰市", (("平安镇", "省级", .86, .87), ("法特镇", "省级", .80, .66),
                              ("溪河镇", "省级", .60, .64), ("上营镇", "市级", .76, .76),
                              ("天德乡", "市级", .55, .55), ("亮甲山乡", "县级", .82, .82),
                              ("莲花乡", "县级", .66, .66), ("水曲柳镇", "县级", .61, .61))),
)
#: the demo's own towns join the programme with these qualities (both years)
OWN_QUALITY = {"220221101000": (.8, .8), "220221102000": (.72, .72)}
PER_MONTH = 9  # cases a town reports in a month
CATEGORIES = ("06010", "06042", "09006", "09009", "10001", "06036", "07001", "06001")


def _extra_towns(rng) -> list[tuple[Region, tuple[float, float]]]:
    city = db.session.scalar(select(Region).where(Region.code == "220200000000"))
    made = []
    for c, (code, name, towns) in enumerate(COUNTIES):
        county = Region(code=code, name=name, level="county", parent=city,
                        path=city.path + code + "/")
        db.session.add(county)
        for t, (town_name, level, *quality) in enumerate(towns):
            town_code = f"{code[:6]}{101 + t:03d}000"
            town = Region(code=town_code, name=town_name, level="town", parent=county,
                          path=county.path + town_code + "/", demo_level=level,
                          demo_year=rng.choice((2023, 2024, 2025)))
            db.session.add(town)
            db.session.flush()
            lat, lon = 43.0 + c * 0.3, 127.0 + t * 0.05
            ring = [[lon, lat], [lon + .04, lat], [lon + .04, lat + .04], [lon, lat + .04], [lon, lat]]
            db.session.add(Grid(code=f"{town_code}001", name=f"{town_name}第1网格", town_id=town.id,
                                **grid_fields({"type": "Polygon", "coordinates": [ring]})))
            db.session.add(Department(code=f"{town_code}-HW", name="环卫所", region_id=town.id))
            made.append((town, tuple(quality)))
    db.session.flush()
    return made


def _province_lead(password_hash: str) -> None:
    """省督导: a supervisor of the whole province, who sees every town's ranking."""
    from auth.models import User
    province = db.session.scalar(select(Region).where(Region.code == "220000000000"))
    db.session.add(User(username="province", role="supervisor", display_name="省督导 孙海",
                        password_hash=password_hash, region_id=province.id))


def _outcome(rng, quality: float) -> dict:
    """What became of one case of a town of `quality` (each draw leans on it)."""
    def chance(p):
        return rng.random() < p
    patrol = chance(.15 + .5 * quality)  # a worker's own report is filed: never rejected
    return {"patrol": patrol, "rejected": not patrol and chance(.08 + .1 * (1 - quality)),
            "closed": chance(.55 + .45 * quality), "on_time": chance(.2 + .8 * quality),
            "rework": chance(.25 * (1 - quality)), "rated": chance(.5),
            "satisfied": chance(.35 + .65 * quality)}


def generate_history(now: datetime, rng: random.Random, password_hash: str) -> dict:
    """Make the towns and their cases; returns counts for the seed's report."""
    towns = _extra_towns(rng)
    _province_lead(password_hash)
    for code, quality in OWN_QUALITY.items():
        towns.append((db.session.scalar(select(Region).where(Region.code == code)), quality))
    grid_of = {}
    for grid in db.session.execute(select(Grid.id, Grid.town_id, Grid.centroid_lat,
                                          Grid.centroid_lon).order_by(Grid.id)):
        grid_of.setdefault(grid.town_id, grid)
    department_of = {town_id: dep for dep, town_id in db.session.execute(
        select(func.min(Department.id), Department.region_id).group_by(Department.region_id))}
    categories = db.session.execute(select(Category.id, Category.name).where(
        Category.code.in_(CATEGORIES))).all()
    counters = {(row.town_id, row.year): row.last_number
                for row in db.session.scalars(select(EventCounter))}
    blank = {c.name: None for c in Event.__table__.columns if c.name != "id"} | {"private": False}
    start = datetime(now.year - 1, 1, 1, tzinfo=timezone.utc)
    events, plans = [], []
    for town, (last_year, this_year) in towns:
        month = start
        while month < now - timedelta(days=3):
            for _ in range(PER_MONTH):
                created = month + timedelta(days=rng.uniform(0, 28), hours=rng.uniform(0, 9))
                if created > now - timedelta(days=3):
                    continue
                fate = _outcome(rng, this_year if created.year == now.year else last_year)
                year = created.year
                counters[town.id, year] = counters.get((town.id, year), 0) + 1
                category_id, category_name = rng.choice(categories)
                grid = grid_of[town.id]
                row = {**blank, "number": format_number(town.case_prefix, year,
                                                        counters[town.id, year]),
                       "source": "patrol" if fate["patrol"] else rng.choice(("resident", "hotline")),
                       "category_id": category_id, "grid_id": grid.id, "town_id": town.id,
                       "lat": grid.centroid_lat, "lon": grid.centroid_lon, "address": "", "description": f"{category_name}（往年案件）",
                       "created_at": created, "updated_at": created, "version": 1,
                       "supervise_count": 0, "extension_granted_hours": 0, "clock_seq": 5,
                       "clock_used_min": 0, "escalation_step": 0, "deadline_provisional": False}
                events.append(row)
                # the demo's own towns keep their lists for today's work: their old cases
                # all ended (a late one closed late)
                if town.code in OWN_QUALITY:
                    fate["closed"] = True
                plans.append((fate, department_of.get(town.id)))
            month = (month + timedelta(days=32)).replace(day=1)
    for (fate, department), row in zip(plans, events):
        _finish(rng, row, fate, department, now)
    first_id = (db.session.scalar(select(func.max(Event.id))) or 0) + 1
    db.session.execute(insert(Event.__table__), events)
    logs, runs, ratings = [], [], []
    for event_id, (fate, department), row in zip(range(first_id, first_id + len(events)), plans, events):
        _rows(rng, event_id, row, fate, department, logs, runs, ratings)
    db.session.execute(insert(EventLog.__table__), logs)
    db.session.execute(insert(StageRun.__table__), runs)
    if ratings:
        db.session.execute(insert(Rating.__table__), ratings)
    store_counters(counters)
    rebuild()  # the dashboards' counters (dashboard/rollups.py): rows were bulk-inserted
    return {"towns": len(towns), "cases": len(events)}


def _finish(rng, row: dict, fate: dict, department, now: datetime) -> None:
    """The case's final state and its times (mutates the row)."""
    created = row["created_at"]
    if fate["rejected"]:
        row.update(state="rejected", rejected_at=created + timedelta(hours=2))
        return
    row.update(filed_at=created + timedelta(minutes=40), department_id=department,
               dispatched_at=created + timedelta(hours=1), accepted_at=created + timedelta(hours=2))
    handled = created + timedelta(hours=rng.uniform(3, 6) if fate["on_time"] else rng.uniform(30, 90))
    if fate["closed"]:
        row.update(state="closed", handled_at=handled, closed_at=handled + timedelta(hours=2))
    else:  # still in hand, long past its deadline
        row.update(state="accepted", clock_stage="handle", clock_kind="work",
                   clock_started_at=created + timedelta(hours=2), clock_limit_min=240.0,
                   due_at=created + timedelta(hours=8), warn_at=created + timedelta(hours=7))


def _rows(rng, event_id, row, fate, department, logs, runs, ratings) -> None:
    created = row["created_at"]

    def log(action, at, from_state, to_state):
        logs.append({"event_id": event_id, "actor_id": None, "actor_label": "往年记录",
                     "action": action, "from_state": from_state, "to_state": to_state,
                     "note": "", "data": {}, "created_at": at})

    def run(seq, stage, ended, action, on_time, used):
        runs.append({"event_id": event_id, "seq": seq, "stage": stage, "department_id": department,
                     "limit_min": 240.0, "used_min": used, "due_at": None, "ended_at": ended,
                     "action": action, "actor_id": None, "is_on_time": on_time})
    patrol = row["source"] == "patrol"
    log("create", created, None, "filed" if patrol else "reported")
    if row["state"] == "rejected":
        log("reject", row["rejected_at"], "reported", "rejected")
        run(1, "verify", row["rejected_at"], "reject", True, 60.0)
        return
    if not patrol:
        log("verify", row["filed_at"], "reported", "filed")
        run(1, "verify", row["filed_at"], "verify", True, 40.0)
    log("dispatch", row["dispatched_at"], "filed", "dispatched")
    log("accept", row["accepted_at"], "dispatched", "accepted")
    if row["state"] != "closed":
        return
    handled = row["handled_at"]
    used = (handled - row["accepted_at"]).total_seconds() / 60
    if fate["rework"]:  # a first handling failed its check
        first = row["accepted_at"] + timedelta(minutes=used / 2)
        log("handle", first, "accepted", "handled")
        run(2, "handle", first, "handle", True, used / 2)
        log("rework", first + timedelta(minutes=30), "handled", "dispatched")
        log("accept", first + timedelta(minutes=40), "dispatched", "accepted")
    log("handle", handled, "accepted", "handled")
    run(3, "handle", handled, "handle", fate["on_time"], min(used, 240.0) if fate["on_time"] else used)
    log("close", row["closed_at"], "handled", "closed")
    run(4, "check", row["closed_at"], "close", True, 120.0)
    if fate["rated"] and row["source"] == "resident":
        ratings.append({"event_id": event_id, "rating": "满意" if fate["satisfied"] else "不满意",
                        "comment": "", "closed_at": row["closed_at"],
                        "created_at": row["closed_at"] + timedelta(hours=5)})
