"""check_in: a grid worker's visit to a QR point (巡查打卡, issue 10)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 16:40:00

"""
from alembic import op
import sqlalchemy as sa



revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'check_in',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user.id'), nullable=False),
        sa.Column('point_id', sa.Integer(), sa.ForeignKey('qr_point.id'), nullable=False),
        sa.Column('grid_id', sa.Integer(), sa.ForeignKey('grid.id'), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lat', sa.Float(), nullable=True),
        sa.Column('lon', sa.Float(), nullable=True),
        sa.Column('accuracy_m', sa.Float(), nullable=True),
        sa.Column('distance_m', sa.Integer(), nullable=True),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.UniqueConstraint('user_id', 'key', name='ux_check_in_user_key'),
    )
    op.create_index('ix_check_in_point_id', 'check_in', ['point_id'])
    op.create_index('ix_check_in_grid_at', 'check_in', ['grid_id', 'at'])
    op.create_index('ix_check_in_user_at', 'check_in', ['user_id', 'at'])


def downgrade():
    op.drop_table('check_in')
