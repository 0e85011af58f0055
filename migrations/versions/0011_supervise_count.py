"""event.supervise_count: how many 督办 a case has had (issue 9)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # in place: batch mode would copy "event" under the foreign keys pointing at it
    op.add_column('event', sa.Column('supervise_count', sa.Integer(), nullable=False,
                                     server_default='0'))


def downgrade():
    op.drop_column('event', 'supervise_count')
