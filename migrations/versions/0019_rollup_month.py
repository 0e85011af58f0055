"""rollup_month: each month's reports per town × grid × category × source (issue 11)

A year's "most reported" charts read twelve months of these, not a year of rollup_cell.
Then every grain is counted from the cases already there (dashboard/rollups.py rebuild).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 12:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rollup_month',
        *(sa.Column(name, sa.Date() if name == 'month' else sa.String(16) if name == 'source'
                    else sa.Integer(), primary_key=True, autoincrement=False)
          for name in ('town_id', 'month', 'grid_id', 'category_id', 'source')),
        sa.Column('reported', sa.Integer(), nullable=False, server_default='0'))
    from dashboard.rollups import rebuild  # every grain counted afresh, this one with them
    rebuild(op.get_bind())


def downgrade():
    op.drop_table('rollup_month')
