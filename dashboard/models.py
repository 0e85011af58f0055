"""The rollups' tables (dashboard/rollups.py): counters per (town, cohort day, fact day, …).

Two grains of the same counters: `rollup_cell` per town × grid × department × category ×
source — what a filter by grid or category reads —, `rollup_department` per town × department
× source, what a department's figures and the departments' tables read, and `rollup_town` per
town × source, what a region's figures and the rankings read (a county's year is a few
thousand rows);
and `rollup_month`, the reports of each month per town × grid × category × source (the
"most reported" charts of long periods).
Days are the towns' local dates (Asia/Shanghai). `department_id` 0 is "no department".
Plain tables: rows are written only by upserts of counter deltas, never loaded as objects."""
from datetime import datetime

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import utcnow
from core.extensions import db
from core.types import UTCDateTime

#: what a case's facts count (dashboard/rollups.py says which fact adds to which)
COUNTERS = ("reported", "rejected", "filed", "due", "closed", "closed_on_time", "reworks",
            "extended", "returned", "handled", "handled_on_time", "handle_sec", "verified",
            "verified_on_time", "checked", "checked_on_time", "rated", "satisfied")
CELL_KEYS = ("town_id", "cohort", "day", "grid_id", "department_id", "category_id", "source")
TOWN_KEYS = ("town_id", "cohort", "day", "source")
DEPARTMENT_KEYS = ("town_id", "cohort", "day", "department_id", "source")
#: the reports of a whole month per grid and category: a year's "most reported" charts read
#: twelve months of these instead of a year of cells
MONTH_KEYS = ("town_id", "month", "grid_id", "category_id", "source")
MONTH_COUNTERS = ("reported",)


def _key(name: str) -> Column:
    kind = String(16) if name == "source" else \
        Date() if name in ("cohort", "day", "month") else Integer()
    return Column(name, kind, primary_key=True, autoincrement=False)


def _counters(names=COUNTERS) -> list[Column]:
    return [Column(name, Integer, nullable=False, server_default="0") for name in names]


rollup_cell = Table("rollup_cell", db.metadata, *map(_key, CELL_KEYS), *_counters())
rollup_town = Table("rollup_town", db.metadata, *map(_key, TOWN_KEYS), *_counters())
rollup_department = Table("rollup_department", db.metadata, *map(_key, DEPARTMENT_KEYS),
                          *_counters())
rollup_month = Table("rollup_month", db.metadata, *map(_key, MONTH_KEYS),
                     *_counters(MONTH_COUNTERS))


class ScoreWeight(db.Model):
    """An admin's weight of a rate in a 综合指标值 (dashboard/weights.py); a kind without
    rows scores with the defaults of dashboard/metrics.py."""

    __tablename__ = "score_weight"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # town / department
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    weight: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
