"""Shared by the care tests: a person on the register, placed at their grid's middle."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from auth.models import User
from care import services
from care.models import CarePerson
from core.extensions import db
from grid.models import Grid, GridMember
from tests.support import writing

CST = ZoneInfo("Asia/Shanghai")


def worker_grid(app, username="worker") -> str:
    with app.app_context():
        return db.session.scalar(select(Grid.code).join(GridMember, GridMember.grid_id == Grid.id)
                                 .join(User, User.id == GridMember.user_id)
                                 .where(User.username == username))


def middle(app, grid_code) -> tuple[float, float]:
    with app.app_context():
        grid = db.session.scalar(select(Grid).where(Grid.code == grid_code))
        return (grid.min_lat + grid.max_lat) / 2, (grid.min_lon + grid.max_lon) / 2


def add_person(app, *, grid_code=None, name="张桂兰", risk="high", registered: date,
               by="dispatcher", **fields) -> int:
    """A person registered on `registered` (the clock set to that day's 09:00)."""
    grid_code = grid_code or worker_grid(app)
    lat, lon = middle(app, grid_code)
    data = {"grid_code": grid_code, "name": name, "birth_year": 1942, "address": "河东村 3 组 12 号",
            "lat": lat, "lon": lon, "phone": "13800000001", "guardian_name": "李强",
            "guardian_phone": "13900000002", "guardian_relation": "儿子", "living": "alone",
            "risk": risk, "notes": "", **fields}
    with writing(app):
        actor = db.session.scalar(select(User).where(User.username == by))
        now = datetime.combine(registered, datetime.min.time().replace(hour=9), CST)
        return services.add_person(actor, data, now).id


def person(app, person_id) -> CarePerson:
    with app.app_context():
        found = db.session.get(CarePerson, person_id)
        db.session.expunge(found)
        return found
