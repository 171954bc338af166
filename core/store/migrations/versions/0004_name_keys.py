"""name keys: apostrophe, quote, dash and space variants meet; long keys bounded; duplicates merged

Revision ID: 0004_name_keys
Revises: 0003_catalogue
Create Date: 2026-12-04 00:00:00

The matching rules in ``core.normalize`` changed (issue 15): "The Wailin' Jennys" and
"The Wailin’ Jennys" are one artist now, and keys longer than 200 characters end in a hash. Every key is
recomputed and rows that now share one are merged (``core.store.rekey``); names stay as stored.
Merges cannot be undone, so downgrading keeps the merged rows and their new keys.
"""

from alembic import op


revision = '0004_name_keys'
down_revision = '0003_catalogue'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from core.store.rekey import rekey

    rekey(op.get_bind())


def downgrade() -> None:
    pass
