"""At most one pending revision per listing: a partial unique index (SQLite and PostgreSQL).

Saves racing each other could leave several pending revisions for one listing; before the index is
created, every pending revision but the newest of each listing is marked withdrawn, as a later save
would have done.

Revision ID: 38fdee865379
Revises: c83606c9600e
Create Date: 2026-11-30 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '38fdee865379'
down_revision = 'c83606c9600e'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "UPDATE listing_revision SET status = 'withdrawn', decided_at = created_at "
        "WHERE status = 'pending' AND id < ("
        "SELECT MAX(newer.id) FROM listing_revision AS newer "
        "WHERE newer.organization_id = listing_revision.organization_id AND newer.status = 'pending')"
    )
    with op.batch_alter_table('listing_revision', schema=None) as batch_op:
        batch_op.create_index(
            'uq_listing_revision_one_pending',
            ['organization_id'],
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade():
    with op.batch_alter_table('listing_revision', schema=None) as batch_op:
        batch_op.drop_index('uq_listing_revision_one_pending')
