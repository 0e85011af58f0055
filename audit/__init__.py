"""The append-only audit log of administration (issue 12): who changed what, when, from
what to what. Every admin change records an entry in the same transaction as the change
(audit.services.record); nothing updates or deletes an entry — the ORM refuses and, below
it, a trigger on each engine (migration 0020)."""


def init_app(app) -> None:
    from audit.views import bp
    app.register_blueprint(bp)
