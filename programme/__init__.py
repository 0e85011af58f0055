"""The demonstration-town programme itself (issue 15): the registry (示范镇名录) with its
history and the plan's quotas; the task ledger (清单化管理) from the responsibility list with
its milestones rolled up. Next: monthly progress reports, the annual assessment with 递补."""


def init_app(app) -> None:
    from core.openapi import register_api
    from programme import api, ledger_views, views
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(ledger_views.bp)
    register_api(app, api.api_operations, [api.RegistryOut, api.LedgerOut])
