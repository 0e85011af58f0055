"""category.version: two admins editing the same category cannot overwrite each other
(issue 12)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 14:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    # in place, not batch mode (which copies "category" and trips the foreign keys onto it)
    op.add_column('category', sa.Column('version', sa.Integer(), nullable=False,
                                        server_default='1'))


def downgrade():
    op.drop_column('category', 'version')
