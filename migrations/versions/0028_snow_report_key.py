"""snow_report.action_key: a phone's word on a snow point, sent again after no signal, is
kept once (issue 14)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-03 18:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    # in place (a unique index, not batch mode: that copies the table its photos point at)
    op.add_column('snow_report', sa.Column('action_key', sa.String(length=64), nullable=True))
    op.create_index('uq_snow_report_actor_key', 'snow_report', ['actor_id', 'action_key'],
                    unique=True)


def downgrade():
    op.drop_index('uq_snow_report_actor_key', table_name='snow_report')
    op.drop_column('snow_report', 'action_key')
