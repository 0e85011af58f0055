"""巡查打卡: a grid worker scans a QR point of their grid and the visit is recorded — the
evidence of daily rounds (垃圾日产日清, 清雪). The day view says which points of the grid were
visited and which not; the desk sees each worker's visits and each grid's coverage."""
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from auth.models import User
from core import clock
from core.errors import Forbidden, InvalidInput
from core.extensions import db
from events.filters import local_midnight
from events.intake import distance_m
from field.models import CheckIn
from grid.models import Grid, GridMember
from portal.models import QrPoint

#: a position less accurate than this says little about where the worker stood
MAX_ACCURACY_M = 5000


def _position(lat, lon, accuracy) -> tuple[float | None, float | None, float | None]:
    """The phone's position as sent (text from a form, numbers from JSON), checked: all
    three or none."""
    if lat in (None, "") and lon in (None, ""):
        return None, None, None
    try:
        lat, lon = float(lat), float(lon)
        accuracy = float(accuracy) if accuracy not in (None, "") else None
    except (TypeError, ValueError):
        raise InvalidInput(_("位置无效"), fields={"lat": ["not a number"]}) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (
            accuracy is not None and not 0 <= accuracy <= 100_000):
        raise InvalidInput(_("位置无效"), fields={"lat": ["out of range"]})
    return lat, lon, accuracy


def may_check_in(user, point: QrPoint) -> bool:
    """A grid worker checks in at the points of their own grids."""
    return user.role == "grid_worker" and point.grid_id in user.grid_ids


def check_in(user, point: QrPoint, now: datetime, *, key: str, lat=None, lon=None,
             accuracy=None) -> tuple[CheckIn, bool]:
    """Record a visit, in the caller's unit of work: (check-in, created). The same key again
    (a second tap, a replay after a lost signal) answers with the first."""
    if not may_check_in(user, point):
        raise Forbidden(_("只能在本人负责网格的点位打卡"))
    key = (key or "").strip()
    if not key or len(key) > 64:
        raise InvalidInput(_("打卡缺少编号，请刷新页面后再试"), fields={"key": ["1–64 characters"]})
    existing = db.session.scalar(select(CheckIn).where(CheckIn.user_id == user.id,
                                                       CheckIn.key == key))
    if existing is not None:
        return existing, False
    lat, lon, accuracy = _position(lat, lon, accuracy)
    visit = CheckIn(user_id=user.id, point_id=point.id, grid_id=point.grid_id, at=now,
                    lat=lat, lon=lon, accuracy_m=accuracy, key=key,
                    distance_m=round(distance_m(lat, lon, point.lat, point.lon))
                    if lat is not None else None)
    db.session.add(visit)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # the same key from a parallel request won
        return db.session.scalar(select(CheckIn).where(CheckIn.user_id == user.id,
                                                       CheckIn.key == key)), False
    return visit, True


def local_day(day: date) -> tuple[datetime, datetime]:
    """The towns' day as a UTC [start, end)."""
    return local_midnight(day), local_midnight(day, 1)


def today() -> date:
    return clock.utcnow().astimezone(ZoneInfo(current_app.config["LOCAL_TIMEZONE"])).date()


@dataclass
class PointVisits:
    point: QrPoint
    visits: list  # the day's check-ins at the point, first first


def day_view(grids, day: date, user_id: int | None = None) -> list[tuple[Grid, list]]:
    """Per grid, its active points with the day's check-ins (all workers', or one's)."""
    start, end = local_day(day)
    grid_ids = [g.id for g in grids]
    points = db.session.scalars(select(QrPoint).where(
        QrPoint.grid_id.in_(grid_ids), QrPoint.is_active.is_(True))
        .order_by(QrPoint.grid_id, QrPoint.id)).all()
    query = select(CheckIn).where(CheckIn.grid_id.in_(grid_ids), CheckIn.at >= start,
                                  CheckIn.at < end).order_by(CheckIn.at)
    if user_id is not None:
        query = query.where(CheckIn.user_id == user_id)
    by_point: dict[int, list] = {}
    for visit in db.session.scalars(query):
        by_point.setdefault(visit.point_id, []).append(visit)
    return [(grid, [PointVisits(p, by_point.get(p.id, [])) for p in points
                    if p.grid_id == grid.id]) for grid in grids]


@dataclass
class WorkerDay:
    user: User
    grid: Grid
    visits: int
    points_visited: int
    points: int
    first: datetime | None
    last: datetime | None

    @property
    def coverage(self) -> float:
        return self.points_visited / self.points if self.points else 0.0


def desk_view(grids, day: date) -> list[WorkerDay]:
    """Each worker of each grid on the day: visits, points visited of the grid's points,
    first and last check-in — for the dispatchers and supervisors over those grids."""
    start, end = local_day(day)
    grid_ids = [g.id for g in grids]
    points = dict(db.session.execute(
        select(QrPoint.grid_id, func.count()).where(QrPoint.grid_id.in_(grid_ids),
                                                    QrPoint.is_active.is_(True))
        .group_by(QrPoint.grid_id)).all())
    stats = {(row.user_id, row.grid_id): row for row in db.session.execute(
        select(CheckIn.user_id, CheckIn.grid_id, func.count().label("visits"),
               func.count(CheckIn.point_id.distinct()).label("points"),
               func.min(CheckIn.at).label("first"), func.max(CheckIn.at).label("last"))
        .where(CheckIn.grid_id.in_(grid_ids), CheckIn.at >= start, CheckIn.at < end)
        .group_by(CheckIn.user_id, CheckIn.grid_id))}
    by_id = {g.id: g for g in grids}
    rows = []
    for user, grid_id in db.session.execute(
            select(User, GridMember.grid_id).join(GridMember, GridMember.user_id == User.id)
            .where(GridMember.grid_id.in_(grid_ids), User.role == "grid_worker",
                   User.is_enabled.is_(True)).order_by(GridMember.grid_id, User.username)):
        row = stats.get((user.id, grid_id))
        rows.append(WorkerDay(user, by_id[grid_id], row.visits if row else 0,
                              row.points if row else 0, points.get(grid_id, 0),
                              row.first if row else None, row.last if row else None))
    return rows
