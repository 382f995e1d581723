"""The second factor being set up keeps its secret on the server (user_account.totp_pending_secret), no
longer in the signed session cookie.

Revision ID: c83606c9600e
Revises: 9c4e2b7a1f05
Create Date: 2026-11-30 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c83606c9600e'
down_revision = '9c4e2b7a1f05'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_pending_secret', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('totp_pending_secret')
