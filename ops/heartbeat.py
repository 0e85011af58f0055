"""The scheduler's heartbeat: the last job of each round records that the round ran to its
end. A round whose job failed records nothing, so a scheduler that keeps failing falls
silent just like one that died."""
import os
import socket
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core import clock
from core.bulk import postgresql
from core.database import write_transaction
from core.extensions import db
from ops.models import SchedulerBeat


def beat(name: str, started_at: datetime) -> str:
    """Upsert the round's row: two schedulers started by mistake both write it, neither
    fails on the other's insert."""
    row = {"name": name, "started_at": started_at, "finished_at": clock.utcnow(),
           "host": socket.gethostname()[:255], "pid": os.getpid()}
    with write_transaction():
        insert = (pg_insert if postgresql() else sqlite_insert)(SchedulerBeat.__table__)
        db.session.execute(insert.values(row).on_conflict_do_update(
            index_elements=["name"],
            set_={key: value for key, value in row.items() if key != "name"}))
    return ""


def last(name: str = "cycle") -> SchedulerBeat | None:
    return db.session.get(SchedulerBeat, name)
