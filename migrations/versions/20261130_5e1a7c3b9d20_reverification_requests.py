"""An organization's "my listing is still correct" queues it for re-verification.

Revision ID: 5e1a7c3b9d20
Revises: 7a1c2e9d4b10
Create Date: 2026-11-30 17:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1a7c3b9d20'
down_revision = '7a1c2e9d4b10'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reverify_requested_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('reverify_requested_at')
