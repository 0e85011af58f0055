"""Backup and restore (issue 13): `flask --app wsgi backup --out DIR`, `… restore DIR`.

A backup is a folder: the database (SQLite's online backup API into database.sqlite3, or
pg_dump's custom format in database.pgdump), the upload folder's files under uploads/,
and manifest.json — each table's row count as of the database copy, the sha256 of the
database file and of every photo — written last, so a folder without one is not a
backup. Writers go on while it runs:
- the database copy is one snapshot (SQLite's backup API copies in one step; pg_dump runs
  in a snapshot exported from the transaction that counts the rows, so the counts are
  the dump's);
- the photos are copied after it. A photo's file is written before the row that names
  it is committed, and files are never deleted, so every photo the copy names is there;
  a photo uploaded after the snapshot comes along too, unnamed, and does no harm.

Restore goes into an empty database of the same engine: the manifest and every checksum
are verified first and nothing is written if one fails; then the database, then the
photos (a file already there must be the same bytes); then each table's count is
checked against the manifest. PostgreSQL's restore is one transaction: all or nothing.
"""
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from core.extensions import db
from core.textsearch import described_by_models

FORMAT = 1
MANIFEST = "manifest.json"
DUMP = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1 << 20


class BackupError(Exception):
    """What is wrong, for the operator: nothing was written."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def pg_tool(name: str) -> str:
    """The newest installed PostgreSQL's client program (it must not be older than the
    server); Debian keeps them in /usr/lib/postgresql/<version>/bin."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0)
    program = found[-1] if found else shutil.which(name)
    if not program:
        raise BackupError(f"{name} not found: install postgresql-client")
    return program


def _libpq_env(url) -> dict:
    """The connection as libpq's environment: no password on a command line."""
    parts = make_url(url)
    env = dict(os.environ)
    for name, value in (("PGHOST", parts.host), ("PGPORT", parts.port),
                        ("PGUSER", parts.username), ("PGPASSWORD", parts.password),
                        ("PGDATABASE", parts.database)):
        if value is not None:
            env[name] = str(value)
    return env


def _run(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _counts(connection) -> dict[str, int]:
    """Each table's rows — but the search index's (SQLite's FTS5 table cannot be scanned;
    it and its own tables are made from the cases, and come along in the copy)."""
    names = sorted(name for name in inspect(connection).get_table_names()
                   if described_by_models(name, "table", None))
    return {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in names}


def _sqlite_path(engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _copy_sqlite(source: Path, target: Path) -> None:
    """SQLite's online backup: one consistent copy while other connections write."""
    with closing(sqlite3.connect(source)) as reading, closing(sqlite3.connect(target)) as writing:
        reading.backup(writing)


def _revision_in(connection) -> str | None:
    """The schema's migration, as of the copy."""
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _dump_database(out: Path) -> tuple[str, dict[str, int], str | None]:
    """The database copied into `out`: its file's name, each table's rows and the schema's
    migration, all as of the copy."""
    engine = db.engine
    target = out / DUMP[engine.dialect.name]
    if engine.dialect.name == "sqlite":
        _copy_sqlite(_sqlite_path(engine), target)
        copy = create_engine(f"sqlite:///{target}", poolclass=NullPool)
        with copy.connect() as connection:
            counts, revision = _counts(connection), _revision_in(connection)
        copy.dispose()
        return target.name, counts, revision
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counts, revision = _counts(connection), _revision_in(connection)
            # pg_dump reads the very snapshot the counts were taken in, while it is open
            _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--snapshot={snapshot}", f"--file={target}"],
                 _libpq_env(engine.url.render_as_string(hide_password=False)))
    return target.name, counts, revision


def _copy_uploads(source: Path, target: Path) -> dict[str, str]:
    files = {}
    if not source.is_dir():
        return files
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.startswith(".tmp-"):  # a write in progress
            continue
        relative = path.relative_to(source).as_posix()
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        with open(path, "rb") as reading, open(destination, "wb") as writing:
            for block in iter(lambda: reading.read(CHUNK), b""):
                digest.update(block)
                writing.write(block)
        files[relative] = digest.hexdigest()
    return files


def backup(app, out: Path) -> dict:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"{out} is not empty: choose a new folder")
    out.mkdir(parents=True, exist_ok=True)
    created = datetime.now(timezone.utc)
    database, counts, revision = _dump_database(out)
    files = _copy_uploads(Path(app.config["UPLOAD_DIR"]), out / "uploads")
    manifest = {
        "format": FORMAT, "created_at": created.isoformat(),
        "engine": db.engine.dialect.name,
        "revision": revision,
        "database": {"file": database, "sha256": _sha256(out / database),
                     "bytes": (out / database).stat().st_size},
        "tables": counts,
        "uploads": files,
    }
    partial = out / (MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(partial, out / MANIFEST)  # a folder with a manifest is a whole backup
    return manifest


def read_manifest(source: Path) -> dict:
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} has no {MANIFEST}: not a complete backup")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise BackupError(f"{MANIFEST} is not valid JSON: {error}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r} is not {FORMAT}")
    return manifest


def verify(source: Path, manifest: dict) -> None:
    """Every file the manifest names is there with its checksum."""
    source = Path(source)
    dump = source / manifest["database"]["file"]
    if not dump.is_file() or _sha256(dump) != manifest["database"]["sha256"]:
        raise BackupError(f"{dump.name} is missing or damaged (sha256 differs)")
    for relative, digest in manifest["uploads"].items():
        path = source / "uploads" / relative
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"uploads/{relative} is missing or damaged (sha256 differs)")


def _photo_conflicts(source: Path, manifest: dict, uploads: Path) -> None:
    for relative, digest in manifest["uploads"].items():
        there = uploads / relative
        if there.exists() and _sha256(there) != digest:
            raise BackupError(f"{there} exists with other content: restore into an empty "
                              "upload folder")


def restore(app, source: Path) -> dict:
    source = Path(source)
    manifest = read_manifest(source)
    engine = db.engine
    if manifest["engine"] != engine.dialect.name:
        raise BackupError(f"a {manifest['engine']} backup cannot be restored into "
                          f"{engine.dialect.name}")
    verify(source, manifest)
    with engine.connect() as connection:
        existing = inspect(connection).get_table_names()
    if existing:
        raise BackupError(f"the database is not empty ({len(existing)} tables): restore "
                          "into an empty one")
    uploads = Path(app.config["UPLOAD_DIR"])
    _photo_conflicts(source, manifest, uploads)
    dump = source / manifest["database"]["file"]
    if engine.dialect.name == "sqlite":
        db.session.remove()
        engine.dispose()
        target = _sqlite_path(engine)
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)  # the empty file the check above opened
        _copy_sqlite(dump, target)
    else:
        _run([pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", f"--dbname={engine.url.database}", str(dump)],
             _libpq_env(engine.url.render_as_string(hide_password=False)))
    for relative in manifest["uploads"]:
        destination = uploads / relative
        if not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / "uploads" / relative, destination)
    engine.dispose()
    with engine.connect() as connection:
        counts = _counts(connection)
    if counts != manifest["tables"]:
        wrong = sorted(name for name in set(counts) | set(manifest["tables"])
                       if counts.get(name) != manifest["tables"].get(name))
        raise BackupError(f"restored row counts differ from the manifest: {', '.join(wrong)}")
    return {"tables": counts, "photos": len(manifest["uploads"]),
            "revision": manifest["revision"]}
