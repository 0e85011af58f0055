"""Health checks. `/healthz/web` is the load balancer's: this process answers and reaches
the database. `/healthz` is the monitor's: that, and the scheduler's last round. A
scheduler silent for longer than HEALTH_SCHEDULER_SILENCE_SECONDS makes it 503 with the
reason — but never /healthz/web, or a dead scheduler would take every app server out of
the balancer with it."""
from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core import clock
from core.extensions import db
from ops import heartbeat

bp = Blueprint("health", __name__)


def _database() -> str | None:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return "database not answering"
    return None


@bp.get("/healthz/web")
def web():
    problem = _database()
    if problem:
        return {"status": "unavailable", "web": "ok", "database": problem}, 503
    return {"status": "ok", "web": "ok", "database": "ok"}


def scheduler_report() -> tuple[dict, str | None]:
    """The scheduler's part of /healthz, and the reason it is unhealthy (or None)."""
    limit = current_app.config["HEALTH_SCHEDULER_SILENCE_SECONDS"]
    row = heartbeat.last("cycle")
    if row is None:
        report = {"status": "never", "last_sweep_at": None, "silent_seconds": None,
                  "limit_seconds": limit}
        return report, ("the scheduler has never completed a round" if limit else None)
    silent = max(0, int((clock.utcnow() - row.finished_at).total_seconds()))
    late = bool(limit) and silent > limit
    report = {"status": "silent" if late else "ok",
              "last_sweep_at": row.finished_at.isoformat(), "silent_seconds": silent,
              "limit_seconds": limit, "host": row.host, "pid": row.pid}
    return report, (f"the scheduler has been silent for {silent} s (limit {limit} s)"
                    if late else None)


@bp.get("/healthz")
def healthz():
    problem = _database()
    if problem:
        return {"status": "unavailable", "web": "ok", "database": problem,
                "reason": problem}, 503
    scheduler, reason = scheduler_report()
    body = {"status": "unavailable" if reason else "ok", "web": "ok", "database": "ok",
            "scheduler": scheduler}
    if reason:
        body["reason"] = reason
        return body, 503
    return body
