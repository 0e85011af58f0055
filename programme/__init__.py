"""The demonstration-town programme itself (issue 15): the registry (示范镇名录) with its
history and the plan's quotas. Next: the task ledger from the responsibility list, monthly
progress reports, the annual assessment with 递补."""


def init_app(app) -> None:
    from core.openapi import register_api
    from programme import api, views
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    register_api(app, api.api_operations, [api.RegistryOut])
