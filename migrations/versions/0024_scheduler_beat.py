"""scheduler_beat: when each scheduler round last ran to its end (/healthz, issue 13)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 17:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'scheduler_beat',
        sa.Column('name', sa.String(length=16), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name'))


def downgrade():
    op.drop_table('scheduler_beat')
