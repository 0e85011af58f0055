"""`flask --app wsgi backup --out DIR` and `flask --app wsgi restore DIR` (ops/backup.py)."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ops.backup import BackupError, backup, restore


@click.command("backup")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="a new (or empty) folder for the backup")
@with_appcontext
def backup_command(out: Path):
    """A consistent copy of the database and the photos, with a manifest."""
    try:
        manifest = backup(current_app._get_current_object(), out)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    rows = sum(manifest["tables"].values())
    click.echo(f"backed up {manifest['engine']} database ({len(manifest['tables'])} tables, "
               f"{rows} rows, migration {manifest['revision']}) and "
               f"{len(manifest['uploads'])} files into {out}")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False, path_type=Path))
@with_appcontext
def restore_command(source: Path):
    """Restore a backup into an empty database and upload folder."""
    try:
        report = restore(current_app._get_current_object(), source)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {sum(report['tables'].values())} rows in {len(report['tables'])} "
               f"tables and {report['photos']} files (migration {report['revision']}); "
               "checked against the manifest")


def init_app(app) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
