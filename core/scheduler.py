"""The one scheduler process: `flask --app wsgi scheduler`. Never inside web workers.

Features register their jobs in their init_app (`register_job`): every
SCHEDULER_INTERVAL_SECONDS the "cycle" jobs run in their order (the escalation sweep, the
calendar check, then the outbox's delivery); daily at DIGEST_TIME (Asia/Shanghai, passed
explicitly) the "daily" ones (the digest). Each job is a function of `now` that returns a
line for the log, and commits its own work. Missed runs do not matter: each job works on
stored state.
"""
import logging
from dataclasses import dataclass
from typing import Callable

from core import clock
from core.database import end_read
from core.extensions import db

log = logging.getLogger("gridgov.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable  # run(now) -> str
    when: str      # "cycle" or "daily"
    order: int


def register_job(app, name: str, run: Callable, *, when: str = "cycle", order: int = 50) -> None:
    if when not in ("cycle", "daily"):
        raise ValueError(f"unknown schedule {when!r}")
    jobs = app.extensions.setdefault("gridgov.jobs", {})
    jobs[name] = Job(name, run, when, order)


def _jobs(app, when: str) -> list[Job]:
    return sorted((job for job in app.extensions.get("gridgov.jobs", {}).values()
                   if job.when == when), key=lambda job: (job.order, job.name))


def _run(app, when: str) -> str:
    lines = []
    with app.app_context():
        now = clock.utcnow()
        try:
            for job in _jobs(app, when):
                line = job.run(now)  # each job owns its units of work
                end_read()
                if line:
                    lines.append(line)
        finally:
            db.session.remove()
    return "; ".join(lines)


def run_cycle(app) -> str:
    """One round of the cycle jobs, in the app's context (also used by tests)."""
    return _run(app, "cycle")


def run_daily(app) -> str:
    return _run(app, "daily")


def build_scheduler(app):
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(app.config["LOCAL_TIMEZONE"])
    scheduler = BlockingScheduler(timezone=zone)
    hour, minute = (int(part) for part in app.config["DIGEST_TIME"].split(":"))

    def cycle():
        log.info(run_cycle(app))

    def daily():
        log.info(run_daily(app))

    scheduler.add_job(cycle, IntervalTrigger(seconds=app.config["SCHEDULER_INTERVAL_SECONDS"],
                                             timezone=zone),
                      id="escalate", coalesce=True, max_instances=1, next_run_time=clock.utcnow())
    scheduler.add_job(daily, CronTrigger(hour=hour, minute=minute, timezone=zone),
                      id="digest", coalesce=True, max_instances=1, misfire_grace_time=3600)
    return scheduler
