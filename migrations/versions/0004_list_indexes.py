"""lists in index order: (scope, created_at, id) indexes replace the scope-only ones

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 23:10:00

"""
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SCOPES = (("grid", "grid_id"), ("town", "town_id"), ("department", "department_id"))


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        for name, column in SCOPES:
            batch_op.create_index(f'ix_event_{name}_created', [column, 'created_at', 'id'],
                                  unique=False)
            batch_op.drop_index(f'ix_event_{column}')


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        for name, column in SCOPES:
            batch_op.create_index(f'ix_event_{column}', [column], unique=False)
            batch_op.drop_index(f'ix_event_{name}_created')
