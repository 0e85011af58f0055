"""The public portal: resident QR reporting and tracking, posters, Open311 GeoReport v2.

(Not named `public`: that name belongs to the `atpublic` package aiosmtpd imports.)
"""


def init_app(app) -> None:
    from portal import cli, open311, staff, views
    app.register_blueprint(views.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(staff.api_bp)
    app.register_blueprint(open311.bp)
    cli.init_app(app)
