"""Rollups (issue 11, scale): the dashboards' counts per local day × town × grid ×
department × category × source (dashboard/models.py), kept in the same transaction as every
change of a case, so a county's year is read from a few thousand rows, not a million cases.

A case contributes *facts*, each a counter added at a key (town, cohort, day, grid,
department, category, source), where `day` is the local date the fact happened and
`cohort` the date of the case's cohort:
- reported (+ rejected, when it was 不予立案): cohort = day = the report's date;
- filed: cohort = day = the filing date (立案); the filed cohort's later facts keep that
  cohort with their own day: closed (+ closed_on_time, when its last 处置 was in time) on the
  closing date; due (应结案) on the earliest of closing and falling late (a stage run that
  ended late, or the running stage declared overdue by the sweep — escalation step 2);
  reworks on each 返工's date; extended and returned on the first such date;
- each stage run ended (events.models.StageRun): cohort = day = its end, with the
  department that held the case during it — handled / handled_on_time / handle_sec (处置),
  verified (核实), checked (核查), each with its on-time count;
- each rating: cohort = day = its date — rated, satisfied.
Every other fact takes the case's grid, category, source and the department holding it now.

A period [first, last] then reads `cohort in [first, last] and day <= last`: the cohort's
facts up to the period's end, and the other facts within the period (their cohort is their
day). A case that is suspended (挂账) and not closed is not due.

How they are kept: a case touched by a transaction — its row, a log, a stage run or a rating
flushed through the ORM, or `touch()`ed by a bulk UPDATE (the sweep) — has its facts read
before its first change; at commit they are read again and the difference is added, in the
same transaction. `rebuild()` (`flask --app wsgi rollups rebuild`) computes every case's
facts with the same function and writes them afresh; tests/test_rollups.py checks that a
rebuild equals what a random walk of actions kept."""
from collections import Counter, defaultdict
from datetime import datetime
from itertools import chain
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import delete, event as sa_event, inspect, select
from sqlalchemy.orm import Session

from core.bulk import bulk_add
from core.extensions import db
from dashboard.models import (CELL_KEYS, COUNTERS, DEPARTMENT_KEYS, MONTH_COUNTERS,
                              MONTH_KEYS, TOWN_KEYS, rollup_cell, rollup_department,
                              rollup_month, rollup_town)
from events.escalation import OVERDUE_1
from events.models import Event, EventLog, StageRun
from events.signals import cases_changing, cases_inserted
from portal.models import Rating

SATISFIED = ("满意", "基本满意")
LOGGED = ("rework", "approve_extension", "return")
CHUNK = 2000
_PENDING = "gridgov.rollups"  # session.info: event id → its facts before this transaction
_NEW = "gridgov.rollups.new"  # session.info: the cases created in this transaction (id →
#                               object), and the cases given a run, a counted log or a rating


# --- a case's facts ------------------------------------------------------------------------

def facts(ids, executor=None) -> dict[int, dict[tuple, Counter]]:
    """Every fact of the cases `ids`: event id → {cell key: Counter of counters}. Read with
    four statements whatever the number of cases (callers pass at most CHUNK)."""
    run = (executor or db.session).execute
    ids = list(ids)
    if not ids:
        return {}
    cases = run(select(
        Event.id, Event.created_at, Event.filed_at, Event.closed_at, Event.rejected_at,
        Event.state, Event.source, Event.town_id, Event.grid_id, Event.department_id,
        Event.category_id, Event.clock_started_at, Event.due_at, Event.escalation_step)
        .where(Event.id.in_(ids))).all()
    runs, logs, ratings = defaultdict(list), defaultdict(list), defaultdict(list)
    for row in run(select(StageRun.event_id, StageRun.stage, StageRun.action,
                          StageRun.department_id, StageRun.ended_at, StageRun.is_on_time,
                          StageRun.used_min, StageRun.due_at)
                   .where(StageRun.event_id.in_(ids)).order_by(StageRun.seq)):
        runs[row.event_id].append(row)
    for row in run(select(EventLog.event_id, EventLog.action, EventLog.created_at)
                   .where(EventLog.event_id.in_(ids), EventLog.action.in_(LOGGED))
                   .order_by(EventLog.created_at, EventLog.id)):
        logs[row.event_id].append(row)
    for row in run(select(Rating.event_id, Rating.rating, Rating.created_at)
                   .where(Rating.event_id.in_(ids))):
        ratings[row.event_id].append(row)
    zone = _zone()
    return {case.id: _case_facts(case, runs[case.id], logs[case.id], ratings[case.id], zone)
            for case in cases}


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["LOCAL_TIMEZONE"])


def _case_facts(case, runs, logs, ratings, zone) -> dict[tuple, Counter]:
    """One case's facts (the module's docstring says which) from its row (a row read, or the
    case object itself), its stage runs in order, its 返工/延期/回退 logs in order and its
    ratings."""
    out: dict[tuple, Counter] = defaultdict(Counter)

    def day(moment: datetime):
        return moment.astimezone(zone).date()

    def add(cohort, when, department=case.department_id, **counters):
        out[case.town_id, cohort, when, case.grid_id, department or 0, case.category_id,
            case.source].update(counters)
    reported = day(case.created_at)
    add(reported, reported, reported=1, rejected=int(case.rejected_at is not None))
    if case.filed_at is not None:
        filed = day(case.filed_at)
        add(filed, filed, filed=1)
        handles = [r for r in runs if r.stage == "handle" and r.action == "handle"]
        if case.closed_at is not None:
            add(filed, day(case.closed_at), closed=1,
                closed_on_time=int(bool(handles) and handles[-1].is_on_time))
        late = [r.due_at or r.ended_at for r in runs if not r.is_on_time]
        if case.closed_at is not None:
            late.append(case.closed_at)
        elif case.state == "suspended":
            late = []
        elif (case.clock_started_at is not None and case.due_at is not None
              and case.escalation_step >= OVERDUE_1):
            late.append(case.due_at)
        if late:
            add(filed, day(min(late)), due=1)
        first = set()
        for log in logs:
            if log.action == "rework":
                add(filed, day(log.created_at), reworks=1)
            elif log.action not in first:
                first.add(log.action)
                add(filed, day(log.created_at),
                    **{"extended" if log.action == "approve_extension" else "returned": 1})
    for r in runs:
        ended, on_time = day(r.ended_at), int(bool(r.is_on_time))
        if r.stage == "handle" and r.action == "handle":
            add(ended, ended, r.department_id, handled=1, handled_on_time=on_time,
                handle_sec=round((r.used_min or 0) * 60))
        elif r.stage == "verify":
            add(ended, ended, r.department_id, verified=1, verified_on_time=on_time)
        elif r.stage == "check":
            add(ended, ended, r.department_id, checked=1, checked_on_time=on_time)
    for rating in ratings:
        when = day(rating.created_at)
        add(when, when, rated=1, satisfied=int(rating.rating in SATISFIED))
    return {key: +counts for key, counts in out.items() if +counts}


# --- writing counters ----------------------------------------------------------------------

def _coarse(key: tuple) -> tuple:
    town, cohort, when, _grid, _department, _category, source = key
    return town, cohort, when, source


def _by_department(key: tuple) -> tuple:
    town, cohort, when, _grid, department, _category, source = key
    return town, cohort, when, department, source


def _rows(cells: dict[tuple, Counter], keys, counters=COUNTERS) -> list[dict]:
    return [{**dict(zip(keys, key)), **{name: counts.get(name, 0) for name in counters}}
            for key, counts in sorted(cells.items(), key=lambda item: _sortable(item[0]))
            if any(counts.values())]


def _sortable(key: tuple) -> tuple:
    return tuple(str(part) for part in key)


def _month(key: tuple) -> tuple:
    town, cohort, _when, grid, _department, category, source = key
    return town, cohort.replace(day=1), grid, category, source


def add_cells(cells: dict[tuple, Counter], executor=None) -> None:
    """Add counters (which may be negative: a difference) to every grain."""
    executor = executor or db.session
    town: dict[tuple, Counter] = defaultdict(Counter)
    department: dict[tuple, Counter] = defaultdict(Counter)
    month: dict[tuple, Counter] = defaultdict(Counter)
    for key, counts in cells.items():
        town[_coarse(key)].update(counts)
        department[_by_department(key)].update(counts)
        if counts.get("reported"):
            month[_month(key)]["reported"] += counts["reported"]
    # rows in key order: two writers on PostgreSQL lock them in the same order
    bulk_add(rollup_cell, CELL_KEYS, COUNTERS, _rows(cells, CELL_KEYS), executor)
    bulk_add(rollup_town, TOWN_KEYS, COUNTERS, _rows(town, TOWN_KEYS), executor)
    bulk_add(rollup_department, DEPARTMENT_KEYS, COUNTERS,
             _rows(department, DEPARTMENT_KEYS), executor)
    bulk_add(rollup_month, MONTH_KEYS, MONTH_COUNTERS,
             _rows(month, MONTH_KEYS, MONTH_COUNTERS), executor)


def _merge(found: dict[int, dict[tuple, Counter]], sign: int, into: dict) -> None:
    for cells in found.values():
        for key, counts in cells.items():
            into[key].update({name: sign * n for name, n in counts.items()})


def rebuild(executor=None) -> int:
    """Every case's facts written afresh (both grains emptied first); returns the cases read.
    For bulk fills (bench-data, the programme's history), after a restore, and the migration.
    What this transaction changed before is counted by the rebuild, so it is settled here."""
    executor = executor or db.session
    if executor is db.session:
        db.session.flush()
        db.session().info.pop(_PENDING, None)
    for table in (rollup_cell, rollup_town, rollup_department, rollup_month):
        executor.execute(delete(table))
    last, read = 0, 0
    while True:
        ids = executor.execute(select(Event.id).where(Event.id > last).order_by(Event.id)
                               .limit(CHUNK)).scalars().all()
        if not ids:
            return read
        cells: dict[tuple, Counter] = defaultdict(Counter)
        _merge(facts(ids, executor), 1, cells)
        add_cells(cells, executor)
        last, read = ids[-1], read + len(ids)


def stored(table) -> dict[tuple, dict]:
    """A grain's non-zero rows: key → counters (what tests compare a rebuild with)."""
    keys, counters = {rollup_cell: (CELL_KEYS, COUNTERS), rollup_town: (TOWN_KEYS, COUNTERS),
                      rollup_department: (DEPARTMENT_KEYS, COUNTERS),
                      rollup_month: (MONTH_KEYS, MONTH_COUNTERS)}[table]
    out = {}
    for row in db.session.execute(select(table)).mappings():
        counts = {name: row[name] for name in counters if row[name]}
        if counts:
            out[tuple(row[k] for k in keys)] = counts
    return out


# --- kept with every change ----------------------------------------------------------------

@cases_changing.connect
def touch(_sender=None, ids=()) -> None:
    """Cases about to change by a statement the ORM does not see (the sweep's UPDATE,
    events.signals.cases_changing): their facts are read now, before the change, and
    settled at commit."""
    session = db.session()
    pending = session.info.setdefault(_PENDING, {})
    fresh = [i for i in ids if i not in pending]
    for start in range(0, len(fresh), CHUNK):
        chunk = fresh[start:start + CHUNK]
        before = facts(chunk, session)
        for event_id in chunk:
            pending[event_id] = before.get(event_id, {})


def _event_id(instance) -> int | None:
    if isinstance(instance, Event):
        return instance.id
    if isinstance(instance, (StageRun, EventLog, Rating)):
        if instance.event_id is not None:
            return instance.event_id
        case = getattr(instance, "event", None)
        return case.id if case is not None else None
    return None


@sa_event.listens_for(Session, "before_flush")
def _before_flush(session, _context, _instances) -> None:
    pending = session.info.setdefault(_PENDING, {})
    ids = {_event_id(instance) for instance in chain(session.new, session.dirty,
                                                     session.deleted)}
    fresh = [i for i in ids if i is not None and i not in pending]
    if fresh:
        with session.no_autoflush:
            before = facts(fresh, session)
        for event_id in fresh:
            pending[event_id] = before.get(event_id, {})


@sa_event.listens_for(Session, "after_flush")
def _after_flush(session, _context) -> None:
    pending = session.info.setdefault(_PENDING, {})
    new = session.info.setdefault(_NEW, {"cases": {}, "with_more": set()})
    for instance in session.new:
        if isinstance(instance, Event) and instance.id not in pending:
            pending[instance.id] = {}  # a new case had no facts
            new["cases"][instance.id] = instance
        elif isinstance(instance, (StageRun, Rating)) or (
                isinstance(instance, EventLog) and instance.action in LOGGED):
            new["with_more"].add(instance.event_id)  # more than its row to read


@cases_inserted.connect
def _inserted(_sender=None, cases=()) -> None:
    """New cases written without a flush (events.signals.cases_inserted): as _after_flush."""
    session = db.session()
    pending = session.info.setdefault(_PENDING, {})
    new = session.info.setdefault(_NEW, {"cases": {}, "with_more": set()})
    for case in cases:
        pending[case.id] = {}
        new["cases"][case.id] = case


@sa_event.listens_for(Session, "before_commit")
def _before_commit(session) -> None:
    session.flush()  # the commit's own flush comes after this hook: its changes first
    pending = session.info.pop(_PENDING, None)
    made = session.info.pop(_NEW, None) or {"cases": {}, "with_more": set()}
    if not pending:
        return
    # a case made here and given no run, counted log or rating has only its row to count:
    # counted from the object in memory (a create reads nothing back)
    plain = {i: case for i, case in made["cases"].items()
             if i not in made["with_more"] and not inspect(case).was_deleted}
    cells: dict[tuple, Counter] = defaultdict(Counter)
    _merge(pending, -1, cells)
    zone = _zone()
    _merge({i: _case_facts(case, (), (), (), zone) for i, case in plain.items()}, 1, cells)
    ids = [i for i in pending if i not in plain]
    for start in range(0, len(ids), CHUNK):
        _merge(facts(ids[start:start + CHUNK], session), 1, cells)
    add_cells({key: counts for key, counts in cells.items() if any(counts.values())}, session)


@sa_event.listens_for(Session, "after_rollback")
def _after_rollback(session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_NEW, None)


@sa_event.listens_for(Session, "after_soft_rollback")
def _after_soft_rollback(session, _previous) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_NEW, None)
