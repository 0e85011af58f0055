"""The public portal: resident QR reporting and tracking, posters, Open311 GeoReport v2.

(Not named `public`: that name belongs to the `atpublic` package aiosmtpd imports.)
"""


def init_app(app) -> None:
    from core.errors import register_error_renderer
    from core.openapi import register_api
    from portal import cli, open311, staff, views
    register_error_renderer(app, "/open311/", open311.render_app_error)
    for prefix in ("/q/", "/t/", "/p/"):  # residents' pages answer errors in their own style
        register_error_renderer(app, prefix, views.render_public_error)
    app.add_template_filter(views.tel_links, "tel_links")
    register_api(app, staff.api_operations, [staff.QrPointListOut])
    app.register_blueprint(views.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(staff.api_bp)
    app.register_blueprint(open311.bp)
    cli.init_app(app)
