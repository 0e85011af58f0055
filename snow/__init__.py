"""清雪作战 (issue 14): snowfall operations — declared, stopped, cleared grid by grid.
Built: the declaration, the tasks per grid and their points, the deadline table, progress
with photos and checks, escalation of late tasks, the API. Next: the pages (the phone's
task, the board, the wall), residents' reports linked, the summary."""


def init_app(app) -> None:
    from core.openapi import register_api
    from core.scheduler import register_job
    from snow import api, field_views, views
    from snow.sweep import escalate_snow
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(field_views.bp)
    # in the round, before the outbox's delivery (order 90) sends what it queued
    register_job(app, "snow-escalate", escalate_snow, order=20)
    register_api(app, api.api_operations,
                 [api.DeclareIn, api.StoppedIn, api.PointActionIn, api.SnowOperationOut],
                 inputs=[api.DeclareIn, api.StoppedIn, api.PointActionIn])  # nested ones follow
