"""SchedulerBeat: when each of the scheduler's rounds last ran to its end."""
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.types import UTCDateTime


class SchedulerBeat(db.Model):
    """One row per round ("cycle": sweep, calendar check, delivery; "daily": the digest),
    written as the round's last job. A row that ages tells /healthz the scheduler is
    silent, whichever machine it runs on: the row is in the shared database."""
    __tablename__ = "scheduler_beat"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: the round's `now` (when it began) and when its last job ended
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
