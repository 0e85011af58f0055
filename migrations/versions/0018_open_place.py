"""ix_event_open_place, ix_event_open_units: the running cases by place (the board's map
zoomed in) and by town, grid, department and deadline (the pages' 在办 and 超期数) — issue 11

Partial indexes: only running cases (not 挂账, closed or rejected), so both reads stay small
whatever the number of cases ended; the second holds every column its count needs.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 12:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

WHERE = "state IN ('reported', 'filed', 'dispatched', 'accepted', 'handled')"


def upgrade():
    op.create_index('ix_event_open_place', 'event', ['lat', 'lon'],
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))
    op.create_index('ix_event_open_units', 'event',
                    ['town_id', 'grid_id', 'department_id', 'due_at'],
                    postgresql_where=sa.text(WHERE), sqlite_where=sa.text(WHERE))


def downgrade():
    op.drop_index('ix_event_open_units', table_name='event')
    op.drop_index('ix_event_open_place', table_name='event')
