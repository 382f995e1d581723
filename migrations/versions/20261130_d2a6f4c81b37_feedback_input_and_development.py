"""Feedback also asks whether survivors' input shaped decisions and whether leadership or professional
development was offered.

Revision ID: d2a6f4c81b37
Revises: b5d2e8f14a37
Create Date: 2026-11-30 20:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2a6f4c81b37'
down_revision = 'b5d2e8f14a37'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('request_feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('input_shaped_decisions', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('development_offered', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('request_feedback', schema=None) as batch_op:
        batch_op.drop_column('development_offered')
        batch_op.drop_column('input_shaped_decisions')
