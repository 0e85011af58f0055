"""ix_event_category_place replaces ix_event_category_id: the duplicate check reads a band of
latitude of one category from the index alone instead of every case of the category

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:00:00

"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_event_category_place', 'event',
                    ['category_id', 'lat', 'lon', 'created_at', 'state'], unique=False)
    op.drop_index('ix_event_category_id', table_name='event')


def downgrade():
    op.create_index('ix_event_category_id', 'event', ['category_id'], unique=False)
    op.drop_index('ix_event_category_place', table_name='event')
