"""清雪作战 (issue 14): snow points on QR points, the deadline table per snow level and road
class (with its defaults), snow operations, their tasks per grid and the tasks' points

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03 18:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

#: hours from the snow's stop, per level: 主干道, 次干道, 背街小巷, 公共场所
DEFAULT_HOURS = {"小雪": (6, 12, 24, 12), "中雪": (12, 24, 48, 24),
                 "大雪": (24, 36, 72, 36), "暴雪": (36, 48, 96, 48)}
CLASSES = ("主干道", "次干道", "背街小巷", "公共场所")


def upgrade():
    op.add_column('qr_point', sa.Column('snow_class', sa.String(length=8), nullable=True))
    limit = op.create_table(
        'snow_limit',
        sa.Column('level', sa.String(length=4), nullable=False),
        sa.Column('road_class', sa.String(length=8), nullable=False),
        sa.Column('hours', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('level', 'road_class'))
    op.bulk_insert(limit, [{"level": level, "road_class": road, "hours": float(hours)}
                           for level, row in DEFAULT_HOURS.items()
                           for road, hours in zip(CLASSES, row)])
    op.create_table(
        'snow_operation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=4), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('declared_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['declared_by_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_table(
        'snow_task',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('operation_id', sa.Integer(), nullable=False),
        sa.Column('grid_id', sa.Integer(), nullable=False),
        sa.Column('town_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['grid_id'], ['grid.id']),
        sa.ForeignKeyConstraint(['operation_id'], ['snow_operation.id']),
        sa.ForeignKeyConstraint(['town_id'], ['region.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('operation_id', 'grid_id'))
    op.create_index('ix_snow_task_town', 'snow_task', ['town_id', 'operation_id'])
    op.create_table(
        'snow_task_point',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('qr_point_id', sa.Integer(), nullable=True),
        sa.Column('label', sa.String(length=64), nullable=False),
        sa.Column('road_class', sa.String(length=8), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['qr_point_id'], ['qr_point.id']),
        sa.ForeignKeyConstraint(['task_id'], ['snow_task.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_snow_task_point_task_id', 'snow_task_point', ['task_id'])


def downgrade():
    op.drop_index('ix_snow_task_point_task_id', table_name='snow_task_point')
    op.drop_table('snow_task_point')
    op.drop_index('ix_snow_task_town', table_name='snow_task')
    op.drop_table('snow_task')
    op.drop_table('snow_operation')
    op.drop_table('snow_limit')
    op.drop_column('qr_point', 'snow_class')
