"""Profile languages: the language a listing is written in, its summary and leadership narrative in
other languages, and the full-text rows rewritten with the search's new word rules (stemming in the
text's language, hyphenated words joined up, one token per vocabulary term).

Existing listings are marked as written in English.

Revision ID: e4b9c2d7a615
Revises: a5c7e1f3b208
Create Date: 2026-11-30 21:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e4b9c2d7a615'
down_revision = 'a5c7e1f3b208'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('text_language', sa.String(length=12), server_default='en', nullable=False)
        )
    op.create_table(
        'organization_text',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=12), nullable=False),
        sa.Column('summary', sa.String(length=300), nullable=False),
        sa.Column('leadership_narrative', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['organization_id'],
            ['organization.id'],
            name=op.f('fk_organization_text_organization_id_organization'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_text')),
        sa.UniqueConstraint(
            'organization_id', 'language', name='uq_organization_text_organization_language'
        ),
    )
    # The tokens are the application's own (directory/search/text.py): rewrite every full-text row.
    from directory.search.sync import reindex_all

    reindex_all(op.get_bind())


def downgrade():
    op.drop_table('organization_text')
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_column('text_language')
    # The full-text rows keep the newer tokens; the older rules still find what they used to.

