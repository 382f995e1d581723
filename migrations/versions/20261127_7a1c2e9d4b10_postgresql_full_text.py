"""Full text on PostgreSQL: a tsvector per organization, with a GIN index (SQLite keeps FTS5).

The tsvector is written by the application (directory/search/sync.py) from the same Python tokens that
SQLite's FTS5 table holds, so both databases match exactly the same words. On SQLite this migration does
nothing.

Revision ID: 7a1c2e9d4b10
Revises: 6e8cde761c37
Create Date: 2026-11-27 14:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '7a1c2e9d4b10'
down_revision = '6e8cde761c37'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_table(
        "organization_fts",
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("document", postgresql.TSVECTOR(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organization.id"],
            name="fk_organization_fts_organization_id_organization", ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("organization_id", name="pk_organization_fts"),
    )
    op.create_index(
        "ix_organization_fts_document", "organization_fts", ["document"], postgresql_using="gin"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_organization_fts_document", table_name="organization_fts")
    op.drop_table("organization_fts")
