"""定期调度 (issue 15): the towns' monthly progress reports, their lines per milestone and
photos, and the ladder steps a missing report reached

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03 23:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'progress_report',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('entry_id', sa.Integer(), sa.ForeignKey('programme_town.id'), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('submitted_at', TZ, nullable=False),
        sa.Column('submitted_by_id', sa.Integer(), sa.ForeignKey('user.id')),
        sa.Column('submitted_by_name', sa.String(64), nullable=False),
        sa.Column('problems', sa.Text(), nullable=False),
        sa.Column('help_needed', sa.Boolean(), nullable=False),
        sa.Column('revised', sa.Integer(), nullable=False),
        sa.UniqueConstraint('entry_id', 'month'))
    op.create_table(
        'progress_line',
        sa.Column('report_id', sa.Integer(), sa.ForeignKey('progress_report.id'),
                  primary_key=True),
        sa.Column('milestone_id', sa.Integer(), sa.ForeignKey('ledger_milestone.id'),
                  primary_key=True),
        sa.Column('percent', sa.Integer(), nullable=False),
        sa.Column('spent', sa.Float(), nullable=False))
    op.create_table(
        'progress_report_photo',
        sa.Column('report_id', sa.Integer(), sa.ForeignKey('progress_report.id'),
                  primary_key=True),
        sa.Column('attachment_id', sa.Integer(), sa.ForeignKey('attachment.id'),
                  primary_key=True, unique=True))
    op.create_table(
        'report_escalation',
        sa.Column('entry_id', sa.Integer(), sa.ForeignKey('programme_town.id'),
                  primary_key=True),
        sa.Column('month', sa.Date(), primary_key=True),
        sa.Column('step', sa.Integer(), primary_key=True),
        sa.Column('reached_at', TZ, nullable=False))


def downgrade():
    for table in ('report_escalation', 'progress_report_photo', 'progress_line',
                  'progress_report'):
        op.drop_table(table)
