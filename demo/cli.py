"""`flask --app wsgi seed-demo` and `bench-data`."""
from datetime import datetime

import click
from flask.cli import with_appcontext

from core import clock
from core.database import write_transaction
from demo.benchdata import generate
from demo.seed import seed_demo
from events.search import catch_up


@click.command("seed-demo")
@with_appcontext
@click.option("--password", help="Password for every demo user (otherwise generated and printed).")
@click.option("--cases", default=300, show_default=True, help="How many demo cases.")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@click.option("--history/--no-history", default=None,
              help="Also two years of the demonstration programme: 24 more towns and their "
                   "cases (default: with any cases; `--cases 0` is the bare world).")
def seed_demo_command(password, cases, if_empty, history):
    """Load the demo county, towns, grids, departments, users and cases (idempotent)."""
    if password is not None and len(password) < 8:
        raise click.ClickException("password must have at least 8 characters")
    with write_transaction():
        report = seed_demo(clock.utcnow(), password=password, cases=cases, if_empty=if_empty,
                           history=cases > 0 if history is None else history)
    for line in report:
        click.echo(line)
    catch_up()  # the search index (SQLite) has its cases at once, not at the first cycle


@click.command("bench-data")
@click.option("--cases", default=100_000, show_default=True)
@click.option("--due", default=0, show_default=True, help="How many are due at --now.")
@click.option("--now", "now_text", help="ISO 8601 instant with zone (default: now).")
@with_appcontext
def bench_data_command(cases, due, now_text):
    """Fill the database with CASES realistic cases for benchmarks (bench/)."""
    now = datetime.fromisoformat(now_text) if now_text else clock.utcnow()
    made = generate(now, cases, due)
    catch_up()
    click.echo(f"bench data: {made['cases']} cases, {made['open']} open, {made['due']} due")
