"""`flask --app wsgi users …`: staff accounts from the command line."""
import secrets
import sys

import click
from flask.cli import AppGroup

from audit.services import record
from auth.admin import snapshot
from auth.services import create_user, unlock
from core.errors import AppError
from core.database import write_transaction

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
@click.option("--email", help="For e-mail notifications.")
@click.option("--department-head", is_flag=True,
              help="部门负责人: hears of the department's overdue cases (handler).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(username, role, town_code, region_code, grid_codes, department_code,
                        display_name, email, department_head, password_stdin):
    """Create a staff account. Without --password-stdin a password is generated and printed."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        generated = False
    else:
        password = secrets.token_urlsafe(12)
        generated = True
    try:
        with write_transaction():
            user = create_user(username, role, password, display_name=display_name,
                               town_code=town_code, region_code=region_code,
                               grid_codes=grid_codes, department_code=department_code,
                               email=email, department_head=department_head)
            record(None, "user", user.username, "create", None, snapshot(user))
    except AppError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"created {user.username} ({user.role})")
    if generated:
        click.echo(f"password: {password}")


@users_cli.command("unlock")
@click.argument("username", required=False)
@click.option("--ip", help="Lift the lockout of this address (with USERNAME: of that pair only).")
def unlock_user_command(username, ip):
    """Lift a login lockout: forget the failed logins of USERNAME, of --ip, or of both."""
    try:
        with write_transaction():
            forgotten = unlock(username=username, ip=ip)
    except AppError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"forgot {forgotten} failed login(s)")
