"""ix_event_open_place: the open cases by place, for the board's map zoomed in (issue 11)

A partial index: only running cases (not 挂账, closed or rejected), so a view's pins are read
from a small index whatever the number of cases ended.

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


def downgrade():
    op.drop_index('ix_event_open_place', table_name='event')
