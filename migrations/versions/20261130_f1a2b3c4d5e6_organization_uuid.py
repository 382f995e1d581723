"""Organization UUID: a stable public identifier for each listing (the HSDS ``organization.id``).

Existing listings each get a random UUID (version 4) here; new ones get one when they are created. It never
changes afterwards, by edits or otherwise, and is never reused.

Revision ID: f1a2b3c4d5e6
Revises: f7c1d9a3b6e2
Create Date: 2026-11-30 23:15:00

"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a2b3c4d5e6'
down_revision = 'f7c1d9a3b6e2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uuid', sa.String(length=36), nullable=True))
    organization = sa.table('organization', sa.column('id', sa.Integer), sa.column('uuid', sa.String))
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.select(organization.c.id))]
    for org_id in ids:
        bind.execute(
            sa.update(organization).where(organization.c.id == org_id).values(uuid=str(uuid.uuid4()))
        )
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.alter_column('uuid', existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_organization_uuid'), ['uuid'])


def downgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organization_uuid'), type_='unique')
        batch_op.drop_column('uuid')
