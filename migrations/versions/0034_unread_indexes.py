"""The bell's counts (issue 8): partial indexes of each person's unread tasks and alerts;
the inbox's index by person and id (newest first, read or not)

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04 20:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None

UNREAD = "channel = 'in_app' AND read_at IS NULL"
INDEXES = {"ix_notification_unread_tasks": f"{UNREAD} AND kind LIKE 'task.%'",
           "ix_notification_unread_alerts": f"{UNREAD} AND kind NOT LIKE 'task.%'"}


def upgrade():
    with op.batch_alter_table('notification') as batch_op:
        batch_op.drop_index('ix_notification_inbox')
        batch_op.create_index('ix_notification_inbox', ['user_id', 'id'], unique=False)
    for name, where in INDEXES.items():
        op.create_index(name, 'notification', ['user_id', 'id'], unique=False,
                        sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def downgrade():
    for name in INDEXES:
        op.drop_index(name, table_name='notification')
    with op.batch_alter_table('notification') as batch_op:
        batch_op.drop_index('ix_notification_inbox')
        batch_op.create_index('ix_notification_inbox', ['user_id', 'channel', 'read_at'],
                              unique=False)
