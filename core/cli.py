"""CLI wiring: `flask --app wsgi …`."""
import sys

import click
from flask.cli import AppGroup, with_appcontext

from core.clock import utcnow
from core.errors import AppError
from core.extensions import db

users_cli = AppGroup("users", help="Manage staff accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True,
              type=click.Choice(["grid_worker", "dispatcher", "handler", "supervisor", "admin"]))
@click.option("--town", "town_code", help="Division code of the town (dispatcher, grid worker).")
@click.option("--region", "region_code", help="Division code of the subtree (supervisor).")
@click.option("--grid", "grid_codes", multiple=True, help="Grid code (grid worker); repeatable.")
@click.option("--department", "department_code", help="Department code (handler).")
@click.option("--name", "display_name", help="Display name, e.g. 张三.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(username, role, town_code, region_code, grid_codes, department_code,
                        display_name, password_stdin):
    """Create a staff account. Without --password-stdin a password is generated and printed."""
    import secrets
    from auth.services import create_user
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        generated = False
    else:
        password = secrets.token_urlsafe(12)
        generated = True
    try:
        user = create_user(username, role, password, display_name=display_name,
                           town_code=town_code, region_code=region_code, grid_codes=grid_codes,
                           department_code=department_code)
        db.session.commit()
    except AppError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"created {user.username} ({user.role})")
    if generated:
        click.echo(f"password: {password}")


@click.command("load-categories")
@with_appcontext
def load_categories_command():
    """Load or update the category catalogue from data/categories.csv."""
    from events.catalogue import load_categories
    added, updated = load_categories()
    db.session.commit()
    click.echo(f"categories: {added} added, {updated} updated")


@click.command("seed-demo")
@with_appcontext
@click.option("--password", help="Password for every demo user (otherwise generated and printed).")
@click.option("--cases", default=300, show_default=True, help="How many demo cases.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def seed_demo_command(password, cases, if_empty):
    """Load the demo county, towns, grids, departments, users and cases (idempotent)."""
    from core.demo import seed_demo
    if password is not None and len(password) < 8:
        raise click.ClickException("password must have at least 8 characters")
    report = seed_demo(utcnow(), password=password, cases=cases, if_empty=if_empty)
    db.session.commit()
    for line in report:
        click.echo(line)


def init_app(app) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(load_categories_command)
    app.cli.add_command(seed_demo_command)
