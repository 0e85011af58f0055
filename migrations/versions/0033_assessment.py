"""年度考核 (issue 15): a year's published assessment of one level of demonstration towns
and its rows, kept as published

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-04 05:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'programme_assessment',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(4), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), sa.ForeignKey('user.id')),
        sa.Column('actor_name', sa.String(64), nullable=False),
        sa.Column('document_no', sa.String(64), nullable=False),
        sa.Column('weights', sa.JSON(), nullable=False),
        sa.Column('candidate_town_id', sa.Integer(), sa.ForeignKey('region.id')),
        sa.UniqueConstraint('year', 'level'))
    op.create_table(
        'programme_assessment_row',
        sa.Column('assessment_id', sa.Integer(), sa.ForeignKey('programme_assessment.id'),
                  primary_key=True),
        sa.Column('town_id', sa.Integer(), sa.ForeignKey('region.id'), primary_key=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('town_code', sa.String(12), nullable=False),
        sa.Column('town_name', sa.String(64), nullable=False),
        sa.Column('score', sa.Float()),
        sa.Column('grade', sa.String(1)),
        sa.Column('parts', sa.JSON(), nullable=False),
        sa.Column('rank', sa.Integer()),
        sa.Column('mark', sa.String(20)))


def downgrade():
    op.drop_table('programme_assessment_row')
    op.drop_table('programme_assessment')
