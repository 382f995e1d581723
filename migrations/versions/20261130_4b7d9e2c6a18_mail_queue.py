"""The mail queue: every outgoing message is a row, sent by `flask send-mail`; and an index to count each
person's thread messages per hour.

Revision ID: 4b7d9e2c6a18
Revises: 38fdee865379
Create Date: 2026-11-30 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b7d9e2c6a18'
down_revision = '38fdee865379'
branch_labels = None
depends_on = None

_OPEN_DIGEST = "kind = 'digest' AND status = 'queued'"


def upgrade():
    op.create_table(
        'mail_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('locale', sa.String(length=12), nullable=False),
        sa.Column('kind', sa.Enum('message', 'notice', 'digest', name='mail_kind', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('status', sa.Enum('queued', 'sending', 'sent', 'failed', name='mail_status', native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_message')),
    )
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.create_index('ix_mail_message_due', ['status', 'not_before'], unique=False)
        batch_op.create_index('ix_mail_message_recipient', ['to_address', 'created_at'], unique=False)
        batch_op.create_index(
            'uq_mail_message_open_digest',
            ['to_address'],
            unique=True,
            sqlite_where=sa.text(_OPEN_DIGEST),
            postgresql_where=sa.text(_OPEN_DIGEST),
        )
    with op.batch_alter_table('request_message', schema=None) as batch_op:
        batch_op.create_index('ix_request_message_author_at', ['author_id', 'at'], unique=False)


def downgrade():
    with op.batch_alter_table('request_message', schema=None) as batch_op:
        batch_op.drop_index('ix_request_message_author_at')
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.drop_index('uq_mail_message_open_digest')
        batch_op.drop_index('ix_mail_message_recipient')
        batch_op.drop_index('ix_mail_message_due')
    op.drop_table('mail_message')
