"""清雪作战 (issue 14, item 14 of the plan): a declared snowfall, one clearing task per grid of
the towns it covers, and the snow points (QR points marked with a road class) each task
must clear "以无积冰、无残雪、露出地面为标准"."""
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db
from core.types import UTCDateTime
from portal.models import SNOW_CLASSES

LEVELS = ("小雪", "中雪", "大雪", "暴雪")
ROAD_CLASSES = SNOW_CLASSES  # the QR points' road classes (portal.models)
#: a grid with no snow point: its own roads, cleared within this class's limit
GRID_ROADS = "次干道"
#: a point: not started, in progress, reported cleared by a department (待核查), cleared
#: (its photo check passed); a task: not started, in progress, cleared (every point)
STATES = ("not_started", "in_progress", "reported", "cleared")


class SnowLimit(db.Model):
    """Hours from the snow's stop to cleared, per snow level and road class (natural hours:
    snow is cleared at night and on holidays). Admins edit it; migration 0025 enters the
    defaults (中雪: 主干道 12 h, 次干道 24 h, 背街小巷 48 h, 公共场所 24 h)."""
    __tablename__ = "snow_limit"

    level: Mapped[str] = mapped_column(String(4), primary_key=True)
    road_class: Mapped[str] = mapped_column(String(8), primary_key=True)
    hours: Mapped[float] = mapped_column(Float)


class SnowOperation(db.Model):
    __tablename__ = "snow_operation"

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(4))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: when the snow stopped: every deadline counts from it (None: still snowing)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    tasks: Mapped[list["SnowTask"]] = relationship(
        back_populates="operation", order_by="SnowTask.id", lazy="selectin")


class SnowTask(db.Model):
    """One grid's clearing in one operation."""
    __tablename__ = "snow_task"
    __table_args__ = (UniqueConstraint("operation_id", "grid_id"),
                      Index("ix_snow_task_town", "town_id", "operation_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[int] = mapped_column(ForeignKey("snow_operation.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    town_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    state: Mapped[str] = mapped_column(String(12), default="not_started")
    #: the latest of its points' deadlines (None until the snow stops)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    operation: Mapped[SnowOperation] = relationship(back_populates="tasks")
    grid = relationship("Grid", lazy="joined")
    points: Mapped[list["SnowTaskPoint"]] = relationship(
        back_populates="task", order_by="SnowTaskPoint.id", lazy="selectin")


class SnowTaskPoint(db.Model):
    """A place a task must clear: a snow point (QR point), or the grid's roads (no point)."""
    __tablename__ = "snow_task_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("snow_task.id"), index=True)
    qr_point_id: Mapped[int | None] = mapped_column(ForeignKey("qr_point.id"))
    label: Mapped[str] = mapped_column(String(64))
    road_class: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(12), default="not_started")
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    task: Mapped[SnowTask] = relationship(back_populates="points")


#: the standard's three checks (以无积冰、无残雪、露出地面为标准), each a tick on a photo
CHECKS = ("no_ice", "no_residual_snow", "ground_visible")
#: what may be said of a point: started, cleared (with a photo and the three ticks),
#: and — of a department's "cleared" — passed or failed by the grid worker or dispatcher
POINT_ACTIONS = ("start", "clear", "pass", "fail")


class SnowReport(db.Model):
    """One word on a point's progress, kept: who, what, the ticks, the photos."""
    __tablename__ = "snow_report"
    __table_args__ = (Index("uq_snow_report_actor_key", "actor_id", "action_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(ForeignKey("snow_task_point.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(8))
    checks: Mapped[dict | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the phone's key for this word: sent again (no signal, then a retry) it is not said twice
    action_key: Mapped[str | None] = mapped_column(String(64))

    photos = relationship("Attachment", secondary="snow_report_photo", lazy="selectin",
                          order_by="Attachment.id")


class SnowReportPhoto(db.Model):
    __tablename__ = "snow_report_photo"

    report_id: Mapped[int] = mapped_column(ForeignKey("snow_report.id"), primary_key=True)
    #: a photo tells of one report only
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id"), primary_key=True,
                                               unique=True)


class SnowEscalation(db.Model):
    """A ladder step a late task reached (1 催办 … 4 超期三级): once each, whoever sweeps."""
    __tablename__ = "snow_escalation"

    task_id: Mapped[int] = mapped_column(ForeignKey("snow_task.id"), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime)
