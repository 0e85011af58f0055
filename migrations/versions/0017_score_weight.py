"""score_weight: the admins' weights of the 综合指标值 (issue 11, a settings page)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 12:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'score_weight',
        sa.Column('kind', sa.String(length=16), primary_key=True),
        sa.Column('metric', sa.String(length=32), primary_key=True),
        sa.Column('weight', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), sa.ForeignKey('user.id'), nullable=True),
    )


def downgrade():
    op.drop_table('score_weight')
