"""`flask --app wsgi calendar …`: the work calendar from the command line."""
from datetime import date

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.database import write_transaction
from core.extensions import db
from grid.models import Region
from workcal.calendar import (WorkDay, calendar_changed_in, enter_year, held_years, package_years,
                              set_day)
from workcal.worktime import WorkPeriods

calendar_cli = AppGroup("calendar", help="The work calendar (工作日历).")


@calendar_cli.command("seed")
def calendar_seed_command():
    """Enter every year the chinese-calendar package knows that the table lacks."""
    with write_transaction():
        held = set(held_years())
        added = [year for year in package_years() if year not in held]
        for year in added:
            enter_year(year)
        recomputed = calendar_changed_in("year") if added else 0
    click.echo(f"calendar: {len(added)} years entered"
               f"{f' ({added[0]}–{added[-1]})' if added else ''}; {recomputed} deadlines recomputed")


@calendar_cli.command("add-year")
@click.argument("year", type=int)
@click.option("--weekdays", is_flag=True,
              help="Monday–Friday, for a year the package does not know; then override days.")
def calendar_add_year_command(year, weekdays):
    """Enter (or re-enter) YEAR and recompute provisional deadlines."""
    try:
        with write_transaction():
            days = enter_year(year, "weekdays" if weekdays else "chinese-calendar")
            recomputed = calendar_changed_in("year")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{year}: {days} days entered; {recomputed} provisional deadlines recomputed")


@calendar_cli.command("set")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--workday/--off", "is_workday", required=True)
@click.option("--name", default="", help="e.g. 春节 or 春节调休上班")
def calendar_set_command(day, is_workday, name):
    """Override one day."""
    try:
        with write_transaction():
            set_day(day.date(), is_workday, name)
            recomputed = calendar_changed_in("days")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{day.date()}: {'workday' if is_workday else 'day off'}; "
               f"{recomputed} running deadlines recomputed")


@calendar_cli.command("periods")
@click.argument("region_code")
@click.argument("periods", nargs=-1)
def calendar_periods_command(region_code, periods):
    """Set a region's working periods, e.g. 08:30-12:00 14:00-18:00 (none: inherit again)."""
    try:
        WorkPeriods.parse(list(periods))
    except ValueError as error:
        raise click.ClickException(f"bad periods: {error}") from None
    with write_transaction():
        region = db.session.scalar(select(Region).where(Region.code == region_code))
        if region is None:
            raise click.ClickException(f"region {region_code} not found")
        region.work_periods = list(periods) or None
        db.session.flush()
        recomputed = calendar_changed_in("days")
    shown = " ".join(periods) or "inherited"
    click.echo(f"{region.name}: {shown}; {recomputed} running deadlines recomputed")


@calendar_cli.command("show")
@click.argument("year", type=int)
def calendar_show_command(year):
    """List the year's days off on weekdays and working weekend days."""
    rows = db.session.scalars(select(WorkDay).where(
        WorkDay.day >= date(year, 1, 1), WorkDay.day <= date(year, 12, 31)).order_by(WorkDay.day)).all()
    if not rows:
        raise click.ClickException(f"{year} is not in the calendar")
    for row in rows:
        if row.is_workday != (row.day.weekday() < 5):
            click.echo(f"{row.day} {'上班' if row.is_workday else '休息'} {row.name} ({row.source})")
