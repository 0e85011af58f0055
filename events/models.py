"""Departments, categories, routing, cases (Event), their log and their photos."""
from datetime import datetime

from sqlalchemy import (JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, event as sa_event, false, inspect as sa_inspect, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import utcnow
from core.extensions import db
from core.types import UTCDateTime

#: the states with a running case (the open ones of the board; 挂账 excluded), and the same
#: as the partial index's condition: a query that names them as constants reads that index
OPEN_CASE_STATES = ("reported", "filed", "dispatched", "accepted", "handled")
OPEN_PLACE_WHERE = "state IN ('reported', 'filed', 'dispatched', 'accepted', 'handled')"
PHONE_WHERE = "reporter_phone IS NOT NULL"
SUPERVISED_WHERE = "supervise_count > 0"


class Department(db.Model):
    """责任单位 — the unit a case is dispatched to."""
    #: reference data: stays loaded when a write unit begins (core.database)
    stays_loaded = True

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    #: the region it serves (usually a town)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: bumped by every admin edit (two admins editing at once: the later form is refused)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    region = relationship("Region")


class Category(db.Model):
    """An incident type from the catalogue (GB/T 47678.5 codes where one exists)."""
    #: reference data: stays loaded when a write unit begins (core.database)
    stays_loaded = True

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(5), unique=True)
    major_code: Mapped[str] = mapped_column(String(2))
    major_name: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    #: 一般 (working-time clock), 紧急 (natural time), 分阶段 (staged)
    urgency: Mapped[str] = mapped_column(String(8))
    #: 处置时限: value + unit (wh 工作时, wd 工作日, h natural hours)
    limit_value: Mapped[float] = mapped_column(Float)
    limit_unit: Mapped[str] = mapped_column(String(2))
    #: the kind of unit that usually handles it, e.g. 环卫所; routing names the actual one
    default_department: Mapped[str] = mapped_column(String(64))
    seed_item: Mapped[int | None] = mapped_column(Integer)
    filing_criteria: Mapped[str] = mapped_column(Text, default="")
    closing_criteria: Mapped[str] = mapped_column(Text, default="")
    #: stage limits in minutes, counted on the same clock as the handling limit
    verify_limit_min: Mapped[int] = mapped_column(Integer)  # 核实
    dispatch_limit_min: Mapped[int] = mapped_column(Integer)  # 立案 + 派遣
    accept_limit_min: Mapped[int] = mapped_column(Integer)  # 签收
    check_limit_min: Mapped[int] = mapped_column(Integer)  # 核查
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: 自动派遣: a filed case goes to the routing rule's department with no dispatcher step
    auto_dispatch: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: who verifies (核实) a report: the grid's workers, or — for the catch-all 其他问题, which
    #: a grid worker cannot judge alone — the town's dispatchers
    verifier: Mapped[str] = mapped_column(String(16), default="grid_worker",
                                          server_default="grid_worker")
    #: bumped by every admin edit (two admins editing at once: the later form is refused)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @property
    def dispatcher_verifies(self) -> bool:
        return self.verifier == "dispatcher"


class RoutingRule(db.Model):
    """责任清单: category × region → department."""

    __tablename__ = "routing_rule"
    __table_args__ = (UniqueConstraint("category_id", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))

    department: Mapped[Department] = relationship()


class EventCounter(db.Model):
    """Last case number handed out per town and year."""

    __tablename__ = "event_counter"

    town_id: Mapped[int] = mapped_column(ForeignKey("region.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Event(db.Model):
    """A case (案件)."""

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("town_id", "number"),
        # a number names one case everywhere: the town's prefix heads it (清河-2026-000123)
        Index("ux_event_number", "number", unique=True),
        UniqueConstraint("idempotency_scope", "idempotency_key"),
        Index("ix_event_created", "created_at", "id"),
        # Each role's list is newest first within its scope: read in index order, no sort.
        Index("ix_event_grid_created", "grid_id", "created_at", "id"),
        Index("ix_event_town_created", "town_id", "created_at", "id"),
        Index("ix_event_department_created", "department_id", "created_at", "id"),
        # The workbench's default order, most urgent first: read in index order, no sort.
        Index("ix_event_due", "due_at", "id"),
        # Possible duplicates: same category, a band of latitude, read from the index alone.
        Index("ix_event_category_place", "category_id", "lat", "lon", "created_at", "state"),
        # The board's map zoomed in: the open cases of a view (dashboard/wall.py case_pins).
        Index("ix_event_open_place", "lat", "lon", postgresql_where=text(OPEN_PLACE_WHERE),
              sqlite_where=text(OPEN_PLACE_WHERE)),
        # The pages' 在办 and 超期数 (dashboard/stats.py Moment): counted from the index alone.
        Index("ix_event_open_units", "town_id", "grid_id", "department_id", "due_at",
              postgresql_where=text(OPEN_PLACE_WHERE), sqlite_where=text(OPEN_PLACE_WHERE)),
        # A grid's running clocks, soonest due first (the overdue list of one grid): with every
        # open case overdue, PostgreSQL's estimate for `due_at < now` sent it to a sort. Whole,
        # not partial: a partial one (due_at IS NOT NULL) tempts SQLite to read a county's
        # running clocks from it and sort them instead of walking ix_event_due in order.
        Index("ix_event_grid_due", "grid_id", "due_at", "id"),
        # A department's running clocks, soonest due first (a handler's workbench): walking
        # ix_event_due for them read every other department's too (events.filters).
        Index("ix_event_department_due", "department_id", "due_at", "id"),
        # A grid's cases by state (the field app's tabs, each counted on a worker's home):
        # counted from the index alone, however many closed cases the grid has gathered.
        Index("ix_event_grid_state", "grid_id", "state", "category_id", "reporter_id"),
        # The few cases with a caller's number and the few under 督办: the workbench's 来电号码
        # and 只看督办 read them by id (events.filters), not by walking every case for them.
        Index("ix_event_reporter_phone", "reporter_phone",
              postgresql_where=text(PHONE_WHERE), sqlite_where=text(PHONE_WHERE)),
        Index("ix_event_supervised", "id", postgresql_where=text(SUPERVISED_WHERE),
              sqlite_where=text(SUPERVISED_WHERE)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: e.g. 清河-2026-000123: the town's prefix, the year, a serial; unique everywhere
    number: Mapped[str] = mapped_column(String(16))
    #: patrol 巡查上报 / resident 群众举报 / hotline 热线 / open311
    source: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    town_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    reporter_name: Mapped[str | None] = mapped_column(String(64))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(16), index=True)
    #: where resume (挂账 → 恢复) returns to
    suspended_from: Mapped[str | None] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: 延期: hours asked for and not yet decided; hours granted so far
    extension_requested_hours: Mapped[float | None] = mapped_column(Float)
    extension_granted_hours: Mapped[float] = mapped_column(Float, default=0)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"))
    #: a resident's tracking code (查询码): short, unguessable, shown on the receipt
    tracking_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    qr_point_id: Mapped[int | None] = mapped_column(ForeignKey("qr_point.id"))
    #: Open311 `media_url` given by the reporting app (we store the link, not the file)
    media_url: Mapped[str | None] = mapped_column(String(500))
    #: never published (Open311): a case raised on a care visit (巡访) is at the door of an
    #: elderly person's home
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: answers to a service's extra questions, kept beside (not inside) the description:
    #: [{"code", "question", "value", "label"}] — e.g. Open311 `attribute[stage]=building`
    attributes: Mapped[list | None] = mapped_column(JSON)

    idempotency_scope: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: 督办次数: supervision orders so far (the dashboards count them too)
    supervise_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    # The stage clock, copied from the category and ladder when the stage starts
    # (events/deadlines.py); recomputed only when something happens to the case.
    clock_stage: Mapped[str | None] = mapped_column(String(16))
    #: counts stage starts, so a stage met again (返工, 重派) escalates afresh
    clock_seq: Mapped[int] = mapped_column(Integer, default=0)
    clock_kind: Mapped[str | None] = mapped_column(String(8))  # work / natural
    clock_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clock_limit_min: Mapped[float | None] = mapped_column(Float)
    clock_used_min: Mapped[float] = mapped_column(Float, default=0)
    clock_ladder: Mapped[dict | None] = mapped_column(JSON)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_escalation_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: 0 none, 1 催办 warning, 2..4 overdue levels 1..3 (events/escalation.py)
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)
    #: a deadline counted on a year the calendar does not hold yet (Mon–Fri guess)
    deadline_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    #: 分阶段 categories: [{"name", "due_at"}] from 签收
    milestones: Mapped[list | None] = mapped_column(JSON)

    category: Mapped[Category] = relationship()
    grid = relationship("Grid")
    town = relationship("Region")
    department: Mapped[Department | None] = relationship()
    reporter = relationship("User", foreign_keys=[reporter_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    duplicate_of: Mapped["Event | None"] = relationship(remote_side=[id])
    logs: Mapped[list["EventLog"]] = relationship(
        back_populates="event", order_by="EventLog.id", lazy="selectin")
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="event", order_by="Attachment.id", lazy="selectin")

    # Optimistic locking: every UPDATE carries "WHERE version = <read version>".
    __mapper_args__ = {"version_id_col": version}

    @property
    def answers(self) -> list[dict]:
        """`attributes`, or an empty list."""
        return self.attributes or []


class Escalation(db.Model):
    """One ladder step reached by one stage of one case: exactly once (the unique key)."""

    __tablename__ = "escalation"
    __table_args__ = (UniqueConstraint("event_id", "clock_seq", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    clock_seq: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))
    step: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StageRun(db.Model):
    """One run of a stage clock (核实, 派遣, 签收, 处置, 核查), kept when the stage ends: the
    history the metrics read (按期处置率, 按时核实率, 平均处置时长 …). The case's clock columns
    hold only the running stage, and the next stage overwrites them (DESIGN, Metrics)."""

    __tablename__ = "stage_run"
    __table_args__ = (
        UniqueConstraint("event_id", "seq"),
        # a period's runs of a stage, e.g. the 处置 runs ended in November
        Index("ix_stage_run_stage_ended", "stage", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"))
    #: the case's clock_seq of the run
    seq: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))
    #: the department holding the case during the run (a rework may send it elsewhere next)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    #: the limit with every approved 延期, and what was used of it (pauses left out), in
    #: working minutes (natural minutes for 紧急 cases)
    limit_min: Mapped[float] = mapped_column(Float)
    used_min: Mapped[float] = mapped_column(Float)
    #: the deadline when the stage ended (none while it was suspended)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the action that ended it (handle, close, rework, verify, reject, return …)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    is_on_time: Mapped[bool] = mapped_column(Boolean)

    #: named so the unit of work writes the case first: a concurrent change of the same case
    #: then fails on its version (409), before this row meets its unique key
    event: Mapped[Event] = relationship()


class EventLog(db.Model):
    """流转记录 — append-only: one row per action taken on a case."""

    __tablename__ = "event_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: who acted when there is no user (a resident, the system)
    actor_label: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship(back_populates="logs")
    actor = relationship("User")
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="log", order_by="Attachment.id", lazy="selectin")


@sa_event.listens_for(EventLog, "before_update")
def _log_columns_never_change(mapper, _connection, target):
    # before_update also fires when only a collection (its photos) changed: allow that.
    state = sa_inspect(target)
    changed = [c.key for c in mapper.column_attrs if state.attrs[c.key].history.has_changes()]
    if changed:
        raise RuntimeError(f"EventLog is append-only (row {target.id}: {changed})")


@sa_event.listens_for(EventLog, "before_delete")
def _log_rows_never_go(_mapper, _connection, target):
    raise RuntimeError(f"EventLog is append-only (row {target.id})")


class Attachment(db.Model):
    """A photo, validated and re-encoded; the file lives in storage under `storage_key`."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id"), index=True)
    log_id: Mapped[int | None] = mapped_column(ForeignKey("event_log.id"))
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    storage_key: Mapped[str] = mapped_column(String(128))
    thumb_key: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(200), default="")
    #: the photo's own unguessable name in public URLs (/p/<public_id>): a public photo
    #: never reveals the case's tracking code
    public_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: a photo kept by a record other than a case — "snow" (a clearing), "report" (a town's
    #: monthly progress report), "care" (a visit to
    #: an elderly person: never served by /attachments) — and so never claimed by a case
    claimed_by: Mapped[str | None] = mapped_column(String(8))

    event: Mapped[Event | None] = relationship(back_populates="attachments")
    log: Mapped[EventLog | None] = relationship(back_populates="attachments")
