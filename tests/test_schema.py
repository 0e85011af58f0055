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


def test_the_latest_migrations_run_on_a_database_full_of_data(tmp_path):
    """Tests migrate empty databases; a county upgrades one holding its cases, where SQLite's
    foreign keys refuse the table copies batch mode makes. Down to 0006 and up again."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func, select, text

    from core import clock, create_app
    from core.demo import seed_demo
    from events.models import Event
    from tests.conftest import _config
    app = create_app(_config(f"sqlite:///{tmp_path / 'full.sqlite3'}", tmp_path / "uploads"))
    with app.app_context():
        upgrade()
        seed_demo(clock.utcnow(), password="demo-password", cases=12)
        db.session.commit()
        cases = db.session.scalar(select(func.count()).select_from(Event))
        db.session.remove()
        downgrade(revision="0006")
        upgrade()
        assert db.session.scalar(select(func.count()).select_from(Event)) == cases > 0
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        db.session.remove()
        db.engine.dispose()
