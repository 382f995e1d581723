"""The search state remembers when what the public may see last changed (Last-Modified of public reads).

Revision ID: f7c1d9a3b6e2
Revises: e4b9c2d7a615
Create Date: 2026-11-30 23:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f7c1d9a3b6e2'
down_revision = 'e4b9c2d7a615'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('search_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('search_state', schema=None) as batch_op:
        batch_op.drop_column('changed_at')
