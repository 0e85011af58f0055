"""ix_event_department_due: a department's running clocks in deadline order, so a handler's
workbench (most urgent first) reads its own from the index instead of walking the county's

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-04 20:30:00

"""
from alembic import op


revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_event_department_due', 'event', ['department_id', 'due_at', 'id'])


def downgrade():
    op.drop_index('ix_event_department_due', table_name='event')
