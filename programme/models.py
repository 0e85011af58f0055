"""示范镇名录 (issue 15): the demonstration towns of the provincial plan and the candidates
for it — level, designated year, status — with every change kept: who decided, when, under
which document (文号)."""
from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db
from core.types import UTCDateTime

LEVELS = ("省级", "市级", "县级")
#: 候选 (declared, not chosen), 在建 (designated), 淘汰 (out after the assessment),
#: 递补入选 (stepped up to replace an eliminated town)
STATUSES = ("candidate", "building", "eliminated", "promoted")
#: the statuses of a demonstration town in the programme (counted against the quotas)
IN_PROGRAMME = ("building", "promoted")
#: the API's level names
API_LEVELS = {"provincial": "省级", "city": "市级", "county": "县级"}


class ProgrammeTown(db.Model):
    __tablename__ = "programme_town"
    __table_args__ = (Index("ix_programme_town_level_status", "level", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("region.id"), unique=True)
    level: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(12))
    designated_year: Mapped[int | None] = mapped_column(Integer)
    # the facts a 申报 carries
    population: Mapped[int | None] = mapped_column(Integer)
    area_km2: Mapped[float | None] = mapped_column(Float)
    industry: Mapped[str] = mapped_column(String(200), default="")
    #: the town's 十四五 plan (PDF) in the upload storage, and its name as uploaded
    plan_key: Mapped[str | None] = mapped_column(String(128))
    plan_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    town = relationship("Region", lazy="joined")
    changes: Mapped[list["ProgrammeChange"]] = relationship(
        back_populates="entry", order_by="ProgrammeChange.id", lazy="selectin")


class ProgrammeChange(db.Model):
    """One decision on an entry, kept for ever (append-only)."""
    __tablename__ = "programme_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("programme_town.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: the actor's name as it was ("命令行" for the command line, "迁移" for migration 0030)
    actor_name: Mapped[str] = mapped_column(String(64))
    #: create (listed as a candidate or a town), designate, status, level, facts, plan
    action: Mapped[str] = mapped_column(String(12))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    #: the decision's document number (文号), required for a designation or a status change
    document_no: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")

    entry: Mapped[ProgrammeTown] = relationship(back_populates="changes")


class AppendOnly(Exception):
    pass


@event.listens_for(ProgrammeChange, "before_update")
@event.listens_for(ProgrammeChange, "before_delete")
def _refuse(_mapper, _connection, _target):
    raise AppendOnly("a registry's history is never changed or removed")
