"""Regions (administrative divisions), grids (网格) and grid membership."""
from datetime import datetime

import re

from sqlalchemy import (JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
                        event as sa_event, inspect as sa_inspect, select)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db
from core.types import UTCDateTime

#: Division levels, top down. A town (镇/街道) is where cases are numbered and dispatched.
REGION_LEVELS = ("province", "city", "county", "town", "village")
#: 示范镇 levels named by the provincial plan.
DEMO_LEVELS = ("省级", "市级", "县级")
#: 网格长 / 网格员 / 信息员
GRID_ROLES = ("leader", "worker", "informant")
#: case numbers are String(16): a town's prefix, "-", year, "-", six digits
PREFIX_LENGTH = 4


class Region(db.Model):
    #: reference data: stays loaded when a write unit begins (core.database)
    stays_loaded = True
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 12-digit statistical division code (统计用区划代码)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    #: ancestor codes joined by "/", ending with "/": a subtree is a prefix match
    path: Mapped[str] = mapped_column(String(160), index=True)
    demo_level: Mapped[str | None] = mapped_column(String(8))
    demo_year: Mapped[int | None] = mapped_column(Integer)
    #: working periods, e.g. ["08:00-12:00", "13:30-17:30"]; None: inherit, else the default
    work_periods: Mapped[list | None] = mapped_column(JSON)
    #: a town's short name heading its case numbers (清河 → 清河-2026-000123): unique, so
    #: a number names one case in the whole county (and beyond)
    case_prefix: Mapped[str | None] = mapped_column(String(PREFIX_LENGTH), unique=True,
                                                      index=True)

    parent: Mapped["Region | None"] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"

#: what a town's name ends with, left out of its prefix (清河镇 → 清河)
_TOWN_SUFFIX = re.compile(r"(街道办事处|地区办事处|办事处|街道|民族乡|镇|乡|苏木)$")


def case_prefix_candidates(name: str):
    """Prefixes for a town named `name`, best first: its short name, then that short name
    cut to two characters with a counter (清河01 …) when another town has it already."""
    short = _TOWN_SUFFIX.sub("", name.strip()) or name.strip() or "镇"
    yield short[:PREFIX_LENGTH]
    for n in range(1, 100):
        yield f"{short[:2]}{n:02d}"


@sa_event.listens_for(Region, "before_insert")
def _town_gets_a_prefix(_mapper, connection, target):
    """Every new town numbers its cases under a prefix of its own, however it was made."""
    if target.level != "town" or target.case_prefix:
        return
    pending = {region.case_prefix for region in _pending_regions(target)}
    for candidate in case_prefix_candidates(target.name):
        if candidate in pending:
            continue
        taken = connection.execute(select(Region.id).where(
            Region.case_prefix == candidate)).first()
        if taken is None:
            target.case_prefix = candidate
            return
    raise ValueError(f"no free case number prefix for {target.name!r}")


def _pending_regions(target):
    session = sa_inspect(target).session
    return [obj for obj in (session.new if session else ())
            if isinstance(obj, Region) and obj is not target and obj.case_prefix]


class Grid(db.Model):
    #: reference data: stays loaded when a write unit begins (core.database)
    stays_loaded = True
    __tablename__ = "grid"
    __table_args__ = (Index("ix_grid_bbox", "min_lat", "max_lat", "min_lon", "max_lon"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: town code + 3 digits
    code: Mapped[str] = mapped_column(String(15), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    town_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    #: GeoJSON Polygon geometry (WGS84, [lon, lat] order)
    boundary: Mapped[str] = mapped_column(Text)
    centroid_lat: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)
    # Bounding box: an indexed pre-filter for point-in-grid lookup.
    min_lat: Mapped[float] = mapped_column(Float)
    max_lat: Mapped[float] = mapped_column(Float)
    min_lon: Mapped[float] = mapped_column(Float)
    max_lon: Mapped[float] = mapped_column(Float)
    #: retired (撤销): its cases keep their history; no new report or point lookup finds it
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    town: Mapped[Region] = relationship(foreign_keys=[town_id])
    village: Mapped[Region | None] = relationship(foreign_keys=[village_id])


class GridMember(db.Model):
    #: reference data: stays loaded when a write unit begins (core.database)
    stays_loaded = True
    __tablename__ = "grid_member"
    __table_args__ = (UniqueConstraint("grid_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    grid_role: Mapped[str] = mapped_column(String(16), default="worker")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    grid: Mapped[Grid] = relationship()
