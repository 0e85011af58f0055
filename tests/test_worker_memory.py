"""What a web worker holds (issue 8, memory): under gunicorn the app imports neither the
migration tool nor the spreadsheet, QR or PDF libraries (their pages would count in every
worker's memory) — they load when an export, a sheet or a poster is made — and what start-up
built is frozen out of the collector, so forked workers keep sharing it. The `flask db`
commands are still there outside a server."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("alembic", "flask_migrate", "openpyxl", "qrcode", "reportlab")


def _run(code: str, tmp_path) -> str:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/m.sqlite3",
           "GRIDGOV_INSTANCE": str(tmp_path / "instance")}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_a_served_app_leaves_the_heavy_libraries_out_and_freezes_its_start(tmp_path):
    out = _run("import gc, sys, gunicorn, wsgi\n"
               f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), gc.get_freeze_count() > 10000)",
               tmp_path)
    assert out == "[] True"


def test_exports_and_posters_still_load_their_libraries_when_used(tmp_path):
    out = _run("import sys, gunicorn, wsgi\n"
               "from core.sheets import Column, xlsx\n"
               "with wsgi.app.app_context():\n"
               "    data = xlsx('t', [Column('名称', 'name')], [{'name': '清河镇'}])\n"
               "from portal.posters import qr_svg\n"
               "svg = qr_svg('http://127.0.0.1/q/x')\n"
               "print(data[:2] == b'PK', svg.startswith(b'<?xml'), 'openpyxl' in sys.modules)",
               tmp_path)
    assert out == "True True True"


def test_the_migration_commands_are_there_outside_a_server(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/m.sqlite3",
           "GRIDGOV_INSTANCE": str(tmp_path / "instance")}
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "db",
                           "upgrade"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    import sqlite3
    tables = sqlite3.connect(tmp_path / "m.sqlite3").execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    assert "Running upgrade" in done.stderr and tables > 40
