"""Bulk writes: a batch of rows in one statement, on PostgreSQL and SQLite alike (the
escalation sweep and the notices it announces)."""
import json
from functools import lru_cache
from datetime import date, datetime, timezone

from sqlalchemy import JSON, Text, bindparam, cast, column, func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.types import NullType

from core.database import on_driver, require_writing
from core.extensions import db
from core.rows import insert_rows


def postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def column_type(table, name):
    column_ = table.c[name]
    if isinstance(column_.type, NullType) and column_.foreign_keys:  # typed by its target
        return next(iter(column_.foreign_keys)).column.type
    return column_.type


def json_document(rows: list[dict]) -> str:
    """`rows` as one JSON document for json_records (instants as UTC ISO text, dates ISO)."""
    iso = {}  # `now` recurs in every row

    def as_json(value):
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        if not isinstance(value, datetime):
            raise TypeError(f"{type(value).__name__} is not JSON serializable")
        if value not in iso:
            iso[value] = value.astimezone(timezone.utc).isoformat()
        return iso[value]

    return json.dumps(rows, default=as_json)


def json_records(columns: dict, rows: list[dict] | None = None):
    """PostgreSQL: `rows` as `json_to_recordset(<one JSON document>) AS v(<column> <type>, …)`.
    A whole batch then goes in one statement with one parameter: executemany runs a
    statement per row, a VALUES list makes the driver parse and bind a placeholder per
    cell, and bound arrays of text are quoted element by element in Python. Without `rows`
    the document is the parameter `v_rows`, given at execution (a statement built once)."""
    document = (bindparam("v_rows", json_document(rows), type_=Text) if rows is not None
                else bindparam("v_rows", type_=Text))
    return (func.json_to_recordset(cast(document, JSON))
            .table_valued(*(column(name, type_) for name, type_ in columns.items()))
            .render_derived(name="v", with_types=True))


def bulk_insert(table, rows: list[dict], *, returning=(), skip_conflicts=False):
    """INSERT all `rows` (dicts naming the same columns), ON CONFLICT DO NOTHING with
    `skip_conflicts`: one statement on PostgreSQL, executemany on SQLite."""
    if postgresql():
        if not skip_conflicts:
            statement = _pg_plain_insert(table, tuple(rows[0]), tuple(returning))
            return db.session.execute(statement, {"v_rows": json_document(rows)})
        names = list(rows[0])
        source = json_records({name: column_type(table, name) for name in names}, rows)
        statement = (pg_insert(table).from_select(names, select(*source.c))
                     .on_conflict_do_nothing())
        if returning:
            statement = statement.returning(*returning)
        return db.session.execute(statement)
    if not (skip_conflicts or returning):
        # a create's notices are written under the write lock: on the driver (core.rows)
        require_writing("INSERT")
        insert_rows(db.session.connection(), table, rows)
        return None
    return db.session.execute(_sqlite_insert(table, skip_conflicts, tuple(returning)), rows)


@lru_cache(maxsize=None)
def _pg_plain_insert(table, names: tuple, returning: tuple):
    """A plain INSERT … SELECT FROM json_to_recordset, built once per table and columns with
    the document as its parameter. SQLAlchemy caches the compiled form of this (generic)
    INSERT, not of the PostgreSQL dialect's (ON CONFLICT), which is compiled on every call
    (~1 ms: a create's notices are written under the write lock)."""
    source = json_records({name: column_type(table, name) for name in names})
    statement = insert(table).from_select(list(names), select(*source.c))
    return statement.returning(*returning) if returning else statement


@lru_cache(maxsize=None)
def _sqlite_insert(table, skip_conflicts: bool, returning: tuple):
    """Built once: a statement object reused keeps its cache key (the notices of a create
    are written under the write lock)."""
    statement = sqlite_insert(table).on_conflict_do_nothing() if skip_conflicts else insert(table)
    return statement.returning(*returning) if returning else statement


@lru_cache(maxsize=None)
def _adding(table, keys: tuple, counters: tuple, dialect: str) -> str:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET c = c + excluded.c: the same words on
    SQLite and PostgreSQL but for the driver's placeholders, written once per table and
    handed to the driver as they are. (The dialects' own on_conflict_do_update statements
    are compiled anew on every execution: 1 ms a write; a text() statement still costs a
    quarter of a millisecond each on a create's path, which writes four.)"""
    names = (*keys, *counters)  # plain identifiers: no quoting needed on either engine
    mark = "%({})s" if dialect == "postgresql" else ":{}"
    return (f"INSERT INTO {table.name} ({', '.join(names)}) "
            f"VALUES ({', '.join(mark.format(n) for n in names)}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
            + ", ".join(f"{n} = {table.name}.{n} + excluded.{n}" for n in counters))


def _plain(value):
    """SQLite's driver is handed dates as the text SQLAlchemy's Date stores."""
    return value.isoformat() if isinstance(value, date) else value


def bulk_add(table, keys: tuple, counters: tuple, rows: list[dict], executor=None) -> None:
    """Add each row's `counters` to the row of its `keys` (inserting it when new): counters
    kept by deltas. `executor`: a session (default db.session) or a connection (migrations).
    Keys and counters are plain values: ids, text, dates and integers."""
    if not rows:
        return
    executor = executor or db.session
    connection = executor.connection() if hasattr(executor, "connection") and not hasattr(
        executor, "exec_driver_sql") else executor
    dialect = connection.dialect.name
    if dialect == "sqlite":
        rows = [{name: _plain(value) for name, value in row.items()} for row in rows]
    on_driver(connection, _adding(table, tuple(keys), tuple(counters), dialect), rows, many=True)
