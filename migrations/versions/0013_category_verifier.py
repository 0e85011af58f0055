"""category.verifier: who verifies (核实) a report — the grid's workers, or the town's
dispatchers for the catch-all 其他问题 (`flask --app wsgi load-categories` adds it)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 09:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('category', sa.Column('verifier', sa.String(length=16), nullable=False,
                                        server_default='grid_worker'))


def downgrade():
    op.drop_column('category', 'verifier')
