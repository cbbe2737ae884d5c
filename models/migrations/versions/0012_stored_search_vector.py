"""PostgreSQL: the full-text vector of a case stored in its row, with a GIN index

0006 indexed the expression `to_tsvector(…) || to_tsvector(…)`: the planner had no statistics
of its words, guessed every search rare, and fetched all the matches through the index before
sorting them (a common word: 60,000 rows, ~40 ms). Stored (a generated column, kept by
PostgreSQL itself on every insert and update), its words have statistics, so a common word
walks the due-order index testing each row's stored vector and stops at the page's 51st match,
and a rare one still uses the GIN index. The table is rewritten once (~15 s per 100,000 cases).
SQLite keeps its FTS5 table.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 19:30:00
"""
from alembic import op

from models.search import stored_ddl

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in stored_ddl(op.get_bind().dialect.name):
        op.execute(statement)
    if op.get_bind().dialect.name == "postgresql":
        op.execute('ANALYZE "case"')  # the words' statistics, before the first search


def downgrade() -> None:
    for statement in stored_ddl(op.get_bind().dialect.name, drop=True):
        op.execute(statement)
