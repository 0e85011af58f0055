"""The schema comes from migrations, and the migrations match the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from core.extensions import db


def test_migrations_match_the_models(app):
    with app.app_context():
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_event_log_is_append_only(world, report, api):
    import pytest
    from sqlalchemy import select
    from events.models import EventLog
    report("worker")
    with world.app_context():
        log = db.session.scalars(select(EventLog)).first()
        log.note = "rewritten history"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalars(select(EventLog)).first())
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()


def test_sqlite_runs_in_wal_with_foreign_keys(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            assert db.engine.dialect.name == "postgresql"
            assert "event" in inspect(db.engine).get_table_names()
            return
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
