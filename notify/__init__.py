"""Notifications: an outbox written with what it announces, delivered after commit."""


def init_app(app) -> None:
    from flask_login import current_user

    from core.openapi import register_api
    from core.scheduler import register_job
    from events.signals import case_drafted, case_moved, steps_reached
    from notify.handoffs import announce_moves, read_ahead
    from notify.api import NotificationListOut, ReadIn, ReadOut, api_operations, bp as api_bp
    from notify.audience import announce_steps
    from notify.calendar_watch import warn_about_missing_year
    from notify.delivery import deliver_pending
    from notify.digest import send_digests
    from notify.services import BELL_CAP, badge, unread_counts
    from notify.views import bp as views_bp
    # the sweep announces ladder steps; notify/ decides who hears (events/ imports no notify/)
    steps_reached.connect(announce_steps)
    case_moved.connect(announce_moves)  # hand-offs: whoever the case now waits on
    case_drafted.connect(read_ahead)  # … read before a new case's unit of work
    app.register_blueprint(api_bp)
    app.register_blueprint(views_bp)
    register_api(app, api_operations, [NotificationListOut, ReadIn, ReadOut], inputs=[ReadIn])

    def deliver(now):
        sent, failed = deliver_pending(now)
        return f"delivered {sent}, failed {failed}"
    register_job(app, "calendar-warning",
                 lambda now: "calendar warning" if warn_about_missing_year(now) else "", order=20)
    register_job(app, "deliver", deliver, order=90)  # after what the others queued
    register_job(app, "digest", lambda now: f"digests queued: {send_digests(now)}", when="daily")

    @app.context_processor
    def _bell():
        """The bell in every page's menu: unread tasks (待办) and alerts (提醒)."""
        if not current_user.is_authenticated:
            return {}
        return {"bell": unread_counts(current_user, cap=BELL_CAP)}
    app.add_template_filter(badge, "badge")
