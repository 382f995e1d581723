"""The profile editor in sections: an edit version per section of each listing.

Revision ID: a5c7e1f3b208
Revises: d2a6f4c81b37
Create Date: 2026-11-30 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a5c7e1f3b208'
down_revision = 'd2a6f4c81b37'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'listing_section',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('section', sa.String(length=20), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['organization_id'],
            ['organization.id'],
            name=op.f('fk_listing_section_organization_id_organization'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_section')),
        sa.UniqueConstraint('organization_id', 'section', name='uq_listing_section_organization_section'),
    )


def downgrade():
    op.drop_table('listing_section')
