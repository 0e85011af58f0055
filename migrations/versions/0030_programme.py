"""示范镇名录 (issue 15): programme_town and its history programme_change; the towns the
regions already mark as demonstration towns enter it as 在建 (a 'create' row by 迁移)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-03 23:00:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'programme_town',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('town_id', sa.Integer(), sa.ForeignKey('region.id'), nullable=False,
                  unique=True),
        sa.Column('level', sa.String(4), nullable=False),
        sa.Column('status', sa.String(12), nullable=False),
        sa.Column('designated_year', sa.Integer()),
        sa.Column('population', sa.Integer()),
        sa.Column('area_km2', sa.Float()),
        sa.Column('industry', sa.String(200), nullable=False),
        sa.Column('plan_key', sa.String(128)),
        sa.Column('plan_name', sa.String(200), nullable=False),
        sa.Column('created_at', TZ, nullable=False),
        sa.Column('updated_at', TZ, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False))
    op.create_index('ix_programme_town_level_status', 'programme_town', ['level', 'status'])
    op.create_table(
        'programme_change',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('entry_id', sa.Integer(), sa.ForeignKey('programme_town.id'), nullable=False,
                  index=True),
        sa.Column('at', TZ, nullable=False),
        sa.Column('actor_id', sa.Integer(), sa.ForeignKey('user.id')),
        sa.Column('actor_name', sa.String(64), nullable=False),
        sa.Column('action', sa.String(12), nullable=False),
        sa.Column('before', sa.JSON()),
        sa.Column('after', sa.JSON()),
        sa.Column('document_no', sa.String(64), nullable=False),
        sa.Column('note', sa.Text(), nullable=False))
    connection = op.get_bind()
    now = datetime.now(timezone.utc)
    towns = connection.execute(sa.text(
        "SELECT id, demo_level, demo_year FROM region "
        "WHERE level = 'town' AND demo_level IS NOT NULL ORDER BY id")).all()
    entries = sa.table('programme_town', *(sa.column(n) for n in (
        'town_id', 'level', 'status', 'designated_year', 'industry', 'plan_name', 'created_at',
        'updated_at', 'version')))
    changes = sa.table('programme_change', *(sa.column(n) for n in (
        'entry_id', 'at', 'actor_name', 'action', 'document_no', 'note')),
        sa.column('after', sa.JSON))
    for town_id, level, year in towns:
        connection.execute(entries.insert().values(
            town_id=town_id, level=level, status='building', designated_year=year,
            industry='', plan_name='', created_at=now, updated_at=now, version=1))
        entry_id = connection.execute(sa.text(
            "SELECT id FROM programme_town WHERE town_id = :t"), {"t": town_id}).scalar()
        connection.execute(changes.insert().values(
            entry_id=entry_id, at=now, actor_name='迁移', action='create',
            after={"level": level, "status": "building", "designated_year": year},
            document_no='', note='区划中已标注的示范镇'))


def downgrade():
    op.drop_table('programme_change')
    op.drop_table('programme_town')
