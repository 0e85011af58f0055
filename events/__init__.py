"""Cases (案件): catalogue, routing, lifecycle services, API and pages."""
from importlib import import_module


def init_app(app) -> None:
    from core import clock
    from core.openapi import register_api
    from core.scheduler import register_job
    from events import labels, lifecycle, schemas as ev, search
    from events.api import api_operations, bp as api_bp
    from events.cli import (auto_dispatch_command, escalate_command, load_categories_command,
                            search_rebuild_command)
    from events.sweep import escalate_due
    from events.deadlines import recompute_after_calendar_change
    from events.hotline import bp as hotline_bp
    from events.views import bp as views_bp, list_url
    from events.presenting import case_badge, table_rows
    import_module("events.admin_views")  # 责任单位 pages: routes on views_bp
    import_module("events.catalogue_views")  # 事项类别 and 责任清单 pages: on views_bp
    from workcal.calendar import calendar_changed
    app.register_blueprint(api_bp)
    app.register_blueprint(views_bp)
    app.register_blueprint(hotline_bp)
    app.cli.add_command(escalate_command)
    app.cli.add_command(load_categories_command)
    app.cli.add_command(auto_dispatch_command)
    app.cli.add_command(search_rebuild_command)
    register_job(app, "escalate", lambda now: str(escalate_due(now)), order=10)
    register_job(app, "search", search.catch_up, order=80)  # new cases into the index
    register_api(app, api_operations, [
        ev.EventCreateIn, ev.ActionIn, ev.EventDetailOut, ev.EventCreatedOut, ev.EventListOut,
        ev.EventItemsOut, ev.UploadOut, ev.CategoryListOut, ev.DepartmentListOut],
        inputs=[ev.EventCreateIn, ev.ActionIn])
    # a calendar change moves deadlines (workcal/ announces it, knowing nothing of cases)
    calendar_changed.connect(recompute_after_calendar_change)

    @app.template_global()
    def time_left(event):
        return labels.time_left_label(event.due_at, clock.utcnow())

    # globals, not a context processor: macros see them too, and nothing runs per render
    # the lifecycle's own tables, so the action forms ask for what the services require
    app.add_template_global(lifecycle.NOTE_REQUIRED, "NOTE_REQUIRED")
    app.add_template_global(lifecycle.PHOTO_ACTIONS, "PHOTO_ACTIONS")
    app.add_template_global(list_url)
    app.add_template_global(case_badge)
    app.add_template_global(table_rows)
    for label in (labels.state_label, labels.action_label, labels.source_label,
                  labels.role_label, labels.holder_label):
        app.add_template_global(label)
