"""巡访+互助 (issue 14, item 11 of the plan): the register of left-behind elderly per grid,
their visit schedule by risk level, the visits, the neighbours paired to help, the cold
waves that bring extra rounds, and the log of who read which record.

The register is the most sensitive data in the system: only the grid's workers, the
town's dispatchers and admins see a person (care/access.py); each read of a record is a
CareAccess row."""
from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, event)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db
from core.types import UTCDateTime

RISKS = ("high", "medium", "low")
LIVING = ("alone", "couple", "with_grandchildren", "other")
#: the visit's checklist: 身体, 取暖, 饮食, 居住安全, 精神 — each 正常 (True) or 需关注 (False)
CHECKS = ("health", "heating", "food", "safety", "mood")
#: a visit at the home, or a call (or visit) by the paired neighbour, recorded by the worker
KINDS = ("visit", "helper_call")
UNITS = ("day", "month")


class CareSchedule(db.Model):
    """How often a person of each risk level is visited (natural days or calendar months:
    visits go on over holidays and the Spring Festival), and how often during a cold wave.
    Admins edit it; migration 0029 enters the defaults (高 weekly, 中 every two weeks, 低
    monthly; in a cold wave 高 every 2 days, 中 every 3, 低 weekly)."""
    __tablename__ = "care_schedule"

    risk: Mapped[str] = mapped_column(String(8), primary_key=True)
    every: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(8))
    cold_wave_days: Mapped[int] = mapped_column(Integer)


class CareHelper(db.Model):
    """A neighbour who helps (互助): one may be paired with several people."""
    __tablename__ = "care_helper"

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"), index=True)
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CarePerson(db.Model):
    __tablename__ = "care_person"
    __table_args__ = (Index("ix_care_person_grid_due", "grid_id", "next_due_on"),
                      Index("ix_care_person_town_due", "town_id", "next_due_on"))

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    town_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    name: Mapped[str] = mapped_column(String(32))
    birth_year: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(20), default="")
    guardian_name: Mapped[str] = mapped_column(String(32), default="")
    guardian_phone: Mapped[str] = mapped_column(String(20), default="")
    guardian_relation: Mapped[str] = mapped_column(String(16), default="")
    living: Mapped[str] = mapped_column(String(24))
    risk: Mapped[str] = mapped_column(String(8))
    notes: Mapped[str] = mapped_column(Text, default="")
    helper_id: Mapped[int | None] = mapped_column(ForeignKey("care_helper.id"))
    helper_since: Mapped[date | None] = mapped_column(Date)
    registered_on: Mapped[date] = mapped_column(Date)
    #: the last visit's local day (None: none yet — the schedule counts from registration)
    last_visit_on: Mapped[date | None] = mapped_column(Date)
    #: the day the next visit is due (kept by care/schedule.py on every change)
    next_due_on: Mapped[date | None] = mapped_column(Date)
    #: None while on the register; the day and why they left it (moved, in care, died)
    left_on: Mapped[date | None] = mapped_column(Date)
    left_reason: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    grid = relationship("Grid", lazy="joined")
    helper: Mapped[CareHelper | None] = relationship(lazy="joined")


class CareVisit(db.Model):
    __tablename__ = "care_visit"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_care_visit_user_key"),
                      # a person's visits by day: the history, coverage's reads
                      Index("ix_care_visit_person_on", "person_id", "visited_on", "visited_at"),
                      Index("ix_care_visit_grid_at", "grid_id", "visited_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("care_person.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(16), default="visit")
    helper_id: Mapped[int | None] = mapped_column(ForeignKey("care_helper.id"))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the visit's local day: what the schedule counts with
    visited_on: Mapped[date] = mapped_column(Date)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    #: metres from the phone to the home, when both are known
    distance_m: Mapped[int | None] = mapped_column(Integer)
    checks: Mapped[dict] = mapped_column(JSON)
    needs: Mapped[str] = mapped_column(Text, default="")
    photo_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the case raised from the visit (a broken heater …), if any
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    #: the phone's key: the same visit sent again (no signal, then a retry) is stored once
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    person = relationship(CarePerson)
    user = relationship("User", lazy="joined")
    helper = relationship(CareHelper, lazy="joined")
    event = relationship("Event", lazy="joined")
    photos = relationship("Attachment", secondary="care_visit_photo", lazy="selectin",
                          order_by="Attachment.id")


class CareVisitPhoto(db.Model):
    __tablename__ = "care_visit_photo"

    visit_id: Mapped[int] = mapped_column(ForeignKey("care_visit.id"), primary_key=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachment.id"), primary_key=True,
                                               unique=True)


class ColdWave(db.Model):
    """寒潮: a town's days of extra rounds (the schedule's cold-wave interval applies)."""
    __tablename__ = "care_cold_wave"

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    town = relationship("Region", lazy="joined")


class CareAccess(db.Model):
    """Who read a person's record, when, from where (访问留痕): append-only."""
    __tablename__ = "care_access"
    __table_args__ = (Index("ix_care_access_person_at", "person_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("care_person.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: record (the page, the edit form or the API's read), list (named in the register's
    #: page or a list of due visits), photo (a visit's photo), edit
    action: Mapped[str] = mapped_column(String(8))
    #: page, api, phone
    via: Mapped[str] = mapped_column(String(8))
    ip: Mapped[str | None] = mapped_column(String(45))

    user = relationship("User", lazy="joined")


class CareEscalation(db.Model):
    """A ladder step a late visit reached (1 催办, 2 超期, 3 督办): once per due day and step."""
    __tablename__ = "care_escalation"

    person_id: Mapped[int] = mapped_column(ForeignKey("care_person.id"), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AppendOnly(Exception):
    pass


@event.listens_for(CareAccess, "before_update")
@event.listens_for(CareAccess, "before_delete")
def _refuse(_mapper, _connection, _target):
    raise AppendOnly("the access log is never changed or removed")
