"""示范镇名录 (issue 15): the demonstration towns of the provincial plan and the candidates
for it — level, designated year, status — with every change kept: who decided, when, under
which document (文号)."""
from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, event)
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
    #: the actor's name as it was ("系统" for the demo or a command, "迁移" for migration 0030)
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


class LedgerProject(db.Model):
    """清单化管理: one of a town's projects under an item of the plan's responsibility list
    (data/responsibility_list.csv, items 1–20), e.g. 供水管网改造 3.2 km under item 4."""
    __tablename__ = "ledger_project"
    __table_args__ = (Index("ix_ledger_project_entry_item", "entry_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("programme_town.id"))
    item: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    responsible: Mapped[str] = mapped_column(String(200))
    target: Mapped[str] = mapped_column(String(200), default="")
    #: 万元
    budget: Mapped[float | None] = mapped_column(Float)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    milestones: Mapped[list["LedgerMilestone"]] = relationship(
        back_populates="project", order_by="LedgerMilestone.due_on, LedgerMilestone.id",
        lazy="selectin")


class LedgerMilestone(db.Model):
    __tablename__ = "ledger_milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("ledger_project.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date] = mapped_column(Date)
    #: its share of the project (the roll-up weighs milestones by it)
    weight: Mapped[int] = mapped_column(Integer, default=1)
    #: the latest reported percent complete (0–100) and money spent so far (万元)
    percent: Mapped[int] = mapped_column(Integer, default=0)
    spent: Mapped[float] = mapped_column(Float, default=0)
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    project: Mapped[LedgerProject] = relationship(back_populates="milestones")


class ProgressReport(db.Model):
    """定期调度: a town's monthly progress report — each milestone's percent and money spent,
    problems needing help, photos. One per town and month; sent again, it is revised."""
    __tablename__ = "progress_report"
    __table_args__ = (UniqueConstraint("entry_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("programme_town.id"))
    #: the month reported on (its first day)
    month: Mapped[date] = mapped_column(Date)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    submitted_by_name: Mapped[str] = mapped_column(String(64))
    problems: Mapped[str] = mapped_column(Text, default="")
    help_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    revised: Mapped[int] = mapped_column(Integer, default=0)

    lines: Mapped[list["ProgressLine"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="ProgressLine.milestone_id")
    photos = relationship("Attachment", secondary="progress_report_photo", lazy="selectin",
                          order_by="Attachment.id")


class ProgressLine(db.Model):
    __tablename__ = "progress_line"

    report_id: Mapped[int] = mapped_column(ForeignKey("progress_report.id"), primary_key=True)
    milestone_id: Mapped[int] = mapped_column(ForeignKey("ledger_milestone.id"),
                                              primary_key=True)
    percent: Mapped[int] = mapped_column(Integer)
    spent: Mapped[float] = mapped_column(Float)

    milestone = relationship(LedgerMilestone, lazy="joined")


class ProgressReportPhoto(db.Model):
    __tablename__ = "progress_report_photo"

    report_id: Mapped[int] = mapped_column(ForeignKey("progress_report.id"), primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id"), primary_key=True,
                                               unique=True)


class ReportEscalation(db.Model):
    """A ladder step a missing monthly report reached (1 催报, 2 超期, 3 督办): once each."""
    __tablename__ = "report_escalation"

    entry_id: Mapped[int] = mapped_column(ForeignKey("programme_town.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Assessment(db.Model):
    """A year's 考核 of one level, published under a 文号: its results are kept as they were
    (the rows below never change), whatever weights or cases change later."""
    __tablename__ = "programme_assessment"
    __table_args__ = (UniqueConstraint("year", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(4))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    actor_name: Mapped[str] = mapped_column(String(64))
    document_no: Mapped[str] = mapped_column(String(64))
    #: the part weights it was scored with
    weights: Mapped[dict] = mapped_column(JSON)
    #: the 市级 town it named to step up (递补), if it warned anyone of elimination
    candidate_town_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))

    rows: Mapped[list["AssessmentRow"]] = relationship(
        lazy="selectin", order_by="AssessmentRow.position")
    candidate = relationship("Region", lazy="joined")


class AssessmentRow(db.Model):
    __tablename__ = "programme_assessment_row"

    assessment_id: Mapped[int] = mapped_column(ForeignKey("programme_assessment.id"),
                                               primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("region.id"), primary_key=True)
    #: its place in the published order (unranked towns last)
    position: Mapped[int] = mapped_column(Integer)
    town_code: Mapped[str] = mapped_column(String(12))
    town_name: Mapped[str] = mapped_column(String(64))
    score: Mapped[float | None] = mapped_column(Float)
    grade: Mapped[str | None] = mapped_column(String(1))
    #: construction, governance, duties (0–100 or null)
    parts: Mapped[dict] = mapped_column(JSON)
    rank: Mapped[int | None] = mapped_column(Integer)
    mark: Mapped[str | None] = mapped_column(String(20))


@event.listens_for(Assessment, "before_update")
@event.listens_for(Assessment, "before_delete")
@event.listens_for(AssessmentRow, "before_update")
@event.listens_for(AssessmentRow, "before_delete")
def _published(_mapper, _connection, _target):
    raise AppendOnly("a published assessment is never changed or removed")
