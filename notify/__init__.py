"""Notifications: an outbox written with what it announces, delivered after commit."""


def init_app(app) -> None:
    from notify.api import bp as api_bp
    from notify.views import bp as views_bp
    app.register_blueprint(api_bp)
    app.register_blueprint(views_bp)
