"""Demo data: one county (永吉县, Jilin) with two fictional 示范镇, their grids, departments,
routing, users and ~300 cases that went through the real lifecycle services."""
import json
import random
import secrets
from datetime import datetime, timedelta

from shapely.geometry import Point, shape
from sqlalchemy import func, select

from auth.models import User
from auth.services import hash_password
from workcal.calendar import enter_year, held_years, package_years
from core.extensions import db
from events import intake, services
from events.catalogue import load_categories
from events.models import Category, Department, Event, RoutingRule
from events.routing import suggest_department
from grid.locate import grid_fields
from grid.models import Grid, GridMember, Region
from field.models import CheckIn
from portal.models import QrPoint
from portal.services import create_point, submit_report

COUNTY = ("220221000000", "永吉县")
#: fictional towns with codes in 永吉县's range; (code, name, level, year, lat0, lon0, rows, cols)
TOWNS = (
    ("220221101000", "清河镇", "省级", 2024, 43.600, 126.480, 3, 4),
    ("220221102000", "柳湾镇", "市级", 2025, 43.700, 126.400, 2, 5),
)
VILLAGES = {
    "220221101000": (("220221101001", "清河社区"), ("220221101201", "东岭村"),
                     ("220221101202", "西岭村"), ("220221101203", "北沟村")),
    "220221102000": (("220221102001", "柳湾社区"), ("220221102201", "前屯村"),
                     ("220221102202", "后屯村")),
}
#: short codes for department kinds named in the catalogue
DEPARTMENT_CODES = {"环卫所": "HW", "水利站": "SL", "生态环境办": "ST", "综合执法队": "ZF",
                    "村（社区）委会": "CW", "规划建设办": "GJ", "交警中队": "JJ",
                    "应急办": "YJ", "供电所": "GD"}
CELL_DEG = 0.012  # about 1.3 km of latitude per grid row
STREETS = ("人民大街", "建设路", "松江路", "清河街", "新华路", "站前街", "民主路", "光明巷",
           "团结路", "兴农街", "文化路", "粮库路")
DESCRIPTIONS = {
    "06": "现场{name}，影响环境卫生，请尽快处理。",
    "07": "墙面、电杆发现{name}，影响市容。",
    "08": "工地周边{name}，居民反映强烈。",
    "09": "路口附近{name}，影响通行。",
    "10": "{name}，存在安全隐患，请紧急处置。",
}
DEMO_USERS = ("admin", "supervisor", "dispatcher", "worker", "handler")
RESIDENTS = ("王先生", "李女士", "张大爷", "刘阿姨", "")
#: every grid gets a notice-board code and one more where people gather
QR_PLACES = (("公示栏", "公示栏"), ("垃圾站", "垃圾站"), ("集贸市场东门", "集贸市场"),
             ("路口", "路口"))


def _build_qr_points(rng):
    for grid in db.session.scalars(select(Grid).order_by(Grid.code)):
        for label, kind in (QR_PLACES[0], rng.choice(QR_PLACES[1:])):
            lat, lon = _point_in(rng, grid)
            create_point(grid, f"{rng.choice(STREETS)}{label}", kind, lat, lon)


def _region(code, name, level, parent, **extra) -> Region:
    path = (parent.path if parent else "") + code + "/"
    region = Region(code=code, name=name, level=level, parent=parent, path=path, **extra)
    db.session.add(region)
    return region


def _lattice(rng, lat0, lon0, rows, cols):
    """Grid vertices with interior points jittered, so cells are irregular but still tile."""
    points = {}
    for r in range(rows + 1):
        for c in range(cols + 1):
            lat, lon = lat0 + r * CELL_DEG, lon0 + c * CELL_DEG * 1.35
            if 0 < r < rows and 0 < c < cols:
                lat += rng.uniform(-0.2, 0.2) * CELL_DEG
                lon += rng.uniform(-0.2, 0.2) * CELL_DEG
            points[r, c] = (round(lon, 6), round(lat, 6))
    return points


def _build_places(rng):
    province = _region("220000000000", "吉林省", "province", None)
    city = _region("220200000000", "吉林市", "city", province)
    county = _region(COUNTY[0], COUNTY[1], "county", city)
    towns = []
    for code, name, level, year, lat0, lon0, rows, cols in TOWNS:
        town = _region(code, name, "town", county, demo_level=level, demo_year=year)
        villages = [_region(vcode, vname, "village", town) for vcode, vname in VILLAGES[code]]
        db.session.flush()
        vertices = _lattice(rng, lat0, lon0, rows, cols)
        number = 0
        for r in range(rows):
            for c in range(cols):
                number += 1
                ring = [vertices[r, c], vertices[r, c + 1], vertices[r + 1, c + 1],
                        vertices[r + 1, c], vertices[r, c]]
                polygon = {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}
                village = villages[(c * len(villages)) // cols]
                db.session.add(Grid(code=f"{code}{number:03d}", name=f"{name}第{number}网格",
                                    town_id=town.id, village_id=village.id,
                                    **grid_fields(polygon)))
        towns.append(town)
    return county, towns


def _build_departments(towns):
    names = sorted({c.default_department for c in db.session.scalars(select(Category))})
    for town in towns:
        for index, name in enumerate(names, 1):
            short = DEPARTMENT_CODES.get(name, f"D{index:02d}")
            db.session.add(Department(code=f"{town.code}-{short}", name=name, region_id=town.id))
    db.session.flush()
    for town in towns:
        by_name = {d.name: d for d in db.session.scalars(
            select(Department).where(Department.region_id == town.id))}
        for category in db.session.scalars(select(Category)):
            db.session.add(RoutingRule(category_id=category.id, region_id=town.id,
                                       department_id=by_name[category.default_department].id))


def _build_users(county, towns, password):
    def user(username, role, display, **scope):
        # Each user's own salt: a shared hash would tell that they share the password.
        account = User(username=username, role=role, display_name=display,
                       password_hash=hash_password(password), **scope)
        db.session.add(account)
        return account

    user("admin", "admin", "系统管理员")
    user("supervisor", "supervisor", "县督办 王强", region_id=county.id)
    given = iter("张李刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕")
    for t, town in enumerate(towns):
        user("dispatcher" if t == 0 else f"dispatcher{t + 1}", "dispatcher",
             f"{next(given)}敏", region_id=town.id)
        grids = db.session.scalars(select(Grid).where(Grid.town_id == town.id)
                                   .order_by(Grid.code)).all()
        for g, grid in enumerate(grids):
            name = "worker" if (t, g) == (0, 0) else f"w{grid.code[6:9]}{grid.code[-3:]}"
            account = user(name, "grid_worker", f"{next(given, '孟')}{'伟芳娜静丽强磊军'[g % 8]}",
                           region_id=town.id)
            db.session.flush()
            db.session.add(GridMember(grid_id=grid.id, user_id=account.id, grid_role="worker"))
        for department in db.session.scalars(select(Department).where(
                Department.region_id == town.id).order_by(Department.code)):
            handles_garbage = t == 0 and department.code.endswith("-HW")
            user("handler" if handles_garbage else f"h{department.code.lower()}", "handler",
                 f"{department.name} 处置员", department_id=department.id, region_id=town.id,
                 is_department_head=True)
    db.session.flush()


#: final states and how often the demo shows them
STATE_MIX = (("reported", 8), ("filed", 7), ("dispatched", 9), ("accepted", 14),
             ("handled", 10), ("closed", 38), ("rejected", 7), ("suspended", 7))


def _point_in(rng, grid):
    geometry = shape(json.loads(grid.boundary))
    while True:
        lon = rng.uniform(grid.min_lon, grid.max_lon)
        lat = rng.uniform(grid.min_lat, grid.max_lat)
        if geometry.contains(Point(lon, lat)):
            return round(lat, 6), round(lon, 6)


def _actors(town):
    users = db.session.scalars(select(User).where(User.region_id == town.id)).all()
    dispatcher = next(u for u in users if u.role == "dispatcher")
    workers = {m.grid_id: u for u in users if u.role == "grid_worker" for m in u.memberships}
    handlers = {u.department_id: u for u in users if u.role == "handler"}
    return dispatcher, workers, handlers


def _walk(rng, event, target, when, now, dispatcher, worker, handlers, supervisor):
    """Take the case to `target` through the services, a plausible gap between steps."""
    def later(low, high):
        nonlocal when
        when = min(when + timedelta(minutes=rng.randint(low, high)), now)
        return when

    def handler():
        return handlers[event.department_id]

    if target == "suspended":
        pre = rng.choice(("filed", "dispatched", "accepted"))
        _walk(rng, event, pre, when, now, dispatcher, worker, handlers, supervisor)
        services.suspend_event(dispatcher, event, later(30, 600), note="涉及多部门，待协调后办理")
        return
    if event.state == "reported":
        if target == "reported":
            return
        # 其他问题 is verified by the town's desk, the rest by the grid's worker
        verifier = dispatcher if event.category.verifier == "dispatcher" else worker
        if target == "rejected":
            services.reject_event(verifier, event, later(10, 240), note="现场核实无此问题")
            return
        services.verify_event(verifier, event, later(10, 240), note="现场核实属实")
    if target in ("filed", "rejected"):
        if target == "rejected":
            services.reject_event(dispatcher, event, later(10, 120), note="不属于受理范围")
        return
    if rng.random() < 0.08:
        right = suggest_department(event.category, event.town)
        wrong = rng.choice([d for d in handlers if d != right.id] or [None])
        if wrong:
            services.dispatch_event(dispatcher, event, later(5, 90),
                                    department_code=db.session.get(Department, wrong).code)
            services.return_event(handler(), event, later(10, 120), note="不属于本单位职责，请重新派遣")
    services.dispatch_event(dispatcher, event, later(5, 90))
    if target == "dispatched":
        return
    services.accept_event(handler(), event, later(5, 120))
    if rng.random() < 0.1:
        services.request_extension(handler(), event, later(30, 300), hours=8, note="需协调机械设备")
        decide = services.approve_extension if rng.random() < 0.7 else services.deny_extension
        decide(dispatcher, event, later(10, 120), note="同意" if decide is services.approve_extension else "请按时完成")
    if target == "accepted":
        return
    services.handle_event(handler(), event, later(60, 900), note="已处置完毕")
    if rng.random() < 0.1:
        services.rework_event(worker, event, later(30, 600), note="核查未达标，现场仍有残留")
        services.accept_event(handler(), event, later(5, 60))
        services.handle_event(handler(), event, later(60, 600), note="已返工处置")
    if target == "handled":
        return
    services.close_event(worker, event, later(30, 600), note="现场核查已整改到位")
    if rng.random() < 0.04:
        services.reopen_event(supervisor, event, later(600, 3000), note="群众反映问题反弹")
        services.accept_event(handler(), event, later(5, 60))
        services.handle_event(handler(), event, later(60, 600), note="再次处置")
        services.close_event(worker, event, later(30, 600), note="复查合格")


def _build_cases(rng, towns, count, now):
    categories = db.session.scalars(select(Category).order_by(Category.code)).all()
    common = [c for c in categories if c.code in ("06010", "06042", "09006", "09009", "10001",
                                                   "06036", "07001", "06001", "10002", "06025")]
    supervisor = db.session.scalar(select(User).where(User.username == "supervisor"))
    points = {}
    for point in db.session.scalars(select(QrPoint)):
        points.setdefault(point.grid_id, []).append(point)
    states = [s for s, weight in STATE_MIX for _ in range(weight)]
    for n in range(count):
        town = towns[0] if rng.random() < 0.65 else towns[1]
        dispatcher, workers, handlers = _actors(town)
        grid = db.session.get(Grid, rng.choice(list(workers)))
        worker = workers[grid.id]
        category = rng.choice(common if rng.random() < 0.7 else categories)
        lat, lon = _point_in(rng, grid)
        created = now - timedelta(days=rng.uniform(0, 60))
        created = created.replace(hour=rng.randint(0, 9), minute=rng.randint(0, 59))  # 08–17 local
        if created > now:
            created -= timedelta(days=1)
        target = rng.choice(states)
        if target not in ("closed", "rejected"):
            # open cases are mostly recent, so the board shows green, yellow and red clocks
            created = now - timedelta(hours=rng.uniform(0.5, 24 * (3 if rng.random() < 0.8 else 20)))
        elif (now - created) < timedelta(days=2):
            target = "accepted"
        reporter = worker if target != "reported" and rng.random() < 0.6 else dispatcher
        if target == "reported":
            reporter = dispatcher
        address = f"{rng.choice(STREETS)}{rng.randint(1, 300)}号"
        description = DESCRIPTIONS.get(category.major_code, "{name}").format(name=category.name)
        if reporter is dispatcher and rng.random() < 0.6:  # a resident scanned a QR code
            point = rng.choice(points[grid.id])
            event, _ = submit_report(
                created, point=point, source="resident", category_code=category.code,
                description=description, lat=None, lon=None, name=rng.choice(RESIDENTS),
                phone=f"13{rng.randint(100000000, 999999999)}", address=address)
        else:
            event, _ = intake.create_event(reporter, created, category_code=category.code,
                                           lat=lat, lon=lon, description=description,
                                           address=address, grid_code=grid.code)
        _walk(rng, event, target, created, now, dispatcher, worker, handlers, supervisor)
        if n % 50 == 49:
            db.session.flush()


def _build_check_ins(rng, now: datetime) -> None:
    """Today's rounds so far: each grid worker has visited most of their grid's points."""
    from zoneinfo import ZoneInfo

    from flask import current_app

    from events.intake import distance_m
    local = now.astimezone(ZoneInfo(current_app.config["LOCAL_TIMEZONE"]))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(midnight, local - timedelta(hours=8))  # today's rounds, up to 8 hours of them
    for member in db.session.scalars(select(GridMember).join(User).where(
            User.role == "grid_worker")):
        for point in db.session.scalars(select(QrPoint).where(QrPoint.grid_id == member.grid_id)):
            if rng.random() < 0.3:
                continue
            at = start + (now - start) * rng.random()
            lat, lon = point.lat + rng.uniform(-2e-4, 2e-4), point.lon + rng.uniform(-2e-4, 2e-4)
            db.session.add(CheckIn(user_id=member.user_id, point_id=point.id,
                                   grid_id=point.grid_id, at=at, lat=lat, lon=lon,
                                   accuracy_m=rng.choice((8, 12, 20, 35)),
                                   distance_m=round(distance_m(lat, lon, point.lat, point.lon)),
                                   key=f"demo-{member.user_id}-{point.id}"))


def seed_demo(now: datetime, *, password: str | None = None, cases: int = 300,
              if_empty: bool = False, history: bool = False) -> list[str]:
    """Create the demo world once; on later runs only (re)set passwords when one is given."""
    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        return ["database already has users: no demo data loaded"]
    exists = db.session.scalar(select(Region.id).where(Region.code == COUNTY[0]))
    generated = password is None
    password = password or secrets.token_urlsafe(9)
    if exists:
        if generated:
            return ["demo data already present; pass --password to reset demo passwords"]
        for user in db.session.scalars(select(User)):
            user.password_hash = hash_password(password)
        return ["demo data already present; demo passwords reset"]
    rng = random.Random(20261129)
    added, _ = load_categories()
    held = set(held_years())
    for year in package_years():
        if year not in held:
            enter_year(year)
    county, towns = _build_places(rng)
    _build_departments(towns)
    _build_users(county, towns, password)
    _build_qr_points(rng)
    _build_cases(rng, towns, cases, now)
    if cases:
        _build_check_ins(rng, now)
        from demo.care import build_care
        build_care(rng, now)
    made = None
    if history:  # the programme's two years: more 示范镇 and their cases (demo/history.py)
        from demo.history import generate_history
        made = generate_history(now, rng, hash_password(password))
    db.session.flush()
    from programme.services import enter_marked_towns
    enter_marked_towns(now, "演示数据")
    if cases:
        from demo.programme import build_ledger
        build_ledger(now)
    if made:  # last year's assessments published, this year's reckoned as the data stand
        from demo.programme import publish_last_year
        publish_last_year(now)
    from events.sweep import escalate_due
    swept = escalate_due(now)
    totals = dict(db.session.execute(select(Event.state, func.count()).group_by(Event.state)).all())
    lines = [f"categories: {added}; towns: {len(towns)}; grids: "
             f"{db.session.scalar(select(func.count()).select_from(Grid))}; "
             f"users: {db.session.scalar(select(func.count()).select_from(User))}",
             "cases: " + ", ".join(f"{state} {count}" for state, count in sorted(totals.items())),
             f"escalation: {swept}",
             "demo users: " + ", ".join(DEMO_USERS + (("province",) if made else ()))
             + " (grid workers w…, handlers h… too)"]
    if made:
        lines.insert(2, f"programme history: {made['towns']} demonstration towns, "
                        f"{made['cases']} past cases")
    if generated:
        lines.append(f"password for every demo user: {password}")
    return lines
