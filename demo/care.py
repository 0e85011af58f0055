"""The demo's 巡访 register (issue 14): a few left-behind elderly in each grid of the demo
towns, half of them with a neighbour paired, and the last two months of visits — most on
time, some late, a few people overdue today — so the worker's list, the register and the
coverage figures have something to show. Names and numbers are made up."""
from datetime import datetime, timedelta

from sqlalchemy import select

from auth.models import User
from care import services
from care.models import CHECKS, CareHelper, CarePerson, CareVisit
from core.extensions import db
from events.filters import local_day
from events.intake import distance_m
from grid.models import Grid, GridMember

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ("桂兰", "秀英", "玉珍", "凤芝", "淑华", "德胜", "永福", "长海", "春生", "金山")
LIVING = ("alone", "alone", "couple", "with_grandchildren")
NEEDS = ("", "", "", "煤够用到月底", "想请人帮忙买降压药", "屋顶有一处漏风", "子女春节回来")


def build_care(rng, now: datetime) -> int:
    """People and their visits: how many people."""
    today = local_day(now)
    table = services.intervals()
    made = 0
    grids = db.session.scalars(select(Grid).order_by(Grid.code)).all()
    workers = dict(db.session.execute(
        select(GridMember.grid_id, GridMember.user_id).join(User)
        .where(User.role == "grid_worker")).all())
    for grid in grids:
        for _n in range(rng.randint(2, 4)):
            lat = rng.uniform(grid.min_lat, grid.max_lat)
            lon = rng.uniform(grid.min_lon, grid.max_lon)
            registered = today - timedelta(days=rng.randint(45, 75))
            person = CarePerson(
                grid_id=grid.id, town_id=grid.town_id,
                name=rng.choice(SURNAMES) + rng.choice(GIVEN), birth_year=rng.randint(1936, 1958),
                address=f"{grid.name.replace('网格', '')}村 {rng.randint(1, 9)} 组 {rng.randint(1, 40)} 号",
                lat=round(lat, 6), lon=round(lon, 6), phone=f"138{rng.randint(10000000, 99999999)}",
                guardian_name=rng.choice(SURNAMES) + rng.choice("强伟军磊"),
                guardian_phone=f"139{rng.randint(10000000, 99999999)}",
                guardian_relation=rng.choice(("儿子（外出务工）", "女儿（在县城）", "侄子")),
                living=rng.choice(LIVING), risk=rng.choice(("high", "medium", "medium", "low")),
                notes="", registered_on=registered,
                created_at=now, updated_at=now)
            if rng.random() < 0.5:
                helper = CareHelper(grid_id=grid.id, name=rng.choice(SURNAMES) + "大娘",
                                    phone=f"137{rng.randint(10000000, 99999999)}",
                                    address="同组邻居", created_at=now)
                db.session.add(helper)
                db.session.flush()
                person.helper_id, person.helper_since = helper.id, registered
            db.session.add(person)
            db.session.flush()
            _visits(rng, person, table[person.risk], workers.get(grid.id), today, now)
            made += 1
    services.refresh_due(db.session.scalars(select(CarePerson)).all())
    return made


def _visits(rng, person, interval, worker_id, today, now) -> None:
    from care.schedule import next_due
    if worker_id is None:
        return
    anchor = person.registered_on
    while True:
        due = next_due(anchor, interval)
        # most visits a day or two early, some a few days late; due days near today stay open
        day = due + timedelta(days=rng.choice((-2, -1, -1, 0, 0, 0, 1, 3)))
        if day >= today:
            break
        at = datetime.combine(day, datetime.min.time(), now.tzinfo) + timedelta(
            hours=rng.randint(1, 8))  # 09:00–16:00 in the towns (UTC+8)
        lat = person.lat + rng.uniform(-2e-4, 2e-4)
        lon = person.lon + rng.uniform(-2e-4, 2e-4)
        db.session.add(CareVisit(
            person_id=person.id, grid_id=person.grid_id, user_id=worker_id, kind="visit",
            visited_at=at, visited_on=day, lat=lat, lon=lon, accuracy_m=12,
            distance_m=round(distance_m(lat, lon, person.lat, person.lon)),
            checks={name: rng.random() > 0.08 for name in CHECKS}, needs=rng.choice(NEEDS),
            photo_consent=False, key=f"demo-{person.id}-{day.isoformat()}", created_at=at))
        person.last_visit_on = day
        anchor = day
