"""care register, visits, helpers, cold waves, access log, escalation; event.private,
attachment.claimed_by
(issue 14, 巡访+互助)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-03 22:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)
#: 高 weekly, 中 every two weeks, 低 monthly; in a cold wave 高 every 2 days, 中 3, 低 7
DEFAULTS = [("high", 7, "day", 2), ("medium", 14, "day", 3), ("low", 1, "month", 7)]


def upgrade():
    schedule = op.create_table(
        'care_schedule',
        sa.Column('risk', sa.String(8), primary_key=True),
        sa.Column('every', sa.Integer(), nullable=False),
        sa.Column('unit', sa.String(8), nullable=False),
        sa.Column('cold_wave_days', sa.Integer(), nullable=False))
    op.bulk_insert(schedule, [{"risk": r, "every": e, "unit": u, "cold_wave_days": c}
                              for r, e, u, c in DEFAULTS])
    op.create_table(
        'care_helper',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('grid_id', sa.Integer(), sa.ForeignKey('grid.id'), nullable=False, index=True),
        sa.Column('name', sa.String(32), nullable=False),
        sa.Column('phone', sa.String(20), nullable=False),
        sa.Column('address', sa.String(200), nullable=False),
        sa.Column('created_at', TZ, nullable=False))
    op.create_table(
        'care_person',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('grid_id', sa.Integer(), sa.ForeignKey('grid.id'), nullable=False),
        sa.Column('town_id', sa.Integer(), sa.ForeignKey('region.id'), nullable=False),
        sa.Column('name', sa.String(32), nullable=False),
        sa.Column('birth_year', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(200), nullable=False),
        sa.Column('lat', sa.Float()), sa.Column('lon', sa.Float()),
        sa.Column('phone', sa.String(20), nullable=False),
        sa.Column('guardian_name', sa.String(32), nullable=False),
        sa.Column('guardian_phone', sa.String(20), nullable=False),
        sa.Column('guardian_relation', sa.String(16), nullable=False),
        sa.Column('living', sa.String(24), nullable=False),
        sa.Column('risk', sa.String(8), nullable=False),
        sa.Column('notes', sa.Text(), nullable=False),
        sa.Column('helper_id', sa.Integer(), sa.ForeignKey('care_helper.id')),
        sa.Column('helper_since', sa.Date()),
        sa.Column('registered_on', sa.Date(), nullable=False),
        sa.Column('last_visit_on', sa.Date()),
        sa.Column('next_due_on', sa.Date()),
        sa.Column('left_on', sa.Date()),
        sa.Column('left_reason', sa.String(64), nullable=False),
        sa.Column('created_at', TZ, nullable=False),
        sa.Column('updated_at', TZ, nullable=False),
        sa.Column('version', sa.Integer(), nullable=False))
    op.create_index('ix_care_person_grid_due', 'care_person', ['grid_id', 'next_due_on'])
    op.create_index('ix_care_person_town_due', 'care_person', ['town_id', 'next_due_on'])
    op.create_table(
        'care_visit',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('care_person.id'), nullable=False),
        sa.Column('grid_id', sa.Integer(), sa.ForeignKey('grid.id'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user.id'), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('helper_id', sa.Integer(), sa.ForeignKey('care_helper.id')),
        sa.Column('visited_at', TZ, nullable=False),
        sa.Column('visited_on', sa.Date(), nullable=False),
        sa.Column('lat', sa.Float()), sa.Column('lon', sa.Float()),
        sa.Column('accuracy_m', sa.Float()),
        sa.Column('distance_m', sa.Integer()),
        sa.Column('checks', sa.JSON(), nullable=False),
        sa.Column('needs', sa.Text(), nullable=False),
        sa.Column('photo_consent', sa.Boolean(), nullable=False),
        sa.Column('event_id', sa.Integer(), sa.ForeignKey('event.id')),
        sa.Column('key', sa.String(64), nullable=False),
        sa.Column('created_at', TZ, nullable=False),
        sa.UniqueConstraint('user_id', 'key', name='uq_care_visit_user_key'))
    op.create_index('ix_care_visit_person_on', 'care_visit',
                    ['person_id', 'visited_on', 'visited_at'])
    op.create_index('ix_care_visit_grid_at', 'care_visit', ['grid_id', 'visited_at'])
    op.create_table(
        'care_visit_photo',
        sa.Column('visit_id', sa.Integer(), sa.ForeignKey('care_visit.id'), primary_key=True),
        sa.Column('attachment_id', sa.Integer(), sa.ForeignKey('attachment.id'),
                  primary_key=True, unique=True))
    op.create_table(
        'care_cold_wave',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('town_id', sa.Integer(), sa.ForeignKey('region.id'), nullable=False,
                  index=True),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('declared_by_id', sa.Integer(), sa.ForeignKey('user.id')),
        sa.Column('created_at', TZ, nullable=False))
    op.create_table(
        'care_access',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('care_person.id'), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('user.id'), nullable=False, index=True),
        sa.Column('at', TZ, nullable=False),
        sa.Column('action', sa.String(8), nullable=False),
        sa.Column('via', sa.String(8), nullable=False),
        sa.Column('ip', sa.String(45)))
    op.create_index('ix_care_access_person_at', 'care_access', ['person_id', 'at'])
    op.create_table(
        'care_escalation',
        sa.Column('person_id', sa.Integer(), sa.ForeignKey('care_person.id'), primary_key=True),
        sa.Column('due_on', sa.Date(), primary_key=True),
        sa.Column('step', sa.Integer(), primary_key=True),
        sa.Column('reached_at', TZ, nullable=False))
    op.add_column('event', sa.Column('private', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    # a photo kept by a snow report or a care visit is never a case's (nor, for care,
    # served by /attachments): the snow reports' photos so far are marked
    op.add_column('attachment', sa.Column('claimed_by', sa.String(8)))
    op.execute("UPDATE attachment SET claimed_by = 'snow' WHERE id IN "
               "(SELECT attachment_id FROM snow_report_photo)")


def downgrade():
    for table in ('care_escalation', 'care_access', 'care_cold_wave', 'care_visit_photo',
                  'care_visit', 'care_person', 'care_helper', 'care_schedule'):
        op.drop_table(table)
    # in place, not batch mode (which would copy "event" and trip its foreign keys)
    op.drop_column('event', 'private')
    op.drop_column('attachment', 'claimed_by')
