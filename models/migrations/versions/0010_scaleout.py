"""several bot replicas: who holds an update, since when

Each bot process claims the updates it handles (`claimed_by`, a random id per process, and
`claimed_at`); another replica that receives the same update again leaves it alone, and takes
it over only when the claim is older than the ledger's lease (its holder died).

Revision ID: 0010
Revises: 0004
Create Date: 2026-12-03 10:30:00
"""
import sqlalchemy as sa
from alembic import op

import models.types

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('telegram_update') as batch:
        batch.add_column(sa.Column('claimed_by', sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column('claimed_at', models.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('telegram_update') as batch:
        batch.drop_column('claimed_at')
        batch.drop_column('claimed_by')
