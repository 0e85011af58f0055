"""user.session_epoch: logout and password changes end every session of the user

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 23:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    # in place, not batch mode (which copies "user" and trips the foreign keys onto it)
    op.drop_column('user', 'session_epoch')
