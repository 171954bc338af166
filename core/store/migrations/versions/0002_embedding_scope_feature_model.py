"""embedding scope (per-account vectors) and fitted feature models

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:00:00

Embeddings are derived data (recomputed from lyrics, tags, audio features and plays), so the
embedding table is dropped and recreated with ``scope`` in its primary key rather than altered in
place; the next ``segue features embed`` rebuilds what was there.
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _embedding(with_scope: bool) -> None:
    cols = [
        sa.Column('item_kind', sa.String(length=10), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
    ]
    if with_scope:
        cols.append(sa.Column('scope', sa.String(length=60), nullable=False))
    cols += [
        sa.Column('dim', sa.Integer(), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.Column('model_version', sa.String(length=100), nullable=False),
        sa.Column('input_hash', sa.String(length=64), nullable=True),
        sa.Column('created_at', sa.Integer(), nullable=False),
    ]
    pk = ['item_kind', 'item_id', 'kind'] + (['scope'] if with_scope else [])
    op.create_table('embedding', *cols, sa.PrimaryKeyConstraint(*pk))


def upgrade() -> None:
    op.drop_table('embedding')
    _embedding(with_scope=True)
    op.create_table('feature_model',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('scope', sa.String(length=60), nullable=False),
    sa.Column('version', sa.String(length=100), nullable=False),
    sa.Column('fit_hash', sa.String(length=64), nullable=False),
    sa.Column('fit_items', sa.Integer(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('blob', sa.LargeBinary(), nullable=False),
    sa.Column('fitted_at', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', 'scope')
    )


def downgrade() -> None:
    op.drop_table('feature_model')
    op.drop_table('embedding')
    _embedding(with_scope=False)
