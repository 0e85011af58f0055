"""category.auto_dispatch: a filed case of the category goes to the routing rule's
department at once, without a dispatcher's step (issue 9)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 05:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # in place, not batch mode (which would copy "category" and trip the foreign keys of
    # every case and routing rule pointing at it)
    op.add_column('category', sa.Column('auto_dispatch', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))


def downgrade():
    op.drop_column('category', 'auto_dispatch')
