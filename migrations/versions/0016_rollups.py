"""rollup_cell, rollup_town, rollup_department: the dashboards' counters per day (issue 11)

Filled from the cases already there by migration 0019 (dashboard/rollups.py rebuild, which
writes every grain, so it runs once they all exist), then kept by every change.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 11:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

COUNTERS = ("reported", "rejected", "filed", "due", "closed", "closed_on_time", "reworks",
            "extended", "returned", "handled", "handled_on_time", "handle_sec", "verified",
            "verified_on_time", "checked", "checked_on_time", "rated", "satisfied")


def _key(name):
    kind = sa.String(16) if name == "source" else sa.Date() if name in ("cohort", "day") \
        else sa.Integer()
    return sa.Column(name, kind, primary_key=True, autoincrement=False)


def _table(name, keys):
    op.create_table(name, *map(_key, keys),
                    *(sa.Column(c, sa.Integer(), nullable=False, server_default="0")
                      for c in COUNTERS))


def upgrade():
    _table('rollup_cell', ("town_id", "cohort", "day", "grid_id", "department_id",
                           "category_id", "source"))
    _table('rollup_town', ("town_id", "cohort", "day", "source"))
    _table('rollup_department', ("town_id", "cohort", "day", "department_id", "source"))


def downgrade():
    op.drop_table('rollup_department')
    op.drop_table('rollup_town')
    op.drop_table('rollup_cell')
