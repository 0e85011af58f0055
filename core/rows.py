"""New rows written past the ORM's flush: `insert_now` turns built (transient) objects into
rows with one prebuilt Core INSERT each and hands them back to the session as if loaded.

The flush of a 50-column case and its log row cost ~1 ms of Python under SQLite's write
lock (the unit-of-work's sort, history, per-attribute events) against ~0.2 ms for the same
INSERTs from a dict; a create holds the lock for its inserts, so that millisecond is spent
by one writer at a time (issue 8). What the flush would also do is done here: many-to-one
relationships set as objects give their keys, column defaults fill what was not set, and
the object then reads as persistent — its later changes are flushed as usual, with the
version counter as the row has it. The INSERTs are compiled once per table, columns and
dialect and handed to the driver's cursor with the columns' own bind processing
(`insert_row`, `insert_rows`): SQLAlchemy's execution of a compiled statement still cost
~30 µs of the lock's time for the case's row.

`driver_rows` is the same for the hot reads (a request's caller, a case page, a report's
duplicate check): a SELECT built once is compiled once per dialect and run on the driver's
cursor, its values through the columns' own processing.

`as_loaded` is the same for rows read by a plain statement: an object made from them reads
as if the ORM had loaded it, without the ORM's loading machinery (~0.1 ms for a user and
its grids, every API request's first read)."""
from collections import namedtuple
from functools import lru_cache

from sqlalchemy import inspect, insert
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.base import instance_state
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.interfaces import MANYTOONE

from core.database import on_driver, require_writing


@lru_cache(maxsize=None)
def _plan(mapper) -> tuple:
    """A mapper's INSERT, its columns (attribute, column, default), its many-to-one
    relationships' key pairs (local attribute, remote attribute) and its primary key's
    attribute — worked out once per mapper."""
    table = mapper.local_table
    (key_column,) = table.primary_key.columns  # one-column keys only
    columns = []
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        if column is key_column or column.table is not table:
            continue
        default = column.default
        if default is not None and not (default.is_scalar or default.is_callable):
            default = None  # a SQL expression or sequence: not worked out here
        columns.append((prop.key, column.key, default, column.server_default is not None))
    relations = tuple(
        (rel.key, tuple((mapper.get_property_by_column(local).key,
                         rel.mapper.get_property_by_column(remote).key)
                        for local, remote in rel.local_remote_pairs))
        for rel in mapper.relationships if rel.direction is MANYTOONE)
    return (table, tuple(columns), relations, mapper.get_property_by_column(key_column).key)


@lru_cache(maxsize=None)
def _driver_insert(table, names: tuple, dialect) -> tuple:
    """An INSERT of `names` into `table` compiled once for `dialect`: its SQL, each
    placeholder's (column, bind processor) in the driver's order, whether the driver takes
    them by position, and whether the new key comes back by RETURNING (PostgreSQL) or as
    the cursor's lastrowid (SQLite)."""
    statement = insert(table)
    returning = dialect.name != "sqlite"
    if returning:
        statement = statement.returning(*table.primary_key.columns)
    compiled = statement.compile(dialect=dialect, column_keys=list(names))
    # what SQLAlchemy's execution applies to each value (SQLAlchemy is pinned: a private
    # attribute of its compiled statement, checked by tests/test_rows.py on both engines)
    processors = compiled._bind_processors
    order = compiled.positiontup if compiled.positional else tuple(compiled.bind_names.values())
    return (str(compiled), tuple((name, processors.get(name)) for name in order),
            compiled.positional, returning)


def _driver_params(binds: tuple, positional: bool, values: dict):
    """One row's values as the driver takes them: each through its column's bind
    processing, in placeholder order (a tuple) or by name (a dict)."""
    if positional:
        return tuple([values[name] if process is None else process(values[name])
                      for name, process in binds])
    return {name: values[name] if process is None else process(values[name])
            for name, process in binds}


def insert_rows(connection, table, rows: list[dict]) -> None:
    """INSERT `rows` (dicts naming the same columns) with one executemany on the driver
    (SQLite: core.bulk's plain batches, the notices of a create among them)."""
    sql, binds, positional, _returning = _driver_insert(table, tuple(rows[0]),
                                                        connection.dialect)
    on_driver(connection, sql, [_driver_params(binds, positional, row) for row in rows],
              many=True)


def insert_row(connection, table, values: dict):
    """INSERT one row of `values` (column → value, each as the column's type takes it) on
    the driver of `connection` (core.database.on_driver): its new primary key."""
    sql, binds, positional, returning = _driver_insert(table, tuple(values), connection.dialect)
    cursor = on_driver(connection, sql, _driver_params(binds, positional, values))
    try:
        return cursor.fetchone()[0] if returning else cursor.lastrowid
    finally:
        cursor.close()


def insert_now(session, *instances) -> None:
    """INSERT each built object in order (a row that another one refers to first) on the
    session's connection, inside the unit of work, then attach them all to the session as
    persistent: no flush runs for them. A constraint fails here, as a flush would."""
    require_writing("insert")
    connection = session.connection()
    for instance in instances:
        state = inspect(instance)
        table, columns, relations, key = _plan(state.mapper)
        values = state.dict
        for name, pairs in relations:
            target = values.get(name)
            if target is not None:
                for local, remote in pairs:
                    values[local] = getattr(target, remote)
        params = {}
        for name, column, default, server_default in columns:
            if name in values:
                value = values[name]
            elif default is not None:
                value = values[name] = default.arg if default.is_scalar else default.arg(None)
            elif server_default:
                continue  # the database fills it; read when first used
            else:
                value = values[name] = None
            params[column] = value
        # straight into the object's dict: it becomes persistent with these as its
        # committed values below, so attribute events (history) would be thrown away
        values[key] = insert_row(connection, table, params)
    for instance in instances:
        make_transient_to_detached(instance)
    _attach(session, instances)


@lru_cache(maxsize=None)
def _relationship_keys(mapper) -> tuple:
    """A mapper's relationships: (attribute, holds many)."""
    return tuple((rel.key, rel.uselist) for rel in mapper.relationships)


def _attach(session, instances) -> None:
    """Put the inserted objects into the session as persistent. When every object they
    hold (a case's category, grid, town, its log) is one of them or in the session already,
    each is attached alone; otherwise `session.add` and its cascade attach the others too,
    as they would be at a flush. The cascade walks every relationship of a case and its
    log: ~50 µs of the write lock's time for nothing to find."""
    hash_key = session.hash_key
    given = {id(instance) for instance in instances}

    def attached(other) -> bool:
        return id(other) in given or instance_state(other).session_id == hash_key

    for instance in instances:
        state = instance_state(instance)
        if state.session_id == hash_key:
            continue
        held = state.dict
        for key, many in _relationship_keys(state.mapper):
            value = held.get(key)
            if value is not None and not (all(map(attached, value)) if many
                                          else attached(value)):
                session.add(instance)
                break
        else:
            session._update_impl(state)  # noqa: SLF001 — session.add without its cascade


@lru_cache(maxsize=None)
def column_keys(mapper) -> tuple:
    """A mapper's column attributes in its table's column order (what `select(table)` gives):
    the values `as_loaded` takes, one a column."""
    table = mapper.local_table
    return tuple(mapper.get_property_by_column(column).key for column in table.columns)


def as_loaded(session, cls, values):
    """The `cls` object whose row is `values` (every column of its table, in order), as
    a query would give it: persistent in `session`, every column loaded, its
    relationships left to load on first use (or set with set_loaded). An object of that
    key already in the session is given back, as a query gives it: its columns as the
    session has them, those it had expired (a commit, a rollback) filled from the row.
    For models of one table with a one-column key and no inheritance, load events or
    reconstructors (the ones the hot reads use: users, grids, regions, categories)."""
    mapper = inspect(cls)
    key = mapper.identity_key_from_primary_key([values[_key_index(mapper)]])
    found = session.identity_map.get(key)
    if found is not None:
        expired = inspect(found).expired_attributes
        if expired:
            for name, value in zip(column_keys(mapper), values):
                if name in expired:
                    set_committed_value(found, name, value)
        return found
    # what the ORM's loading does for a new row (sqlalchemy.orm.loading._instance): the
    # instance keyed, its columns set past the instrumentation (nothing to flush), and put
    # straight into the session's identity map. make_transient_to_detached and
    # session.add() cost ~30 µs an object more: add() walks every relationship's cascade.
    instance = mapper.class_manager.new_instance()
    state = instance_state(instance)
    state.key, state.identity_token = key, None
    instance.__dict__.update(zip(column_keys(mapper), values))
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, key)
    return instance


def as_loaded_row(session, row, *classes) -> list:
    """as_loaded for a row of several classes' columns one after another (a statement that
    joins them): the objects in that order, None for a class outer-joined to nothing (its
    key NULL)."""
    objects, start = [], 0
    for cls in classes:
        end = start + len(cls.__table__.columns)
        values = row[start:end]
        objects.append(None if values[_key_index(inspect(cls))] is None
                       else as_loaded(session, cls, values))
        start = end
    return objects


def set_loaded(instance, name: str, value) -> None:
    """A relationship of an object set as loaded (no history, nothing to flush), unless
    the session already had it loaded."""
    if name not in instance.__dict__:
        set_committed_value(instance, name, value)


@lru_cache(maxsize=None)
def _key_index(mapper) -> int:
    """Where a mapper's (one-column) primary key is among its table's columns."""
    (column,) = mapper.primary_key
    return list(mapper.local_table.columns).index(column)


def plain_rows(session, statement, params) -> list:
    """A plain statement's rows on the session's connection, after the flush an ORM query
    would make first (autoflush): objects added and not yet flushed are found, as a
    query finds them. `statement` is one built once (driver_rows)."""
    if session.autoflush and (session.new or session.dirty or session.deleted):
        session.flush()
    return driver_rows(session.connection(), statement, params)


class _RenderedEachTime(Exception):
    """A statement SQLAlchemy renders again at each execution."""


class _ReadPlan:
    """A SELECT compiled once for a dialect: its SQL, its placeholders' (name, bind
    processor) in the driver's order, the values of the binds the statement holds itself
    (a scope's grid, a LIMIT), and — after its first execution, from the cursor's
    description as SQLAlchemy's result does — the row class and each column's result
    processor."""
    __slots__ = ("sql", "binds", "positional", "fixed", "row", "types", "processors")

    def __init__(self, statement, dialect):
        compiled = statement.compile(dialect=dialect)
        if not compiled._result_columns:  # noqa: SLF001
            raise ValueError("driver_rows reads: a SELECT only")
        if compiled.post_compile_params or compiled.literal_execute_params \
                or compiled.escaped_bind_names \
                or any(bind.callable is not None for bind in compiled.binds.values()):
            raise _RenderedEachTime  # or bound anew on each execution: SQLAlchemy's work
        processors = compiled._bind_processors  # noqa: SLF001 — pinned, see _driver_insert
        order = compiled.positiontup if compiled.positional \
            else tuple(compiled.bind_names.values())
        self.sql, self.positional = str(compiled), compiled.positional
        self.binds = tuple((name, processors.get(name)) for name in order)
        self.fixed = {name: bind.value for name, bind in compiled.binds.items()
                      if not bind.required}
        columns = compiled._result_columns  # noqa: SLF001 — (key, name, objects, type)
        self.row = _row_class(tuple(column[0] for column in columns))
        self.types = tuple(column[3] for column in columns)
        self.processors = None

    def resolve(self, dialect, description) -> None:
        if len(description) != len(self.types):
            raise ValueError("driver_rows: the cursor's columns are not the statement's")
        self.processors = tuple(
            (index, process) for index, process in enumerate(
                type_._cached_result_processor(dialect, column[1])  # noqa: SLF001
                for type_, column in zip(self.types, description))
            if process is not None)


@lru_cache(maxsize=1024)
def _row_class(names: tuple):
    """The named tuple of a statement's columns, one class for every statement of that
    shape (each scope's list statements share one)."""
    return namedtuple("Row", names, rename=True)


@lru_cache(maxsize=8192)
def _read_plan(statement, dialect) -> _ReadPlan | None:
    """The statement's plan for `dialect` (an engine's own: its compiler and its types'
    settings), made on first use; None for one whose SQL SQLAlchemy renders anew on each
    execution (an IN of a list, a value written into the SQL: PostgreSQL's page sizes),
    which SQLAlchemy then executes as before. Kept least recently used first, the
    statement itself as the key (compared by identity); room for every scope's statements
    the lists and the duplicate check keep (events.filters, events.intake), so a county's
    hot plans are not dropped for its rare ones."""
    try:
        return _ReadPlan(statement, dialect)
    except _RenderedEachTime:
        return None


def driver_rows(connection, statement, params: dict) -> list:
    """The rows of a SELECT built once (a module's constant, a cached statement) run on the
    driver's cursor of `connection` (core.database.on_driver): compiled once per dialect,
    its values through the columns' own bind and result processing, as SQLAlchemy's
    execution would give them — each row a named tuple (by position and by name).
    SQLAlchemy's execution of a compiled SELECT and its Result cost ~60–90 µs of a
    request's CPU over the driver's (issue 8: a token read, a case read, a duplicate
    check). Errors reach the caller as SQLAlchemy's own."""
    dialect = connection.dialect
    plan = _read_plan(statement, dialect)
    if plan is None:
        return connection.execute(statement, params).all()
    values = plan.fixed | params if plan.fixed else params
    try:
        bound = _driver_params(plan.binds, plan.positional, values)
    except Exception as error:  # a value missing or refused by its column, as SQLAlchemy says
        raise StatementError(str(error) or repr(error), plan.sql, params, error) from error
    cursor = on_driver(connection, plan.sql, bound)
    try:
        if plan.processors is None:
            # SQLAlchemy's Result when listeners watch (on_driver): its DBAPI cursor's
            description = getattr(cursor, "cursor", cursor).description
            plan.resolve(dialect, description)
        found = cursor.fetchall()
    finally:
        cursor.close()
    make, processors = plan.row._make, plan.processors
    if not processors:
        return [make(row) for row in found]
    rows = []
    for row in found:
        row = list(row)
        for index, process in processors:
            row[index] = process(row[index])
        rows.append(make(row))
    return rows


def first_row(session, statement, params) -> tuple | None:
    """plain_rows' first row as a plain tuple (what core.reference may keep), or None."""
    rows = plain_rows(session, statement, params)
    return tuple(rows[0]) if rows else None
