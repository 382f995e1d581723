"""Search changes: which listings each search generation changed, so servers update their index in place.

Revision ID: a8d3c6e1f042
Revises: f1a2b3c4d5e6
Create Date: 2026-12-01 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8d3c6e1f042'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'search_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_change')),
    )
    with op.batch_alter_table('search_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_change_generation'), ['generation'], unique=False)


def downgrade():
    with op.batch_alter_table('search_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_change_generation'))
    op.drop_table('search_change')
