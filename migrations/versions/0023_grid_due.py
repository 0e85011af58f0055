"""ix_event_grid_due: a grid's running clocks in deadline order, so one grid's overdue list
reads its first page from the index (issue 11: with every open case overdue, PostgreSQL
sorted the grid's cases)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 16:05:00

"""
from alembic import op


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

def upgrade():
    # whole, not partial: a partial index (due_at IS NOT NULL) tempts SQLite to read a
    # county's running clocks from it and sort them instead of walking ix_event_due in order
    op.create_index('ix_event_grid_due', 'event', ['grid_id', 'due_at', 'id'])


def downgrade():
    op.drop_index('ix_event_grid_due', table_name='event')
