"""login_failure: lockout per (account, IP), per IP and per account instead of a lock on the user

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'login_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=False),
        sa.Column('ip', sa.String(length=45), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_login_failure_username_at', 'login_failure', ['username', 'at'])
    op.create_index('ix_login_failure_ip_at', 'login_failure', ['ip', 'at'])
    op.create_index('ix_login_failure_at', 'login_failure', ['at'])
    # Not batch mode: on SQLite it copies "user" into a new table and drops the old one,
    # which foreign keys from every case and token refuse once there is data.
    # SQLite (>= 3.35) drops a plain column in place.
    op.drop_column('user', 'failed_logins')
    op.drop_column('user', 'locked_until')


def downgrade():
    op.add_column('user', sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('user', sa.Column('failed_logins', sa.Integer(), server_default='0',
                                    nullable=False))
    op.drop_table('login_failure')
