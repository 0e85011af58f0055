"""The figures of a scope and a period (GET /api/v1/stats, the dashboard): counts read from
the cases, their stage runs (events.models.StageRun), logs and ratings by a handful of
aggregate statements, then turned into rates and a score by dashboard/metrics.py.

A period is [start, end): the towns' midnights of the first day and of the day after the
last (Asia/Shanghai). Each count's definition is in metrics.METRICS; the cohorts:
- reports: cases reported in the period;
- filed: cases filed (立案) in the period, judged at the period's end (or now, if sooner):
  closed by then, or past a stage deadline by then while not done (应结案);
- stage runs (核实, 处置, 核查) that ended in the period;
- ratings given in the period; cases open now (超期数 is a figure of this moment).
Scope: what the caller may see (events.access), narrowed by town, grid, department (the
department holding the case now; for stage runs, the one that held it during the run),
category and source."""
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, or_, select

from core.extensions import db
from dashboard import metrics
from events.filters import apply_filters, local_midnight
from events.models import Event, EventLog, StageRun
from portal.models import Rating

OPEN_STATES = ("reported", "filed", "dispatched", "accepted", "handled")
SATISFIED = ("满意", "基本满意")
#: the list filters a figure may be narrowed by (events.filters reads them)
FILTERS = ("town", "grid", "department", "category", "source")


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def start(self) -> datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last, 1)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _cases(user, args: dict, now: datetime):
    """SELECT … FROM event narrowed to the caller's scope and the filters."""
    return apply_filters(select(), user, {k: args.get(k) for k in FILTERS}, now) \
        .select_from(Event)


def _reports(user, args, period: Period, now) -> dict:
    query = _cases(user, args, now).add_columns(
        func.count(), _count(Event.rejected_at.is_not(None)),
        *(_count(Event.source == source) for source in ("patrol", "resident", "hotline", "open311"))
    ).where(Event.created_at >= period.start, Event.created_at < period.end)
    reported, rejected, *by_source = db.session.execute(query).one()
    return {"reported": reported, "valid_reports": reported - rejected,
            "by_source": dict(zip(("patrol", "resident", "hotline", "open311"), by_source))}


def _filed(user, args, period: Period, now) -> dict:
    until = min(period.end, now)
    closed = and_(Event.closed_at.is_not(None), Event.closed_at < until)
    late_run = exists().where(StageRun.event_id == Event.id, StageRun.is_on_time.is_(False),
                              StageRun.due_at < until)
    late_now = and_(Event.clock_started_at.is_not(None), Event.due_at < until)
    due = or_(closed, and_(Event.state != "suspended", or_(late_now, late_run)))
    last_handle_on_time = select(StageRun.is_on_time).where(
        StageRun.event_id == Event.id, StageRun.stage == "handle", StageRun.action == "handle"
    ).order_by(StageRun.seq.desc()).limit(1).scalar_subquery()
    cohort = and_(Event.filed_at >= period.start, Event.filed_at < period.end)
    filed, patrol, due_to_close, closed_n, on_time = db.session.execute(
        _cases(user, args, now).add_columns(
            func.count(), _count(Event.source == "patrol"), _count(due), _count(closed),
            _count(and_(closed, last_handle_on_time.is_(True))))
        .where(cohort)).one()

    def logs(action, distinct: bool):
        counted = func.count(func.distinct(EventLog.event_id)) if distinct else func.count()
        return _cases(user, args, now).add_columns(counted).join(
            EventLog, EventLog.event_id == Event.id).where(
            cohort, EventLog.action == action, EventLog.created_at < until).scalar_subquery()
    reworks, extended, returned = db.session.execute(select(
        logs("rework", False), logs("approve_extension", True), logs("return", True))).one()
    return {"filed": filed, "patrol_filed": patrol, "due_to_close": due_to_close,
            "closed": closed_n, "closed_on_time": on_time, "reworks": reworks,
            "extended": extended, "returned": returned}


def _runs(user, args, period: Period, now) -> dict:
    narrowed = {k: v for k, v in args.items() if k != "department"}
    query = _cases(user, narrowed, now).join(StageRun, StageRun.event_id == Event.id).where(
        StageRun.ended_at >= period.start, StageRun.ended_at < period.end)
    if args.get("department"):
        from events.models import Department
        query = query.where(StageRun.department_id == select(Department.id).where(
            Department.code == args["department"]).scalar_subquery())
    handled = and_(StageRun.stage == "handle", StageRun.action == "handle")
    on_time = StageRun.is_on_time.is_(True)
    row = db.session.execute(query.add_columns(
        _count(handled), _count(and_(handled, on_time)),
        func.sum(case((handled, StageRun.used_min), else_=None)),
        _count(StageRun.stage == "verify"), _count(and_(StageRun.stage == "verify", on_time)),
        _count(StageRun.stage == "check"), _count(and_(StageRun.stage == "check", on_time)),
    )).one()
    handled_n, handled_on_time, minutes, verified, verified_on_time, checked, checked_on_time = row
    return {"handled": handled_n, "handled_on_time": handled_on_time,
            "avg_handle_hours": round(minutes / handled_n / 60, 1) if handled_n else None,
            "verified": verified, "verified_on_time": verified_on_time,
            "checked": checked, "checked_on_time": checked_on_time}


def _now(user, args, now) -> dict:
    running = Event.state.in_(OPEN_STATES)
    open_now, overdue = db.session.execute(_cases(user, args, now).add_columns(
        _count(running), _count(and_(running, Event.due_at < now)))
        .where(Event.state.in_(OPEN_STATES))).one()
    return {"open_now": open_now, "overdue_now": overdue}


def _ratings(user, args, period: Period, now) -> dict:
    rated, satisfied = db.session.execute(_cases(user, args, now).add_columns(
        func.count(), _count(Rating.rating.in_(SATISFIED)))
        .join(Rating, Rating.event_id == Event.id)
        .where(Rating.created_at >= period.start, Rating.created_at < period.end)).one()
    return {"rated": rated, "satisfied": satisfied}


def counts(user, args: dict, period: Period, now: datetime) -> dict:
    """Every count of the period (what metrics.rates divides)."""
    return {**_reports(user, args, period, now), **_filed(user, args, period, now),
            **_runs(user, args, period, now), **_now(user, args, now),
            **_ratings(user, args, period, now)}


def figures(user, args: dict, period: Period, now: datetime,
            weights: dict = metrics.TOWN_WEIGHTS) -> dict:
    """The API's answer: counts, rates (0–1 or None), the 综合指标值 and its grade."""
    found = counts(user, args, period, now)
    rates = metrics.rates(found)
    score = metrics.score(rates, weights)
    return {**{key: found[key] for key in (
        "reported", "filed", "due_to_close", "closed", "closed_on_time", "overdue_now",
        "open_now", "avg_handle_hours")},
        "reported_by_source": found["by_source"], **rates,
        "score": score, "grade": metrics.grade(score)}
