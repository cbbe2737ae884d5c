"""one covering index for the console's counts per filter and the dashboard

The queue's counts per status, category, channel and region (and the dashboard's open,
overdue and resolved per region and category) read only these columns; with them in one index
the engine reads the index instead of every case's row (reports are long), in the order of a
GROUP BY over the four facets (no sort).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 19:40:00
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

COLUMNS = ['status', 'category', 'channel', 'region', 'commission_code', 'due_at', 'created_at']


def upgrade() -> None:
    op.create_index('ix_case_facets', 'case', COLUMNS)


def downgrade() -> None:
    op.drop_index('ix_case_facets', table_name='case')
