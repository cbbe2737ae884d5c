"""forget what handled Telegram updates said

The update ledger now keeps a handled update only as its id and status (bot/ledger.py); rows
handled before that still hold the raw update (names, texts, phone numbers). Failed and
unfinished rows keep theirs: they are replayed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 02:20:00
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

HANDLED = ('done', 'blocked', 'ignored', 'throttled', 'dead')


def upgrade() -> None:
    statuses = ", ".join(f"'{status}'" for status in HANDLED)
    op.execute(f"UPDATE telegram_update SET payload = '{{}}' WHERE status IN ({statuses})")


def downgrade() -> None:
    pass  # what was forgotten cannot come back, and the old code reads an empty payload fine
