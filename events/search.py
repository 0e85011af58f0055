"""The workbench's search (`q`): a case whose number, address or description holds the
words, as `LIKE '%…%'` decides — led by the bigram index (core.textsearch, migration 0037)
when it narrows the cases.

Without the index a search reads the caller's cases newest (or most urgent) first until a
page matches: quick for a word on every other case, and for a rare one a read of the whole
scope — 1.2 s for a town's dispatcher and 2 s for the county at a million cases. With it:

- SQLite has no statistics to choose by, so the index is asked first for the cases holding
  the words, up to RARE of them, and how many cases are newer than it (the scheduler's
  cycle adds them: `catch_up`; a create pays nothing): fewer than RARE each, and the list
  reads just those cases (by id, no other index: `NOT INDEXED`) and sorts them; else the
  words are common enough that reading in the list's order finds a page soon, as before.
- PostgreSQL keeps its GIN index itself, and its planner weighs it against the list's
  order by its statistics.

Either way the `LIKE` stays in the statement, so the index only ever narrows: a search
answers the same cases with it or without it.
"""
from flask import g
from sqlalchemy import Boolean, and_, bindparam, cast, func, or_, text
from sqlalchemy.dialects.postgresql import TSQUERY

from core import textsearch
from core.database import end_read, write_transaction
from core.extensions import db
from events.models import Event

#: a SQLite search the index finds fewer cases for than this reads them by id and sorts them
RARE = 2000

#: the cases the scheduler's cycle indexes in one unit of work (~30 µs each under the lock)
BATCH = 200

_SQLITE_IDS = text("SELECT rowid FROM event_search WHERE event_search MATCH :expression "
                   "LIMIT :cap")
_SQLITE_NEWER = text("SELECT indexed_to, (SELECT coalesce(max(id), 0) FROM event) "
                     "FROM event_search_mark")
_SQLITE_NEXT = text("SELECT max(id) FROM (SELECT id FROM event WHERE id > :after "
                    "ORDER BY id LIMIT :batch)")
_SQLITE_INDEX = text("INSERT INTO event_search (rowid, terms) "
                     "SELECT id, gridgov_terms(number, address, description) FROM event "
                     "WHERE id > :after AND id <= :upto")
_SQLITE_MARK = text("UPDATE event_search_mark SET indexed_to = :upto")
_PG_QUERY = text("SELECT gridgov_query(:words)")


def _holding(words: str):
    return or_(Event.number.contains(words, autoescape=True),
               Event.address.contains(words, autoescape=True),
               Event.description.contains(words, autoescape=True))


def narrow(query, words: str):
    """`query` (on Event) narrowed to the cases holding `words`; the index is read first
    (one statement) to choose how."""
    holding = _holding(words)
    session = db.session
    if db.engine.dialect.name == "postgresql":
        found = session.execute(_PG_QUERY, {"words": words}).scalar()
        if found is None:
            return query.where(holding)
        terms = func.gridgov_terms(Event.number, Event.address, Event.description)
        return query.where(and_(terms.op("@@", return_type=Boolean)(
            cast(bindparam("search_query", found), TSQUERY)), holding))
    expression = textsearch.match_expression(words)
    found = _sqlite_lead(expression) if expression is not None else None
    if found is None:
        return query.where(holding)
    ids, indexed_to = found
    return query.where(or_(Event.id.in_(ids), Event.id > indexed_to), holding).with_hint(
        Event, "NOT INDEXED", "sqlite")


def _sqlite_lead(expression: str) -> tuple[list[int], int] | None:
    """(the ids the index holds the words for, the mark) when both are few enough to lead;
    asked once a request (a list's two statements share it)."""
    asked = g.setdefault("gridgov_search", {})
    if expression not in asked:
        session = db.session
        ids = session.execute(_SQLITE_IDS, {"expression": expression,
                                            "cap": RARE}).scalars().all()
        indexed_to, newest = session.execute(_SQLITE_NEWER).one()
        # common words, or a round that has not run for a while: read as before
        lead = len(ids) < RARE and newest - indexed_to < RARE
        asked[expression] = (ids, indexed_to) if lead else None
    return asked[expression]


def rebuild() -> int:
    """The SQLite index emptied and filled again from the cases (after a change of how text
    is split: core.textsearch); the cases indexed."""
    if db.engine.dialect.name != "sqlite":
        return 0
    with write_transaction() as session:
        session.execute(text("INSERT INTO event_search (event_search) VALUES ('delete-all')"))
        session.execute(_SQLITE_MARK, {"upto": 0})
    line = catch_up()
    return int(line.split()[1]) if line else 0


def catch_up(now=None) -> str:
    """The scheduler's cycle (and the fills of demo and bench data): index the cases newer
    than the mark, BATCH a unit of work so creates go on between. SQLite only: PostgreSQL
    keeps its index itself."""
    if db.engine.dialect.name != "sqlite":
        return ""
    indexed_to, newest = db.session.execute(_SQLITE_NEWER).one()
    end_read()
    if newest <= indexed_to:
        return ""  # nothing new: no turn at the write lock
    indexed = 0
    while True:
        with write_transaction() as session:
            after = session.execute(_SQLITE_NEWER).one()[0]
            upto = session.execute(_SQLITE_NEXT, {"after": after, "batch": BATCH}).scalar()
            if upto is not None:
                indexed += session.execute(_SQLITE_INDEX, {"after": after, "upto": upto}).rowcount
                session.execute(_SQLITE_MARK, {"upto": upto})
        if upto is None:
            return f"search: {indexed} cases indexed"
