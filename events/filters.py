"""The case list's filters, search and orders — one definition for the workbench page and
the API (GET /api/v1/events), both paged by keyset cursors (events.cursors).

Orders: `urgency` (the default) puts running clocks first, soonest due first — so overdue
cases lead — then cases with no running clock, newest first; `newest` and `oldest` by
report time. Each reads an index in its order (ix_event_due, ix_event_*_created): the first
page costs the same at 10,000 or 1,000,000 cases.
"""
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, g
from flask_babel import gettext as _
from sqlalchemy import Integer, and_, bindparam, func, literal_column, or_, select

from auth.masking import FULL_CONTACT_ROLES
from core.errors import Forbidden, InvalidInput
from core.extensions import db
from core.rows import driver_rows
from events import search
from events.access import due_indexed, queue_clause, queue_states, visible_clause
from events.cursors import decode_cursor, encode_cursor
from events.escalation import STAGE_OF_STATE
from events.models import Category, Department, Event
from grid.models import Grid, Region

SOURCES = ("patrol", "resident", "hotline", "open311")
MAX_QUERY = 50


def normalize_phone(raw: str) -> str:
    """Digits only; a leading +86/86 dropped from a mobile number. '' when it is no number."""
    digits = re.sub(r"[\s\-()（）]", "", raw or "")
    if digits.startswith("+"):
        digits = digits[1:]
    if not digits.isascii() or not digits.isdigit():
        return ""
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if 5 <= len(digits) <= 20 else ""


def local_day(moment: datetime):
    """The towns' calendar day of an instant (local_midnight's inverse)."""
    return moment.astimezone(ZoneInfo(current_app.config["LOCAL_TIMEZONE"])).date()


def local_midnight(day, days_after: int = 0) -> datetime:
    """The towns' midnight starting `day` (+ `days_after`), as a UTC instant."""
    zone = ZoneInfo(current_app.config["LOCAL_TIMEZONE"])
    return datetime.combine(day + timedelta(days=days_after), time(), zone).astimezone(
        timezone.utc)


#: a filter (我的待办, a state, a category, a caller's number, 督办) that admits fewer cases
#: than this in the whole county is read by id (SQLite)
FEW_CASES = 2000
#: the same, oldest first, for a filter that admits running cases only: walked from the
#: oldest, such a list would read nearly every closed case before its first
FEW_OPEN_OLDEST = 200_000


def _few(key, ids, below: int):
    """`ids` (a statement of case ids read from one index) when it holds fewer than
    `below`, else None: counted from the index alone, once a request (a list is two
    statements)."""
    counted = g.setdefault("gridgov_few", {})
    if (key, below) not in counted:
        counted[key, below] = db.session.execute(select(func.count()).select_from(
            ids.limit(below).subquery())).scalar()
    return ids if counted[key, below] < below else None


def _ids(index: str, *conditions):
    return select(Event.id).where(*conditions).with_hint(Event, f"INDEXED BY {index}",
                                                         "sqlite")


def _rare_ids(user, args: dict, states: list, phone: str | None, now: datetime,
              below: int, running_below: int):
    """SQLite, which plans without statistics: the ids of the cases one of the list's filters
    admits, read from that filter's own index, when they are few in the whole county — a
    caller's number, 督办, a supervisor's 挂起 queue, a state or a category seldom used,
    超期 — else None. The list then reads those cases by id and sorts them; otherwise it
    walks the index of its order and tests each case (a page of a common filter is soon
    found so, while a rare one made it read every case: a second for a caller's number at
    a million cases). A filter of running cases only (我的待办, open states, 超期) counts as
    few below `running_below`, any other below `below`. PostgreSQL plans from its
    statistics."""
    candidates = []
    if phone:
        candidates.append((("phone", phone), below, _ids(
            "ix_event_reporter_phone", Event.reporter_phone == phone)))
    if args.get("supervised"):
        # the partial index's own condition, a constant: SQLite uses it only so
        candidates.append((("supervised",), below, _ids(
            "ix_event_supervised", Event.supervise_count > literal_column("0"))))
    if args.get("mine") and queue_states(user):
        queued = queue_states(user)
        candidates.append((("state", queued), running_below if _running(queued) else below,
                           _ids("ix_event_state", Event.state.in_(queued))))
    if states:
        candidates.append((("state", tuple(states)),
                           running_below if _running(states) else below,
                           _ids("ix_event_state", Event.state.in_(states))))
    if args.get("category"):
        code = select(Category.id).where(Category.code == args["category"]).scalar_subquery()
        candidates.append((("category", args["category"]), below, _ids(
            "ix_event_category_place", Event.category_id == code)))
    if args.get("overdue"):
        candidates.append((("overdue",), running_below, _ids("ix_event_due",
                                                             Event.due_at < now)))
    for key, limit, ids in candidates:
        few = _few(key, ids, limit)
        if few is not None:
            return few
    return None


def _states(args: dict) -> list[str]:
    """The states a list's `state` filter names ("filed,dispatched")."""
    return [s for s in (args.get("state") or "").split(",") if s]


def _running(states) -> bool:
    """Are these states all of cases whose clock runs (open, not 挂起)?"""
    return all(state in STAGE_OF_STATE for state in states)


def apply_filters(query, user, args: dict, now: datetime, *, unindexed: bool = False,
                  grid_indexed: bool = False, scope_indexed: bool = False,
                  ordered: bool = False, few_below: int | None = None):
    """`query` (on Event) narrowed to what the user may see and what `args` asks for.
    `unindexed`: no index serves the tests (access.visible_clause), so the statement reads
    the index of its ORDER BY (SQLite only); `scope_indexed` keeps the scope's own test indexed (its
    index leads with the ORDER BY's columns after it: access.due_indexed). `ordered`: the
    statement reads a page in an order — on SQLite a rare filter's cases by id
    (_rare_ids), else the order's index with the state, category, number and 督办 tested on
    each case (a count reads its states from an index instead: ix_event_grid_state);
    `few_below`: how few cases of a filter of running cases only are read by id
    (FEW_CASES unless said)."""
    # SQLite plans by the schema alone; PostgreSQL by its statistics, which know nothing of
    # `column + 0` (a town's 6,000 running clocks guessed at 36: sorted, not walked)
    sqlite = db.engine.dialect.name == "sqlite"
    unindexed = unindexed and sqlite
    walked = unindexed or (ordered and sqlite)

    def col(column, hidden=unindexed):
        return (column.concat("") if column.type.python_type is str else column + 0) \
            if hidden else column
    query = query.where(visible_clause(user, unindexed=unindexed and not scope_indexed))
    states = _states(args)
    if states:
        query = query.where(col(Event.state, walked).in_(states))
    if args.get("category"):
        code = select(Category.id).where(Category.code == args["category"]).scalar_subquery()
        query = query.where(col(Event.category_id, walked) == code)
    if args.get("grid"):
        code = select(Grid.id).where(Grid.code == args["grid"]).scalar_subquery()
        query = query.where((Event.grid_id if grid_indexed else col(Event.grid_id)) == code)
    if args.get("town"):
        code = select(Region.id).where(Region.code == args["town"]).scalar_subquery()
        query = query.where(col(Event.town_id) == code)
    if args.get("department"):
        code = select(Department.id).where(
            Department.code == args["department"]).scalar_subquery()
        query = query.where(col(Event.department_id) == code)
    if args.get("source"):
        query = query.where(Event.source == args["source"])
    if args.get("date_from"):
        query = query.where(Event.created_at >= local_midnight(args["date_from"]))
    if args.get("date_to"):
        query = query.where(Event.created_at < local_midnight(args["date_to"], 1))
    if args.get("overdue"):
        query = query.where(Event.due_at < now)
    if args.get("supervised"):
        # a constant, as ix_event_supervised's own condition: a planner proves it so
        query = query.where(col(Event.supervise_count, walked) > literal_column("0"))
    if args.get("mine"):
        # a walk tests the state on each case: SQLite would rather read a common state's
        # many cases from ix_event_state and sort them
        query = query.where(queue_clause(user, unindexed=unindexed,
                                         state_indexed=not walked))
    if args.get("reported_by"):  # a page's own filter (field/: a worker's own reports)
        query = query.where(Event.reporter_id == args["reported_by"])
    text = (args.get("q") or "").strip()
    if text:
        query = search.narrow(query, text)
    phone = None
    if args.get("phone"):
        if user.role not in FULL_CONTACT_ROLES:
            raise Forbidden(_("只有派遣员和管理员可以按来电号码查询"),
                            fields={"phone": ["not allowed for this role"]})
        phone = normalize_phone(args["phone"])
        if not phone:
            raise InvalidInput(_("来电号码无效：请输入 5–20 位数字"),
                               fields={"phone": ["not a phone number"]})
        query = query.where(col(Event.reporter_phone, walked) == phone)
    if ordered and sqlite:
        rare = _rare_ids(user, args, states, phone, now, FEW_CASES,
                         FEW_CASES if few_below is None else few_below)
        if rare is not None:  # read by id and sorted: few of them (_rare_ids)
            query = query.where(Event.id.in_(rare)).with_hint(Event, "NOT INDEXED", "sqlite")
    return query


# A cursor's position is said twice: as a plain bound on the instant, which an index on
# (scope, instant, id) starts its walk from, and exactly (instant, then id) for the cases
# of that very instant. PostgreSQL does not bound an index walk by the OR alone: it walked
# every newer case of the scope and dropped them one by one (page 101 of a grid at a
# million cases: 2,000 rows read for 21, and ten times as many at page 1,001).

def _by_created(query, cursor, descending: bool):
    if cursor is not None:
        _group, moment, ident = cursor
        if descending:
            query = query.where(Event.created_at <= moment,
                                or_(Event.created_at < moment,
                                    and_(Event.created_at == moment, Event.id < ident)))
        else:
            query = query.where(Event.created_at >= moment,
                                or_(Event.created_at > moment,
                                    and_(Event.created_at == moment, Event.id > ident)))
    if descending:
        return query.order_by(Event.created_at.desc(), Event.id.desc())
    return query.order_by(Event.created_at, Event.id)


def _by_due(query, cursor):
    # Running clocks are the open few: walking ix_event_due in order and testing each
    # against the scope (unindexed) beats sorting all of a scope's cases — unless the scope
    # has its own such index (a department's, a grid's: access.due_indexed).
    query = query.where(Event.due_at.is_not(None))
    if cursor is not None:
        _group, moment, ident = cursor
        query = query.where(Event.due_at >= moment,
                            or_(Event.due_at > moment,
                                and_(Event.due_at == moment, Event.id > ident)))
    return query.order_by(Event.due_at, Event.id)


def summary_rows_query(user, args: dict, now=None, *, unindexed: bool = False,
                       grid_indexed: bool = False, scope_indexed: bool = False,
                       few_below: int | None = None):
    """The cases `user` may see, filtered as `args` asks, as plain summary rows
    (events.queries), unordered."""
    from core import clock
    from events.queries import summary_select
    return apply_filters(summary_select(), user, args, now or clock.utcnow(),
                         unindexed=unindexed, grid_indexed=grid_indexed,
                         scope_indexed=scope_indexed, ordered=True, few_below=few_below)


def ordered_queries(user, args: dict, sort: str, cursor: str | None, now=None) -> list:
    """The statements that, read one after another, give the list in `sort` order from
    `cursor` on (two for urgency: running clocks, then the rest)."""
    return _ordered(user, args, sort, decode_cursor(cursor, sort) if cursor else None, now)


def _ordered(user, args: dict, sort: str, position, now=None) -> list:
    """ordered_queries from a decoded cursor, (group, instant, id); only the first
    statement reads from it (the instant and id may be bound parameters: _plain_pages)."""
    if sort == "oldest":  # a scope with its own running clocks' index walks as before
        return [_by_created(summary_rows_query(
            user, args, now, few_below=None if due_indexed(user) else FEW_OPEN_OLDEST),
            position, False)]
    query = summary_rows_query(user, args, now)
    if sort == "newest":
        return [_by_created(query, position, True)]
    # "no running clock". SQLite's planner (no statistics) would read the many closed cases
    # from ix_event_due and sort them rather than walk the created index: said so that no
    # index serves it. PostgreSQL's statistics see the many nulls and walk the created
    # index, but guess the expression at two rows and sort the scope's every case (a
    # handler's workbench: 3 ms at 10,000 cases, growing with them; 0.3 ms walked)
    rest = query.where(func.coalesce(Event.due_at, None).is_(None)
                       if db.engine.dialect.name == "sqlite" else Event.due_at.is_(None))
    states = _states(args)
    clockless = states and not any(state in STAGE_OF_STATE for state in states)
    if (position is not None and position[0] == 1) or clockless:
        # a 结案, 不予受理 or 挂起 case has no running clock: none to look for among them
        return [] if clockless and args.get("overdue") else [
            _by_created(rest, position if position and position[0] == 1 else None, True)]
    own = due_indexed(user)
    if args.get("overdue"):  # only running clocks are overdue: the rest would be read in vain
        # one grid's: from ix_event_grid_due in order (a county's: ix_event_due, as below)
        running = summary_rows_query(user, args, now, unindexed=True, scope_indexed=own,
                                     grid_indexed=bool(args.get("grid")))
        return [_by_due(running, position)]
    running = summary_rows_query(user, args, now, unindexed=True, scope_indexed=own)
    return [_by_due(running, position), _by_created(rest, None, True)]


#: what a list query may carry besides a filter
NOT_FILTERS = frozenset(("sort", "cursor", "limit"))
#: the unfiltered list statements, one set per scope, order and cursor group (seven a scope),
#: kept at most so many (a county has a few hundred scopes: workers' grids, towns, …)
PLAIN_PAGES_KEPT = 4096
_PLAIN_PAGES: dict = {}
_MOMENT = bindparam("moment", type_=Event.created_at.type)
_IDENT = bindparam("ident", type_=Integer)


def _plain_pages(user, sort: str, group: int | None) -> list:
    """The statements of a scope's list in `sort` order with nothing filtered — the list
    every phone and client opens (newest first), and the workbench's (most urgent first) —
    from a cursor of `group` (None: the first page). They are built once per scope, with
    the cursor's instant and id and the page size as parameters (`moment`, `ident`,
    `size`): SQLAlchemy neither rebuilds them nor recomputes their cache keys, a
    millisecond of the workbench's two statements."""
    from events.access import case_scope
    # the SQL differs by engine; nothing else of the user's goes into an unfiltered list
    key = (db.engine.dialect.name, case_scope(user), sort, group)
    statements = _PLAIN_PAGES.get(key)
    if statements is None:
        position = None if group is None else (group, _MOMENT, _IDENT)
        # PostgreSQL: the page size written into the statement, not a parameter. A LIMIT
        # parameter makes its generic plan guess a tenth of the scope, so it planned each
        # list afresh on every request; with the size written in, the plan is kept (a
        # client's few page sizes are a few statements: read_page asks each statement
        # for a whole page)
        size = bindparam("size", type_=Integer,
                         literal_execute=db.engine.dialect.name == "postgresql")
        statements = [statement.limit(size)
                      for statement in _ordered(user, {}, sort, position)]
        if len(_PLAIN_PAGES) >= PLAIN_PAGES_KEPT:
            _PLAIN_PAGES.clear()
        _PLAIN_PAGES[key] = statements
    return statements


def read_page(user, args: dict, sort: str, cursor: str | None, limit: int):
    """(rows, next_cursor) of one page of the user's list in `sort` order."""
    rows = []
    if not any(value for key, value in args.items() if key not in NOT_FILTERS):
        position = decode_cursor(cursor, sort) if cursor else None
        params = {} if position is None else {"moment": position[1], "ident": position[2]}
        # on the driver (core.rows.driver_rows): SQLAlchemy's execution layer has
        # nothing to do for plain rows, and costs a tenth of the request
        connection = db.session.connection()
        # newest and oldest read one group: a cursor naming another is the same page
        group = None if position is None else position[0] if sort == "urgency" else 1
        for statement in _plain_pages(user, sort, group):
            # every statement asks for a whole page (one size, one kept plan on PostgreSQL)
            found = driver_rows(connection, statement, params | {"size": limit + 1})
            rows += found[:limit + 1 - len(rows)]
            if len(rows) > limit:
                break
            params = {}  # the cursor is the first statement's
    else:
        for statement in ordered_queries(user, args, sort, cursor):
            rows += db.session.execute(statement.limit(limit + 1 - len(rows))).all()
            if len(rows) > limit:
                break
    page = rows[:limit]
    return page, (encode_cursor(page[-1], sort) if len(rows) > limit else None)
