"""administration (issue 12): the append-only audit log; a user's forced password change
and the version numbers that detect two admins editing the same record

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 14:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

_REFUSE = "audit_entry is append-only"


def upgrade():
    op.create_table(
        'audit_entry',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), sa.ForeignKey('user.id'), nullable=True),
        sa.Column('actor_name', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('target', sa.String(length=120), nullable=False),
        sa.Column('action', sa.String(length=24), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.Column('ip', sa.String(length=45), nullable=True),
    )
    op.create_index('ix_audit_entry_at', 'audit_entry', ['at'])
    op.create_index('ix_audit_entry_kind_at', 'audit_entry', ['kind', 'at'])
    op.create_index('ix_audit_entry_actor_id', 'audit_entry', ['actor_id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"""CREATE FUNCTION audit_entry_refuse() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION '{_REFUSE}'; END $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE
            ON audit_entry FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse()""")
    else:
        for verb in ('UPDATE', 'DELETE'):
            op.execute(f"""CREATE TRIGGER audit_entry_no_{verb.lower()} BEFORE {verb}
                ON audit_entry BEGIN SELECT RAISE(ABORT, '{_REFUSE}'); END""")
    # in place, not batch mode (which copies a table and trips the foreign keys onto it)
    op.add_column('user', sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                    server_default=sa.false()))
    op.add_column('user', sa.Column('version', sa.Integer(), nullable=False,
                                    server_default='1'))
    op.add_column('department', sa.Column('version', sa.Integer(), nullable=False,
                                          server_default='1'))


def downgrade():
    op.drop_column('department', 'version')
    op.drop_column('user', 'version')
    op.drop_column('user', 'must_change_password')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION audit_entry_refuse()")
    op.drop_table('audit_entry')
