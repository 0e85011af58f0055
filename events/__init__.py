"""Cases (案件): catalogue, routing, lifecycle services, API and pages."""


def init_app(app) -> None:
    from events.api import bp as api_bp
    from events.views import bp as views_bp
    app.register_blueprint(api_bp)
    app.register_blueprint(views_bp)
