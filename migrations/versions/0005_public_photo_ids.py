"""public photo ids; tracking codes only on residents' reports

Public photo URLs used the case's tracking code (/t/<code>/photos/<id>), and every case had a
code, so anyone reading Open311 could rate — and reopen — any closed case. Photos get their
own unguessable id; codes of cases that no resident reported are removed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:40:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.String(length=32), nullable=True))
    attachment = sa.table('attachment', sa.column('id', sa.Integer),
                          sa.column('public_id', sa.String))
    connection = op.get_bind()
    ids = connection.execute(sa.select(attachment.c.id)).scalars().all()
    for ident in ids:
        connection.execute(attachment.update().where(attachment.c.id == ident)
                           .values(public_id=secrets.token_urlsafe(16)))
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_attachment_public_id', ['public_id'])
    event = sa.table('event', sa.column('source', sa.String),
                     sa.column('tracking_code', sa.String))
    connection.execute(event.update().where(event.c.source != 'resident')
                       .values(tracking_code=None))


def downgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint('uq_attachment_public_id', type_='unique')
        batch_op.drop_column('public_id')
