"""`flask --app wsgi scheduler`. Each feature adds its own commands in its init_app."""
import click
from flask.cli import with_appcontext


@click.command("scheduler")
@with_appcontext
def scheduler_command():
    """The one scheduler process: sweeps, deliveries and the daily digest."""
    import logging
    from flask import current_app
    from core.scheduler import build_scheduler
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = current_app._get_current_object()
    click.echo("scheduler started; Ctrl-C to stop")
    try:
        build_scheduler(app).start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("scheduler stopped")


def init_app(app) -> None:
    app.cli.add_command(scheduler_command)
