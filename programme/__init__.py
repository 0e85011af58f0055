"""The demonstration-town programme itself (issue 15): the registry (示范镇名录) with its
history and the plan's quotas; the task ledger (清单化管理) from the responsibility list with
its milestones rolled up; the monthly progress reports (定期调度) and their ladder; the
province's overview of who is behind; the annual assessment (年度考核) with 递补."""


def init_app(app) -> None:
    from core.openapi import register_api
    from core.scheduler import register_job
    from programme import api, assessment_views, ledger_views, report_views, views
    from programme.membership import members
    from programme.reports import escalate_reports
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(ledger_views.bp)
    app.register_blueprint(report_views.bp)
    app.register_blueprint(assessment_views.bp)
    # the dashboard's rankings of a past period read the registry as it was then
    app.extensions["programme.members"] = members
    register_job(app, "programme-reports", escalate_reports, order=22)
    register_api(app, api.api_operations, [api.RegistryOut, api.LedgerOut, api.AssessmentOut])
