"""Case numbers unique across the county: each town's prefix heads its numbers
(2026-000123 → 清河-2026-000123); the workbench's urgency order reads ix_event_due

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 08:30:00

"""
import re

from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

#: as grid.models.case_prefix_candidates (a migration keeps its own copy of the rule)
_SUFFIX = re.compile(r"(街道办事处|地区办事处|办事处|街道|民族乡|镇|乡|苏木)$")


def _candidates(name):
    short = _SUFFIX.sub("", name.strip()) or name.strip() or "镇"
    yield short[:4]
    for n in range(1, 100):
        yield f"{short[:2]}{n:02d}"


def upgrade():
    op.add_column('region', sa.Column('case_prefix', sa.String(length=4), nullable=True))
    conn = op.get_bind()
    taken = set()
    for ident, name in conn.execute(sa.text(
            "SELECT id, name FROM region WHERE level = 'town' ORDER BY code")).all():
        prefix = next(c for c in _candidates(name) if c not in taken)
        taken.add(prefix)
        conn.execute(sa.text("UPDATE region SET case_prefix = :p WHERE id = :i"),
                     {"p": prefix, "i": ident})
    op.create_index('ix_region_case_prefix', 'region', ['case_prefix'], unique=True)
    # every existing number gains its town's prefix
    conn.execute(sa.text(
        "UPDATE event SET number = (SELECT case_prefix FROM region "
        "WHERE region.id = event.town_id) || '-' || number"))
    op.create_index('ux_event_number', 'event', ['number'], unique=True)
    op.create_index('ix_event_due', 'event', ['due_at', 'id'], unique=False)
    op.drop_index('ix_event_due_at', table_name='event')


def downgrade():
    op.create_index('ix_event_due_at', 'event', ['due_at'], unique=False)
    op.drop_index('ix_event_due', table_name='event')
    op.drop_index('ux_event_number', table_name='event')
    op.get_bind().execute(sa.text(
        "UPDATE event SET number = substr(number, length((SELECT case_prefix FROM region "
        "WHERE region.id = event.town_id)) + 2)"))
    op.drop_index('ix_region_case_prefix', table_name='region')
    op.drop_column('region', 'case_prefix')
