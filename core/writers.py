"""SQLite's writers take turns (issue 8): the queue a writing unit of work waits in before
BEGIN IMMEDIATE, the turn it holds until it ends, and the WAL checkpoint a process runs
after giving its turn back. core.database takes the turn when a unit begins and gives it
back when the unit ends."""
import fcntl
import logging
import os
import sqlite3
import threading
import time
from contextvars import ContextVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError


class WriterQueue:
    """The writers of one SQLite file take turns before BEGIN IMMEDIATE: a process's threads
    on a lock of their own, the processes on an exclusive flock(2) of `<database>-writer`.
    SQLite's busy handler polls for its lock with sleeps growing to 100 ms, so under load a
    writer that just missed it slept while others took it in turn: the slowest creates
    waited half a second. Here a waiting writer tries again within a millisecond. A turn is
    taken when the unit's first statement begins its transaction and given back when the
    unit ends; a dead process's turn goes with it. A writer waits at most `wait_s` (the
    SQLITE_WRITER_WAIT_MS setting), then fails as SQLite's own wait would — a 503 with
    Retry-After — so a stuck writer cannot hold everyone up for longer. Writers that do
    not queue (a `sqlite3` shell) are still covered by the busy timeout."""

    def __init__(self, path: str, wait_s: float, engine: Engine | None = None,
                 checkpoint_every: int = 0):
        self.path = path
        self.wait_s = wait_s
        #: the engine whose WAL is checkpointed after every `checkpoint_every`-th turn this
        #: process gave back (release; 0: never, SQLite checkpoints inside a commit)
        self.engine = engine
        self.checkpoint_every = checkpoint_every
        self._units = 0
        self._pid = None
        self._fd = None
        self._threads = None

    def _ready(self) -> int | None:
        if self._pid != os.getpid():
            with _OPENING:  # two threads' first writes: one opens, the other waits
                if self._pid != os.getpid():
                    # flock belongs to the open file: a descriptor inherited over fork would
                    # be shared with the parent, so each process opens its own. Read-only is
                    # enough for flock: a file made by another account still serves.
                    self._threads = threading.Lock()
                    try:
                        self._fd = os.open(self.path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC,
                                           0o644)
                    except OSError as error:
                        self._fd = None
                        logging.getLogger(__name__).warning(
                            "writers do not queue (%s): SQLite's busy timeout alone orders "
                            "them", error)
                    self._pid = os.getpid()  # last: other threads see a finished queue
        return self._fd

    def acquire(self) -> tuple | None:
        """Wait for the turn: (threads' lock, descriptor) to give back, or None when this
        process cannot queue. Raises OperationalError ("database is locked") after wait_s."""
        fd = self._ready()
        if fd is None:
            return None
        threads = self._threads
        deadline = time.monotonic() + self.wait_s
        if not threads.acquire(timeout=self.wait_s):
            raise _locked()
        try:
            pause = 0.0001
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return threads, fd
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise _locked() from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.001)
        except BaseException:
            threads.release()
            raise

    def release(self, turn: tuple) -> None:
        """Give the turn back; then, every `checkpoint_every`-th time in this process, copy
        the WAL's pages into the database file (a PASSIVE checkpoint) outside the turn."""
        threads, fd = turn
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            threads.release()
        if self.engine is not None and self.checkpoint_every > 0:
            self._units += 1
            if self._units >= self.checkpoint_every:
                self._units = 0
                checkpoint(self.engine)


def _locked() -> OperationalError:
    return OperationalError("BEGIN IMMEDIATE", None,
                            sqlite3.OperationalError("database is locked (writers' queue)"))


_OPENING = threading.Lock()
#: the turn this unit of work holds: (its queue, (queue's threads' lock, descriptor))
current_turn: ContextVar[tuple | None] = ContextVar("gridgov_writer_turn", default=None)


def take_turn(queue: WriterQueue | None) -> None:
    if queue is not None and current_turn.get() is None:
        turn = queue.acquire()
        if turn is not None:
            current_turn.set((queue, turn))


def give_turn_back() -> None:
    held = current_turn.get()
    if held is not None:
        current_turn.set(None)
        queue, turn = held
        queue.release(turn)



#: SQLite's own checkpoint (`wal_autocheckpoint`, in WAL frames) where the writers' queue
#: checkpoints: only writes that do not queue (a migration, a `sqlite3` shell) reach it
BACKSTOP_FRAMES = 20_000


def checkpoint(engine: Engine) -> None:
    """Copy what the WAL holds into the database file without waiting for anyone (a
    PASSIVE checkpoint: readers and writers go on meanwhile; another checkpoint running
    makes this one return at once). SQLite's default runs it inside the commit that makes
    the WAL pass 1,000 pages — while that writer still holds the writers' turn, so every
    writer waited for the copy and, with synchronous = NORMAL, for its two fsyncs. Run
    after the turn is given back, it is no longer in anyone's way (issue 8). The write
    before it has committed: a failure here is logged, never raised."""
    try:
        with engine.connect() as connection:
            connection.connection.dbapi_connection.execute(
                "PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except Exception:  # noqa: BLE001 — the unit of work before it has committed
        logging.getLogger(__name__).warning("WAL checkpoint failed", exc_info=True)
