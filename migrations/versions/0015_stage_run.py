"""stage_run: each stage clock's run kept when the stage ends (the metrics' history, issue 11)

Cases already past a stage before this revision have no row for it: the 按期 rates count
the stages that end from now on.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 08:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'stage_run',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('event.id'), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=16), nullable=False),
        sa.Column('department_id', sa.Integer(), sa.ForeignKey('department.id'), nullable=True),
        sa.Column('limit_min', sa.Float(), nullable=False),
        sa.Column('used_min', sa.Float(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('actor_id', sa.Integer(), sa.ForeignKey('user.id'), nullable=True),
        sa.Column('is_on_time', sa.Boolean(), nullable=False),
        sa.UniqueConstraint('event_id', 'seq'),
    )
    op.create_index('ix_stage_run_stage_ended', 'stage_run', ['stage', 'ended_at'])


def downgrade():
    op.drop_table('stage_run')
