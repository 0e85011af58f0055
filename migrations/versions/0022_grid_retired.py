"""grid.retired_at: a retired grid keeps its cases and their history but takes no new
report and no point lookup (issue 12)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 14:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    # in place, not batch mode (which copies "grid" and trips the foreign keys onto it)
    op.add_column('grid', sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column('grid', 'retired_at')
