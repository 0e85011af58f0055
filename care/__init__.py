"""巡访+互助 (issue 14, item 11 of the plan): the register of left-behind elderly, their
visits on a schedule by risk level (and extra rounds in a cold wave), neighbours paired to
help, late visits escalated, coverage per grid and town. The most sensitive data in the
system: see care/access.py."""


def init_app(app) -> None:
    from care import api, field_views, views
    from care.sweep import escalate_care
    from core.openapi import register_api
    from core.scheduler import register_job
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(field_views.bp)
    register_job(app, "care-escalate", escalate_care, order=21)
    register_api(app, api.api_operations, [api.VisitIn, api.DueListOut, api.VisitOut,
                                           api.PersonOut], inputs=[api.VisitIn])
