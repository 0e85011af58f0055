"""`flask --app wsgi load-categories` and `escalate`."""
from datetime import datetime

import click
from flask.cli import with_appcontext

from core import clock
from core.database import write_transaction
from core.extensions import db
from events.catalogue import load_categories
from events.sweep import escalate_due


@click.command("load-categories")
@with_appcontext
def load_categories_command():
    """Load or update the category catalogue from data/categories.csv."""
    with write_transaction():
        added, updated = load_categories()
    click.echo(f"categories: {added} added, {updated} updated")


@click.command("escalate")
@click.option("--now", "now_text", help="ISO 8601 instant with zone (default: now).")
@with_appcontext
def escalate_command(now_text):
    """Run one escalation sweep and print what it did."""
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


@click.command("auto-dispatch")
@click.argument("category_code")
@click.option("--off", is_flag=True, help="Switch it off: filed cases wait for a dispatcher.")
@with_appcontext
def auto_dispatch_command(category_code, off):
    """Switch 自动派遣 on (or --off) for a category: its filed cases go straight to the
    routing rule's department."""
    from sqlalchemy import select

    from events.models import Category
    with write_transaction():
        category = db.session.scalar(select(Category).where(Category.code == category_code))
        if category is None:
            raise click.ClickException(f"no category {category_code}")
        category.auto_dispatch = not off
    click.echo(f"{category.code} {category.name}: auto-dispatch {'off' if off else 'on'}")


@click.command("search-rebuild")
@with_appcontext
def search_rebuild_command():
    """Rebuild the search index (SQLite) from every case — after an upgrade of Python, whose
    Unicode tables decide how text is split (core/textsearch.py). PostgreSQL keeps its own."""
    from events.search import rebuild
    click.echo(f"search index: {rebuild()} cases indexed")
