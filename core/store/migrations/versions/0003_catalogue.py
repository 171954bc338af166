"""discovery catalogue: cached source answers, their items, and which listeners they follow

Revision ID: 0003_catalogue
Revises: 0002
Create Date: 2026-12-04 00:00:00

New tables only (``core.catalogue``): nothing existing changes, so downgrading just drops them.
"""

from alembic import op
import sqlalchemy as sa


revision = '0003_catalogue'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalogue_fetch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('seed_artist_id', sa.Integer(), nullable=True),
    sa.Column('seed_track_id', sa.Integer(), nullable=True),
    sa.Column('seed_tag', sa.String(length=200), nullable=True),
    sa.Column('seed_account_id', sa.Integer(), nullable=True),
    sa.Column('fetched_at', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.Integer(), nullable=False),
    sa.Column('ttl_s', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('n_items', sa.Integer(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('packed', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['seed_account_id'], ['account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seed_artist_id'], ['artist.id'], ),
    sa.ForeignKeyConstraint(['seed_track_id'], ['track.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'key', name='uq_catalogue_fetch')
    )
    op.create_table('catalogue_item',
    sa.Column('fetch_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('artist_id', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('listeners', sa.Integer(), nullable=True),
    sa.Column('playcount', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['artist_id'], ['artist.id'], ),
    sa.ForeignKeyConstraint(['fetch_id'], ['catalogue_fetch.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['track_id'], ['track.id'], ),
    sa.PrimaryKeyConstraint('fetch_id', 'rank')
    )
    op.create_table('catalogue_seed',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('fetch_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('seeded_at', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['fetch_id'], ['catalogue_fetch.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'fetch_id')
    )


def downgrade() -> None:
    op.drop_table('catalogue_seed')
    op.drop_table('catalogue_item')
    op.drop_table('catalogue_fetch')
