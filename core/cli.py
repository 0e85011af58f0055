"""CLI wiring: `flask --app wsgi …`."""
import sys

import click
from flask.cli import AppGroup, with_appcontext

from core import clock
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
@click.option("--email", help="For e-mail notifications.")
@click.option("--department-head", is_flag=True,
              help="部门负责人: hears of the department's overdue cases (handler).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(username, role, town_code, region_code, grid_codes, department_code,
                        display_name, email, department_head, password_stdin):
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
        user.email = email or None
        user.is_department_head = department_head and role == "handler"
        db.session.commit()
    except AppError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"created {user.username} ({user.role})")
    if generated:
        click.echo(f"password: {password}")


@users_cli.command("unlock")
@click.argument("username", required=False)
@click.option("--ip", help="Lift the lockout of this address (with USERNAME: of that pair only).")
def unlock_user_command(username, ip):
    """Lift a login lockout: forget the failed logins of USERNAME, of --ip, or of both."""
    from auth.services import unlock
    try:
        forgotten = unlock(username=username, ip=ip)
    except AppError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"forgot {forgotten} failed login(s)")


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
    report = seed_demo(clock.utcnow(), password=password, cases=cases, if_empty=if_empty)
    db.session.commit()
    for line in report:
        click.echo(line)


calendar_cli = AppGroup("calendar", help="The work calendar (工作日历).")


@calendar_cli.command("seed")
def calendar_seed_command():
    """Enter every year the chinese-calendar package knows that the table lacks."""
    from core.calendar import held_years, package_years, enter_year
    from events.deadlines import recompute_provisional
    held = set(held_years())
    added = [year for year in package_years() if year not in held]
    for year in added:
        enter_year(year)
    recomputed = recompute_provisional() if added else 0
    db.session.commit()
    click.echo(f"calendar: {len(added)} years entered"
               f"{f' ({added[0]}–{added[-1]})' if added else ''}; {recomputed} deadlines recomputed")


@calendar_cli.command("add-year")
@click.argument("year", type=int)
@click.option("--weekdays", is_flag=True,
              help="Monday–Friday, for a year the package does not know; then override days.")
def calendar_add_year_command(year, weekdays):
    """Enter (or re-enter) YEAR and recompute provisional deadlines."""
    from core.calendar import enter_year
    from events.deadlines import recompute_provisional
    try:
        days = enter_year(year, "weekdays" if weekdays else "chinese-calendar")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    recomputed = recompute_provisional()
    db.session.commit()
    click.echo(f"{year}: {days} days entered; {recomputed} provisional deadlines recomputed")


@calendar_cli.command("set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--workday/--off", "is_workday", required=True)
@click.option("--name", default="", help="e.g. 春节 or 春节调休上班")
def calendar_set_command(day, is_workday, name):
    """Override one day."""
    from core.calendar import set_day
    from events.deadlines import recompute_all_running
    try:
        set_day(day.date(), is_workday, name)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    recomputed = recompute_all_running()
    db.session.commit()
    click.echo(f"{day.date()}: {'workday' if is_workday else 'day off'}; "
               f"{recomputed} running deadlines recomputed")


@calendar_cli.command("periods")
@click.argument("region_code")
@click.argument("periods", nargs=-1)
def calendar_periods_command(region_code, periods):
    """Set a region's working periods, e.g. 08:30-12:00 14:00-18:00 (none: inherit again)."""
    from sqlalchemy import select
    from core.worktime import WorkPeriods
    from events.deadlines import recompute_all_running
    from grid.models import Region
    region = db.session.scalar(select(Region).where(Region.code == region_code))
    if region is None:
        raise click.ClickException(f"region {region_code} not found")
    try:
        WorkPeriods.parse(list(periods))
    except ValueError as error:
        raise click.ClickException(f"bad periods: {error}") from None
    region.work_periods = list(periods) or None
    db.session.flush()
    recomputed = recompute_all_running()
    db.session.commit()
    shown = " ".join(periods) or "inherited"
    click.echo(f"{region.name}: {shown}; {recomputed} running deadlines recomputed")


@calendar_cli.command("show")
@click.argument("year", type=int)
def calendar_show_command(year):
    """List the year's days off on weekdays and working weekend days."""
    from datetime import date
    from sqlalchemy import select
    from core.calendar import WorkDay
    rows = db.session.scalars(select(WorkDay).where(
        WorkDay.day >= date(year, 1, 1), WorkDay.day <= date(year, 12, 31)).order_by(WorkDay.day)).all()
    if not rows:
        raise click.ClickException(f"{year} is not in the calendar")
    for row in rows:
        if row.is_workday != (row.day.weekday() < 5):
            click.echo(f"{row.day} {'上班' if row.is_workday else '休息'} {row.name} ({row.source})")


@click.command("escalate")
@click.option("--now", "now_text", help="ISO 8601 instant with zone (default: now).")
@with_appcontext
def escalate_command(now_text):
    """Run one escalation sweep and print what it did."""
    from datetime import datetime
    from events.sweep import escalate_due
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise click.ClickException(f"not an ISO 8601 instant: {now_text}") from None
        if now.tzinfo is None:
            raise click.ClickException("--now needs a zone, e.g. 2026-03-10T10:00:00+08:00")
    else:
        now = clock.utcnow()
    click.echo(str(escalate_due(now)))


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


@click.command("bench-data")
@click.option("--cases", default=100_000, show_default=True)
@click.option("--due", default=0, show_default=True, help="How many are due at --now.")
@click.option("--now", "now_text", help="ISO 8601 instant with zone (default: now).")
@with_appcontext
def bench_data_command(cases, due, now_text):
    """Fill the database with CASES realistic cases for benchmarks (bench/)."""
    from datetime import datetime
    from core.benchdata import generate
    now = datetime.fromisoformat(now_text) if now_text else clock.utcnow()
    made = generate(now, cases, due)
    click.echo(f"bench data: {made['cases']} cases, {made['open']} open, {made['due']} due")


def init_app(app) -> None:
    app.cli.add_command(bench_data_command)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(escalate_command)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(load_categories_command)
    app.cli.add_command(seed_demo_command)
