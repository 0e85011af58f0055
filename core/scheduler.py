"""The one scheduler process: `flask --app wsgi scheduler`. Never inside web workers.

Every SCHEDULER_INTERVAL_SECONDS: escalate_due(now), then deliver the outbox, then the
calendar check. Daily at DIGEST_TIME (Asia/Shanghai, passed explicitly): the digest.
Missed runs do not matter: each job works on stored state.
"""
import logging

from core import clock
from core.extensions import db

log = logging.getLogger("gridgov.scheduler")


def run_cycle(app) -> str:
    """One sweep + delivery + calendar check, in the app's context (also used by tests)."""
    from events.sweep import escalate_due
    from notify.calendar_watch import warn_about_missing_year
    from notify.delivery import deliver_pending
    with app.app_context():
        now = clock.utcnow()
        report = escalate_due(now)
        warned = warn_about_missing_year(now)
        db.session.commit()
        sent, failed = deliver_pending(now)
        db.session.remove()
    return f"{report}; delivered {sent}, failed {failed}" + ("; calendar warning" if warned else "")


def run_digest(app) -> int:
    from notify.digest import send_digests
    with app.app_context():
        count = send_digests(clock.utcnow())
        db.session.commit()
        db.session.remove()
    return count


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

    def digest():
        log.info("digests queued: %d", run_digest(app))

    scheduler.add_job(cycle, IntervalTrigger(seconds=app.config["SCHEDULER_INTERVAL_SECONDS"],
                                             timezone=zone),
                      id="escalate", coalesce=True, max_instances=1, next_run_time=clock.utcnow())
    scheduler.add_job(digest, CronTrigger(hour=hour, minute=minute, timezone=zone),
                      id="digest", coalesce=True, max_instances=1, misfire_grace_time=3600)
    return scheduler
