"""reference_version: one token that changes with every change of the reference data
(categories, grids, regions, departments, the work calendar), set by triggers in the same
transaction as the change. Requests read it with their caller and keep what they read of
those tables between requests while it stays the same (core.reference, issue 8).

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-05 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None

#: the tables of core.reference.TABLES, as they were when this migration was written
TABLES = ("category", "grid", "region", "department", "work_day")
SQLITE_NEW = "lower(hex(randomblob(16)))"
POSTGRESQL_NEW = "md5(random()::text || clock_timestamp()::text)"


def upgrade():
    op.create_table('reference_version',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('token', sa.String(length=32), nullable=False),
                    sa.CheckConstraint('id = 1', name='ck_reference_version_one'),
                    sa.PrimaryKeyConstraint('id'))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"INSERT INTO reference_version (id, token) VALUES (1, {POSTGRESQL_NEW})")
        op.execute(f"""CREATE FUNCTION gridgov_reference_changed() RETURNS trigger
                       LANGUAGE plpgsql AS $$ BEGIN
                         UPDATE reference_version SET token = {POSTGRESQL_NEW};
                         RETURN NULL;
                       END $$""")
        for table in TABLES:  # once a statement, TRUNCATE too
            op.execute(f"CREATE TRIGGER {table}_reference AFTER INSERT OR UPDATE OR DELETE "
                       f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                       f"EXECUTE FUNCTION gridgov_reference_changed()")
    else:
        op.execute(f"INSERT INTO reference_version (id, token) VALUES (1, {SQLITE_NEW})")
        for table in TABLES:  # SQLite's triggers run once a row
            for change in ("insert", "update", "delete"):
                op.execute(f"CREATE TRIGGER {table}_reference_{change} AFTER {change.upper()} "
                           f"ON {table} BEGIN UPDATE reference_version SET token = "
                           f"{SQLITE_NEW}; END")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_reference ON {table}")
        op.execute("DROP FUNCTION gridgov_reference_changed()")
    else:
        for table in TABLES:
            for change in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_reference_{change}")
    op.drop_table('reference_version')
