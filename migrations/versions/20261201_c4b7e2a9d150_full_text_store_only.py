"""Full-text tables as stores only: FTS5 without prefix indexes, the tsvector without its GIN index.

Search now matches and ranks in memory, from the tokens these tables hold (directory/search/backends.py);
nothing queries them with MATCH or @@ any more, so the indexes that served those queries only cost time
on every write (a third of a bulk import's writing on SQLite). The tables stay the source of truth.

Revision ID: c4b7e2a9d150
Revises: a8d3c6e1f042
Create Date: 2026-12-01 05:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c4b7e2a9d150'
down_revision = 'a8d3c6e1f042'
branch_labels = None
depends_on = None

COLUMNS = "name, summary, description, leadership_narrative"


def _rebuild_fts5(options: str) -> None:
    """Recreate the FTS5 table with ``options``, keeping every row (and its rowid: the organization id)."""
    op.execute(
        f"CREATE VIRTUAL TABLE organization_fts_new USING fts5({COLUMNS}, "
        f"tokenize = 'unicode61 remove_diacritics 0'{options})"
    )
    op.execute(
        f"INSERT INTO organization_fts_new (rowid, {COLUMNS}) SELECT rowid, {COLUMNS} FROM organization_fts"
    )
    op.execute("DROP TABLE organization_fts")
    op.execute("ALTER TABLE organization_fts_new RENAME TO organization_fts")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _rebuild_fts5("")
    elif dialect == "postgresql":
        op.drop_index("ix_organization_fts_document", table_name="organization_fts")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _rebuild_fts5(", prefix = '2 3 4'")
    elif dialect == "postgresql":
        op.create_index(
            "ix_organization_fts_document", "organization_fts", ["document"], postgresql_using="gin"
        )
