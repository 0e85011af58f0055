"""event.attributes: a service's extra answers kept as data, not appended to the description

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('event', sa.Column('attributes', sa.JSON(), nullable=True))


def downgrade():
    # in place, not batch mode (which would copy "event" and trip its foreign keys)
    op.drop_column('event', 'attributes')
