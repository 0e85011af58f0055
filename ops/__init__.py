"""Running it for real (issue 13): health checks that tell the web from the scheduler,
the scheduler's heartbeat, Prometheus metrics, backup and restore (request ids and JSON
log lines are core/requestlog.py: every request has one). The deployment files are in deploy/ (README, "Running in production")."""


def init_app(app) -> None:
    from core.scheduler import register_job
    from ops import cli, heartbeat, metrics
    from ops.health import bp
    metrics.init_app(app)
    cli.init_app(app)
    app.register_blueprint(bp)
    # the last job of each round: a round that failed part-way records nothing
    register_job(app, "heartbeat", lambda now: heartbeat.beat("cycle", now), order=1000)
    register_job(app, "heartbeat-daily", lambda now: heartbeat.beat("daily", now),
                 when="daily", order=1000)
