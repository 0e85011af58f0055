"""ix_event_reporter_phone and ix_event_supervised: the few cases with a caller's number and
the few under 督办, each in a partial index of its own, so the workbench's 来电号码 and 只看督办
read them by id (about a second each at a million cases, walking every case for them)

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-05 01:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None

PHONE = "reporter_phone IS NOT NULL"
SUPERVISED = "supervise_count > 0"


def upgrade():
    op.create_index('ix_event_reporter_phone', 'event', ['reporter_phone'],
                    postgresql_where=sa.text(PHONE), sqlite_where=sa.text(PHONE))
    op.create_index('ix_event_supervised', 'event', ['id'],
                    postgresql_where=sa.text(SUPERVISED), sqlite_where=sa.text(SUPERVISED))


def downgrade():
    op.drop_index('ix_event_supervised', table_name='event')
    op.drop_index('ix_event_reporter_phone', table_name='event')
