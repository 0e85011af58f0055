"""Reference data kept between requests, as long as the database says it is unchanged
(issue 8).

Categories, grids, regions, departments and the work calendar change a few times a year and
are read by nearly every request: a report's category, grid and working periods, the
workbench's filter lists. The database holds one token, `reference_version.token`, which
triggers set to a new random value whenever one of those tables changes (migration 0039),
in the same transaction as the change, on SQLite and PostgreSQL alike, whoever writes:
a page, the CLI, a migration or SQL typed by hand.

A request reads the token with its first statement, the caller's (auth: the page's user and
the API token's user carry `version_column()`), and `note()`s it on its session.
`kept(name, key, load)` then gives what `load()` gave a request of this process that read
the same token, and otherwise calls it and keeps the result:

- an edit committed before the request's first statement is seen: the token changed;
- an edit committed while the request runs is not, as if the request had read all its
  reference data with its first statement (SQLite reads in one snapshot anyway);
- the token is good for the session's transaction that read it, so a request's write unit
  (which ends the read transaction first), and whatever it reads after it, read the
  database itself; so do the CLI, the scheduler and anything else that reads no caller;
- a session holding unflushed changes reads the database (its autoflush would write them).

What is kept must be plain, immutable data — rows, tuples, parsed values — never ORM
objects, which belong to one session: core.rows makes rows into the session's objects
(`loadable` copies a row's JSON values first). Nothing found is not kept: a made-up code
costs a statement, as before, and cannot push out what is.
"""
from copy import deepcopy
from weakref import WeakKeyDictionary

from flask import current_app
from sqlalchemy import CheckConstraint, Column, Integer, String, Table, select

from core.database import is_writing
from core.extensions import db

#: the tables whose every change gives the token a new value (migration 0039's triggers)
TABLES = ("category", "grid", "region", "department", "work_day")

reference_version = Table(
    "reference_version", db.metadata,
    Column("id", Integer, primary_key=True),
    Column("token", String(32), nullable=False),
    CheckConstraint("id = 1", name="ck_reference_version_one"),
)

#: what a process keeps at most, the oldest dropped first (a county has a few thousand
#: grids; a grid worker's filter lists are kept by the worker's grids)
LIMIT = 4096

#: each transaction's token, as long as the transaction lives: a session's next transaction
#: has none until its caller's statement notes one
_tokens: WeakKeyDictionary = WeakKeyDictionary()


def init_app(app) -> None:
    app.extensions["gridgov.reference"] = {}


def version_column():
    """The token as a column of the caller's statement (no statement of its own)."""
    return select(reference_version.c.token).scalar_subquery()


def note(session, token: str | None) -> None:
    """The request's token, read by its first statement in the session's transaction (None:
    nothing is kept). It is good for that transaction only, and never inside a write unit
    (what it reads there may be its own uncommitted change)."""
    transaction = session.get_transaction()
    if token is not None and transaction is not None and not is_writing():
        _tokens[transaction] = token


def keeps(session) -> bool:
    """Whether `kept` keeps anything for this session now (for a caller whose way of
    reading without it differs: one grid by a statement, or all of them kept)."""
    return _token(session) is not None


def _token(session) -> str | None:
    transaction = session.get_transaction()
    if transaction is None or session.new or session.deleted or session.dirty:
        return None
    return _tokens.get(transaction)


def kept(name: str, key, load):
    """load()'s value for (name, key) as of the session's token: kept between requests of
    this process while the token stays the same; load() itself when there is no token."""
    token = _token(db.session())
    if token is None:
        return load()
    store = current_app.extensions["gridgov.reference"]
    found = store.get((name, key))
    if found is not None and found[0] == token:
        return found[1]
    value = load()
    if value is None:  # nothing found (an unknown code a request made up) is not kept
        return value
    if len(store) >= LIMIT:  # the oldest out first
        del store[next(iter(store))]
    store[(name, key)] = (token, value)
    return value


def loadable(row: tuple) -> tuple:
    """A kept row's values for core.rows.as_loaded: its JSON lists and dicts copied, so an
    object changing one in place changes neither what is kept nor other requests' objects."""
    if not any(isinstance(value, (list, dict)) for value in row):
        return row
    return tuple(deepcopy(value) if isinstance(value, (list, dict)) else value
                 for value in row)
