"""清单化管理 (issue 15): each demonstration town's projects under the items of the plan's
responsibility list, and their milestones with the percent complete reported

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-03 23:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ledger_project',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('entry_id', sa.Integer(), sa.ForeignKey('programme_town.id'), nullable=False),
        sa.Column('item', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(100), nullable=False),
        sa.Column('responsible', sa.String(200), nullable=False),
        sa.Column('target', sa.String(200), nullable=False),
        sa.Column('budget', sa.Float()),
        sa.Column('starts_on', sa.Date()),
        sa.Column('ends_on', sa.Date()),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False))
    op.create_index('ix_ledger_project_entry_item', 'ledger_project', ['entry_id', 'item'])
    op.create_table(
        'ledger_milestone',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('project_id', sa.Integer(), sa.ForeignKey('ledger_project.id'),
                  nullable=False, index=True),
        sa.Column('name', sa.String(100), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('weight', sa.Integer(), nullable=False),
        sa.Column('percent', sa.Integer(), nullable=False),
        sa.Column('spent', sa.Float(), nullable=False),
        sa.Column('reported_at', sa.DateTime(timezone=True)))


def downgrade():
    op.drop_table('ledger_milestone')
    op.drop_table('ledger_project')
