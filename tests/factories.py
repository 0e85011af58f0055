"""Small builders for tests that need a place, people or a case, without the demo county.

Each builder writes inside the caller's unit of work (tests.support.writing) and returns
the row it made. A test states only what it is about — a town with two grids, a department
that handles garbage, a case waiting to be checked — so the demo can grow (dashboards need
more of it) without moving unrelated tests.

    with writing(app):
        town = make_town(grids=2)
        handler = make_user("h1", "handler", department=make_department(town))
        case = make_case(town.grids[0], state="accepted")
"""
from datetime import datetime, timezone
from itertools import count

from sqlalchemy import select

from auth.models import User
from auth.services import hash_password
from core.extensions import db
from events import intake, services
from events.catalogue import load_categories
from events.models import Category, Department, RoutingRule
from grid.locate import grid_fields
from grid.models import Grid, GridMember, Region

PASSWORD = "factory-pass-1"
#: 2026-03-10 10:00 Shanghai, a Tuesday (the suite's usual instant)
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)
_serial = count(1)
#: grids are squares of this many degrees, side by side eastwards (far from the demo county)
SIDE = 0.01


def _region(code, name, level, parent):
    region = Region(code=code, name=name, level=level, parent=parent,
                    path=(parent.path if parent else "") + code + "/")
    db.session.add(region)
    db.session.flush()
    return region


def make_county(code: str | None = None) -> Region:
    """A province → city → county chain of its own."""
    n = next(_serial) % 100  # codes have two digits for it (tables are emptied between tests)
    province = _region(f"9{n:02d}000000000"[:12], f"测试省{n}", "province", None)
    city = _region(f"9{n:02d}100000000"[:12], f"测试市{n}", "city", province)
    return _region(code or f"9{n:02d}101000000"[:12], f"测试县{n}", "county", city)


def make_town(*, grids: int = 1, county: Region | None = None, name: str | None = None,
              origin=(30.0, 100.0)) -> Region:
    """A town of `grids` square grids in a row from `origin` (lat, lon); town.grids lists them."""
    county = county or make_county()
    # three digits in the code, never 000 (that would be the county's own code); the serial
    # runs on across tests
    n = next(_serial) % 999 + 1
    town = _region(county.code[:6] + f"{n:03d}000", name or f"测试镇{n}", "town", county)
    lat0, lon0 = origin[0] + n * 0.1, origin[1]
    made = []
    for index in range(grids):
        west = lon0 + index * SIDE
        ring = [[west, lat0], [west + SIDE, lat0], [west + SIDE, lat0 + SIDE],
                [west, lat0 + SIDE], [west, lat0]]
        grid = Grid(code=f"{town.code}{index + 1:03d}", name=f"{town.name}第{index + 1}网格",
                    town_id=town.id, **grid_fields({"type": "Polygon", "coordinates": [ring]}))
        db.session.add(grid)
        made.append(grid)
    db.session.flush()
    town.grids = made
    return town


def catalogue() -> None:
    """The real category catalogue (data/categories.csv), once per database."""
    if db.session.scalar(select(Category.id).limit(1)) is None:
        load_categories()


def make_department(town: Region, *, short: str = "HW", name: str = "环卫所",
                    categories=("06010",)) -> Department:
    """A department of the town, routed the given categories there (责任清单)."""
    catalogue()
    department = Department(code=f"{town.code}-{short}", name=name, region_id=town.id)
    db.session.add(department)
    db.session.flush()
    for code in categories:
        category = db.session.scalar(select(Category).where(Category.code == code))
        db.session.add(RoutingRule(category_id=category.id, region_id=town.id,
                                   department_id=department.id))
    db.session.flush()
    return department


def make_user(username: str, role: str, *, town: Region | None = None, grids=(),
              department: Department | None = None, region: Region | None = None,
              head: bool = False, email: str | None = None) -> User:
    """A staff account: a worker of `grids`, a dispatcher of `town`, a handler of
    `department`, a supervisor of `region`."""
    scope = region or town
    if scope is None and grids:
        scope = grids[0].town
    if scope is None and department is not None:
        scope = db.session.get(Region, department.region_id)
    user = User(username=username, role=role, display_name=username, email=email,
                password_hash=hash_password(PASSWORD), region_id=scope.id if scope else None,
                department_id=department.id if department else None,
                is_department_head=head and role == "handler")
    db.session.add(user)
    db.session.flush()
    for grid in grids:
        db.session.add(GridMember(grid_id=grid.id, user_id=user.id, grid_role="worker"))
    db.session.flush()
    db.session.refresh(user)
    return user


#: the road from a patrol report (filed) to each state, as (action, who, parameters)
ROAD = {
    "filed": (),
    "dispatched": (("dispatch", "dispatcher", {}),),
    "accepted": (("dispatch", "dispatcher", {}), ("accept", "handler", {})),
    "handled": (("dispatch", "dispatcher", {}), ("accept", "handler", {}),
                ("handle", "handler", {"note": "已清理"})),
    "closed": (("dispatch", "dispatcher", {}), ("accept", "handler", {}),
               ("handle", "handler", {"note": "已清理"}), ("close", "worker", {"note": "核查通过"})),
    "suspended": (("suspend", "dispatcher", {"note": "等待天气好转"}),),
}


def make_case(grid: Grid, *, state: str = "filed", category: str = "06010", now=NOW,
              description: str = "路边堆放生活垃圾", people: dict | None = None):
    """A patrol report in `grid`, walked through the real services to `state`. The grid's
    worker, the town's dispatcher and the routed department's handler act; they are made
    when `people` ({"worker": …, "dispatcher": …, "handler": …}) does not name them."""
    catalogue()
    people = dict(people or {})
    n = next(_serial)
    if "worker" not in people:
        people["worker"] = make_user(f"f-worker-{n}", "grid_worker", grids=[grid])
    if "dispatcher" not in people and any(who == "dispatcher" for _a, who, _p in ROAD[state]):
        people["dispatcher"] = make_user(f"f-dispatcher-{n}", "dispatcher", town=grid.town)
    event, _ = intake.create_event(people["worker"], now, category_code=category,
                                   lat=grid.centroid_lat, lon=grid.centroid_lon,
                                   description=description)
    for action, who, params in ROAD[state]:
        if action == "dispatch":
            department = db.session.scalar(select(Department).join(
                RoutingRule, RoutingRule.department_id == Department.id).where(
                RoutingRule.region_id == grid.town_id, Department.region_id == grid.town_id))
            if department is None:
                department = make_department(grid.town, categories=(category,))
            params = {"department_code": department.code}
            if "handler" not in people:
                people["handler"] = make_user(f"f-handler-{n}", "handler", department=department)
        services.perform_action(people[who], event, action, now, **params)
    db.session.flush()
    return event
