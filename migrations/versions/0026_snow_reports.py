"""snow_report, snow_report_photo: progress on a snow point, with the standard's three
ticks and the photos (issue 14)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 18:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'snow_report',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('point_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=8), nullable=False),
        sa.Column('checks', sa.JSON(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['user.id']),
        sa.ForeignKeyConstraint(['point_id'], ['snow_task_point.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_snow_report_point_id', 'snow_report', ['point_id'])
    op.create_table(
        'snow_report_photo',
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('attachment_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id']),
        sa.ForeignKeyConstraint(['report_id'], ['snow_report.id']),
        sa.PrimaryKeyConstraint('report_id', 'attachment_id'),
        sa.UniqueConstraint('attachment_id'))


def downgrade():
    op.drop_table('snow_report_photo')
    op.drop_index('ix_snow_report_point_id', table_name='snow_report')
    op.drop_table('snow_report')
