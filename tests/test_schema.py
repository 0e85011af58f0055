"""The schema comes from migrations, and the migrations match the models."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from core.database import write_transaction
from core.textsearch import described_by_models
from core.extensions import db
from tests.support import writing


def test_migrations_match_the_models(app):
    with app.app_context():
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(
                conn, opts={"include_name": described_by_models}), db.metadata)
    assert diff == []


def test_event_log_is_append_only(world, report, api):
    import pytest
    from sqlalchemy import select
    from events.models import EventLog
    report("worker")
    with pytest.raises(RuntimeError, match="append-only"), writing(world):
        log = db.session.scalars(select(EventLog)).first()
        log.note = "rewritten history"
        db.session.flush()
    with pytest.raises(RuntimeError, match="append-only"), writing(world):
        db.session.delete(db.session.scalars(select(EventLog)).first())
        db.session.flush()
    with world.app_context():
        assert [log.note for log in db.session.scalars(select(EventLog))] != ["rewritten history"]


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


def test_the_migrations_run_on_a_database_full_of_data(empty_database_url, tmp_path):
    """Tests migrate empty databases; a county upgrades one holding its cases, where SQLite's
    foreign keys refuse the table copies batch mode makes. Every migration this work added
    (0004 on) down and up again with the demo's cases in place."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func, select

    from events.models import Event
    from tests.support import demo_database
    with demo_database(empty_database_url, tmp_path, cases=12):
        cases = db.session.scalar(select(func.count()).select_from(Event))
        db.session.remove()
        downgrade(revision="0003")
        upgrade()
        assert db.session.scalar(select(func.count()).select_from(Event)) == cases > 0
        # migration 0016 counted the cases already there into the dashboards' rollups
        from dashboard.models import rollup_cell, rollup_department, rollup_month, rollup_town
        for table in (rollup_cell, rollup_town, rollup_department, rollup_month):
            assert db.session.scalar(select(func.sum(table.c.reported))) == cases
        if db.engine.dialect.name == "sqlite":
            assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
        # migration 0039's token, on a database holding data: a category edited, a new one
        token = text("SELECT token FROM reference_version")
        before = db.session.execute(token).scalar_one()
        db.session.execute(text("UPDATE category SET name = name"))
        assert db.session.execute(token).scalar_one() != before
        db.session.rollback()
        db.session.remove()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(
                conn, opts={"include_name": described_by_models}), db.metadata)
        db.engine.dispose()
    assert diff == []
