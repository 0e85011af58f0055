"""Prometheus metrics (issue 13), on only with METRICS_ENABLED=1: GET /metrics, answered
only to the addresses in METRICS_ALLOW_FROM (the Prometheus server; nginx keeps it from
the outside too).

Per request, counted in the worker that served it:
- gridgov_http_requests_total{method, endpoint, status}
- gridgov_http_request_duration_seconds{endpoint} (histogram)
Under gunicorn the workers' counts are summed through files in PROMETHEUS_MULTIPROC_DIR
(prometheus_client's multiprocess mode; deploy/gunicorn.conf.py empties it at start and
marks a dead worker's files); without it, one process counts its own.

Read from the database at each scrape (the same on every app server):
- gridgov_cases{state}: cases per state
- gridgov_outbox_messages{status}: notifications by delivery status (pending = backlog)
- gridgov_outbox_oldest_pending_seconds: how long the oldest undelivered one has waited
- gridgov_scheduler_last_round_timestamp_seconds: when the scheduler's last round ended
"""
import os
import time

from flask import Response, abort, current_app, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter,
                               Histogram, generate_latest, multiprocess)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from core import clock
from core.extensions import db
from core.requestlog import WARM_UP_ENVIRON

REQUESTS = Counter("gridgov_http_requests", "HTTP requests answered",
                   ["method", "endpoint", "status"])
DURATION = Histogram("gridgov_http_request_duration_seconds", "Time to answer a request",
                     ["endpoint"], buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))


class DatabaseCollector:
    """Figures every app server reads alike from the shared database."""

    def collect(self):
        from events.models import Event
        from notify.models import Notification
        from ops.heartbeat import last

        cases = GaugeMetricFamily("gridgov_cases", "Cases per state", labels=["state"])
        for state, count in db.session.execute(
                select(Event.state, func.count()).group_by(Event.state)):
            cases.add_metric([state], count)
        yield cases
        outbox = GaugeMetricFamily("gridgov_outbox_messages",
                                   "Notifications by delivery status", labels=["status"])
        for status, count in db.session.execute(
                select(Notification.status, func.count()).group_by(Notification.status)):
            outbox.add_metric([status], count)
        yield outbox
        oldest = db.session.scalar(select(func.min(Notification.created_at))
                                   .where(Notification.status == "pending"))
        waited = (clock.utcnow() - oldest).total_seconds() if oldest else 0
        yield GaugeMetricFamily("gridgov_outbox_oldest_pending_seconds",
                                "How long the oldest undelivered notification has waited",
                                value=waited)
        beat = last("cycle")
        yield GaugeMetricFamily("gridgov_scheduler_last_round_timestamp_seconds",
                                "When the scheduler's last round ended (Unix time; 0: never)",
                                value=beat.finished_at.timestamp() if beat else 0)


class _ThisProcess:
    """The process's own counters when there is no multiprocess directory."""

    def collect(self):
        return REGISTRY.collect()


def exposition() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector())
    return generate_latest(registry)


def init_app(app) -> None:
    if not app.config["METRICS_ENABLED"]:
        return

    @app.after_request
    def _count(response):
        if request.environ.get(WARM_UP_ENVIRON):  # the server's own, before its workers
            return response
        endpoint = request.endpoint or "unmatched"  # a 404's path is not a label
        REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        started = g.get("request_started")
        if started is not None:
            DURATION.labels(endpoint).observe(time.perf_counter() - started)
        return response

    def metrics():
        if request.remote_addr not in current_app.config["METRICS_ALLOW_FROM"]:
            abort(404)
        return Response(exposition(), mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", metrics)
