"""Registrations wait for their emailed link before any account exists.

Revision ID: 7e3f1a9c2d44
Revises: 4b7d9e2c6a18
Create Date: 2026-11-30 19:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e3f1a9c2d44'
down_revision = '4b7d9e2c6a18'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'pending_registration',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_registration')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_pending_registration_token_hash')),
    )
    with op.batch_alter_table('pending_registration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_registration_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_registration_email'), ['email'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_registration', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_registration_email'))
        batch_op.drop_index(batch_op.f('ix_pending_registration_created_at'))
    op.drop_table('pending_registration')
