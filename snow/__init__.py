"""清雪作战 (issue 14): snowfall operations — declared, stopped, cleared grid by grid.
This first part: the declaration, the tasks per grid and their points, the deadline table
and the API; progress with photos, the board, escalation and the summary come next."""


def init_app(app) -> None:
    from core.openapi import register_api
    from snow import api
    app.register_blueprint(api.bp)
    register_api(app, api.api_operations,
                 [api.DeclareIn, api.StoppedIn, api.PointActionIn, api.SnowOperationOut],
                 inputs=[api.DeclareIn, api.StoppedIn, api.PointActionIn])  # nested ones follow
