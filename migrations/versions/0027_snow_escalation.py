"""snow_escalation: the ladder steps late snow tasks reached, once each (issue 14)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03 18:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'snow_escalation',
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('reached_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['snow_task.id']),
        sa.PrimaryKeyConstraint('task_id', 'step'))


def downgrade():
    op.drop_table('snow_escalation')
