"""Engine set-up and the one owner of a writing transaction (DESIGN.md, "Running").

SQLite runs in WAL with foreign keys on. Readers never block in WAL, so a request reads in a
plain deferred transaction and many requests run at once, on every core. A request that
writes does so inside `write_transaction()`, which ends the read snapshot and starts again
with BEGIN IMMEDIATE: a deferred transaction that reads and later writes cannot upgrade its
lock when another writer got there first and fails at once with "database is locked",
whatever the busy timeout, while BEGIN IMMEDIATE makes writers queue on the busy timeout.
Before it they take their turn in the writers' queue (core.writers).

Everywhere — requests, CLI commands, scheduled jobs, the demo seed, test set-up — a flush
or a DML statement outside `write_transaction()` is a bug and raises at once (issue 16: one
owner of each transaction), so no writing path commits on its own or slips back into a
deferred transaction.
"""
import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from core import textsearch
from core.extensions import db
from core.writers import (BACKSTOP_FRAMES, WriterQueue, current_turn, give_turn_back,
                          take_turn)

_writing: ContextVar[bool] = ContextVar("gridgov_writing", default=False)

#: SQLite's synchronous setting. NORMAL (the default here) in WAL never corrupts the database;
#: a power cut (not a process crash) may lose the last transactions committed before it.
#: FULL syncs the WAL on every commit, so an acknowledged case survives a power cut too.
SYNCHRONOUS = ("NORMAL", "FULL")


class WriteOutsideTransaction(RuntimeError):
    """A request tried to write without `write_transaction()`."""


def is_writing() -> bool:
    return _writing.get()


@contextmanager
def write_transaction():
    """One unit of work that writes: BEGIN IMMEDIATE on SQLite, one commit at the end,
    rollback on any error. Side effects (mail, webhooks) belong after it; slow work such as
    image decoding before it. Nested use joins the outer unit, which commits."""
    session = db.session()
    if _writing.get():
        yield session
        return
    if session.in_transaction():
        _end_snapshot(session)
    token = _writing.set(True)
    try:
        yield session
        # Keep what this unit wrote in memory: the answer is built from it, not reloaded.
        _commit_keeping(session)
    except BaseException:
        session.rollback()
        raise
    finally:
        _writing.reset(token)
        give_turn_back()


def _end_snapshot(session) -> None:
    """End the read snapshot so the write sees what other writers committed since, and
    expire what was read: an object loaded again inside the unit (a case and its version, a
    rating's state) is read afresh under the lock, not served from memory. Reference data
    (models marked `stays_loaded`: users, regions, grids, categories, departments) stays
    loaded, so what a request checked before the unit is not read again under the lock."""
    _commit_keeping(session)
    for instance in list(session.identity_map.values()):
        if not getattr(instance, "stays_loaded", False):
            session.expire(instance)


def _commit_keeping(session) -> None:
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def writes(view):
    """A view that is one write unit of work from start to end (no slow work inside)."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        with write_transaction():
            return view(*args, **kwargs)
    return wrapper


def end_read() -> None:
    """Close the request's read transaction before slow work (image decoding, PDFs)."""
    session = db.session()
    if not _writing.get() and session.in_transaction():
        session.commit()


def close_quietly(app) -> None:
    """End each request's session before Flask-SQLAlchemy's own teardown (teardowns run in
    reverse order of registration), tolerating a connection that died after the answer was
    made — PostgreSQL restarting while a read's transaction was still open: the rollback at
    the end fails, the pool discards the connection, and the answer already made stands
    instead of becoming a 500."""
    @app.teardown_appcontext
    def _remove_session(request_error):
        try:
            if request_error is None:
                try:
                    _end_read_committing(db.session())
                except Exception:  # noqa: BLE001 — it ends with ROLLBACK, just below
                    app.logger.warning("a read could not end with COMMIT", exc_info=True)
            db.session.remove()
        except SQLAlchemyError as error:
            app.logger.warning("session ended on a dead connection: %s",
                               str(error).splitlines()[0])
            db.session.registry.clear()


def _end_read_committing(session) -> None:
    """PostgreSQL: end a request's read transaction with COMMIT, not the ROLLBACK that
    session.remove() sends. psycopg forgets every prepared statement on a rollback, so
    reads ended that way never reached its prepare threshold: every statement of every
    list and case read was parsed and planned afresh (a supervisor's list: 1.3 ms of its
    4.1). Only a plain read ends so: a request that failed, a session with objects
    pending or work queued for a commit (`session.info`: moves to announce, counts to
    add), or a transaction PostgreSQL has failed, is rolled back as before. SQLite keeps
    its rollback (its driver keeps its statements either way)."""
    if _writing.get() or not session.in_transaction() or session.new or session.dirty \
            or session.deleted or any(session.info.values()) \
            or session.get_bind().dialect.name != "postgresql":
        return
    from psycopg.pq import TransactionStatus
    status = session.connection().connection.driver_connection.info.transaction_status
    if status == TransactionStatus.INTRANS:
        _commit_keeping(session)  # what was read stays loaded, as session.remove() leaves it


@contextmanager
def rehearsal(app):
    """Everything `app` does inside — requests read, their write units begin, write and
    commit — runs as it would, but on one connection whose transaction is rolled back at
    the end, so nothing stays in the database (ops.warmup). The app's sessions join that
    transaction with savepoints: a unit's commit releases its savepoint, the rollback at
    the end undoes them all. On SQLite the writers' turn and the write lock are taken
    first (BEGIN IMMEDIATE) and held to the end: other writers wait as for any unit.
    Whatever fails, the engine, the sessions' settings and the turn are given back. Use it
    outside an app context (each request pushes its own); one thread only."""
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        joining = db.session.session_factory.kw.get("join_transaction_mode",
                                                    "conditional_savepoint")
        connection = engine.connect()
        turn = None
        try:
            writing = _writing.set(True)
            try:
                connection.begin()  # on SQLite: the writers' turn, then BEGIN IMMEDIATE
            finally:
                _writing.reset(writing)
                # the turn is the rehearsal's to the end, not given back by a unit inside
                turn = current_turn.get()
                current_turn.set(None)
            db.session.remove()
            db.session.configure(join_transaction_mode="create_savepoint")
            engines[None] = connection  # what every session of the app binds to meanwhile
        except BaseException:
            _end_rehearsal(engines, engine, joining, connection, turn)
            raise
    try:
        yield connection
    finally:
        with app.app_context():
            _end_rehearsal(engines, engine, joining, connection, turn)


def _end_rehearsal(engines, engine, joining, connection, turn) -> None:
    """The engine, the sessions' settings, the rollback and the turn, each given back
    whatever the one before it raised."""
    try:
        engines[None] = engine
        try:
            db.session.remove()
        finally:
            db.session.configure(join_transaction_mode=joining)
            try:
                connection.rollback()
            finally:
                connection.close()
    finally:
        if turn is not None:
            queue, held = turn
            queue.release(held)


def _hinting(compiler: type) -> type:
    """SQLite's statement compiler with table hints: `select.with_hint(Event, "INDEXED BY
    ix_…", "sqlite")` renders after the table's name, where SQLAlchemy's SQLite dialect
    renders none. For the few statements SQLite's planner, which has no statistics, would
    otherwise read from a worse index (dashboard.stats.Moment)."""
    return type("HintingSQLiteCompiler", (compiler,),
                {"get_from_hint_text": lambda self, table, text: text})


def configure_engine(engine: Engine, busy_timeout_ms: int, synchronous: str = "NORMAL",
                     writer_wait_ms: int | None = None, checkpoint_every: int = 0) -> None:
    if engine.dialect.name != "sqlite":
        return
    engine.dialect.statement_compiler = _hinting(type(engine.dialect).statement_compiler)
    if synchronous not in SYNCHRONOUS:
        raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {SYNCHRONOUS}")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Hand transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        textsearch.register(dbapi_connection)  # the search index's triggers call it
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute(f"PRAGMA synchronous = {synchronous}")
            if checkpoint_every:
                # the queue checkpoints (below); SQLite's own only for writes past it
                cursor.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_FRAMES}")
        cursor.close()

    queue = None
    if engine.url.database not in (None, "", ":memory:"):
        wait_s = (busy_timeout_ms if writer_wait_ms is None else writer_wait_ms) / 1000
        queue = WriterQueue(engine.url.database + "-writer", wait_s, engine, checkpoint_every)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if is_writing():
            take_turn(queue)  # given back when the unit ends (write_transaction)
            _begin(connection, "BEGIN IMMEDIATE")
        else:
            _begin(connection, "BEGIN")


def _begin(connection, statement: str) -> None:
    """BEGIN sent straight to the driver: through exec_driver_sql, SQLAlchemy's statement
    machinery (a cursor, an execution context, a result) cost ~25 µs for a statement that
    returns nothing, once for every request and twice for every create (issue 8). A
    failure reaches the caller as SQLAlchemy's own error, as it did that way: "database
    is locked" is still a 503 (core.errors)."""
    try:
        connection.connection.dbapi_connection.execute(statement)
    except sqlite3.Error as error:
        raise DBAPIError.instance(statement, None, error, sqlite3.Error) from error


def on_driver(connection, statement: str, params, *, many: bool = False):
    """`statement` (the driver's own SQL and placeholders) run on the driver's cursor inside
    `connection`'s transaction: the cursor, to fetch from (`fetchone`, `lastrowid`) and
    close (with `many`, an executemany of `params`: nothing). SQLAlchemy's execution of a
    statement (its context, parameter processing, result) costs 15–30 µs over the driver's
    own; the writes of a create run under the write lock, a dozen of them (issue 8). Errors
    reach the caller as SQLAlchemy's own (IntegrityError, OperationalError), as they did.
    Where listeners watch the engine's statements (a test counting them), the statement
    goes through SQLAlchemy's `exec_driver_sql` instead, so they see it."""
    if connection.dispatch.before_cursor_execute:
        # its result fetches, closes and gives lastrowid as the driver's cursor does
        result = connection.exec_driver_sql(statement, list(params) if many else params)
        return None if many else result
    if not connection.in_transaction():
        connection.begin()  # as SQLAlchemy's own execution would (autobegin)
    driver = connection.connection.dbapi_connection
    cursor = driver.cursor()
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        if many:
            cursor.executemany(statement, params)
            cursor.close()
            return None
        cursor.execute(statement, params)
    except dbapi_error as error:
        # a connection that died (PostgreSQL restarting) is invalidated, as SQLAlchemy's
        # own execution does: the pool then never hands it out again
        gone = connection.dialect.is_disconnect(error, driver, cursor)
        try:
            cursor.close()
        except dbapi_error:
            pass
        if gone:
            connection.invalidate(error)
        raise DBAPIError.instance(statement, params, error, dbapi_error,
                                  connection_invalidated=gone,
                                  dialect=connection.dialect) from error
    return cursor


def require_writing(what: str) -> None:
    """For statements run on the session's connection, which the guards below do not see:
    raise unless inside `write_transaction()`."""
    if not is_writing():
        _refuse_write(what)


def _refuse_write(what: str) -> None:
    raise WriteOutsideTransaction(
        f"{what} outside write_transaction(): wrap the unit of work")


@event.listens_for(Session, "before_flush")
def _guard_flush(session, _context, _instances):
    if not is_writing():
        _refuse_write("flush")


@event.listens_for(Session, "do_orm_execute")
def _guard_dml(state):
    if (state.is_insert or state.is_update or state.is_delete) and not is_writing():
        _refuse_write("INSERT/UPDATE/DELETE")
