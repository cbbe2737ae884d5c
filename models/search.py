"""The full-text index over case reports, which lives outside the models.

SQLite: an FTS5 table `case_fts` kept by triggers on `case` (unicode61, diacritics folded).
PostgreSQL: a stored generated column `search_vector` (migration 0012), the Russian (stemmed)
and simple (Kazakh, names) `tsvector`s of subject and text, with a GIN index; a query is
matched against both. Stored, the planner has statistics of its words: a common word walks
the due-order index testing each row's vector until the page is full, a rare one uses the GIN
index (with only the expression index of 0006 it fetched every match, then sorted).

Beware on SQLite: a later migration that rebuilds `case` in batch mode drops the triggers;
such a migration must run `rebuilt_after_batch("sqlite")` at its end (0009 does; the search
tests in tests/test_web_cases.py catch a migration that forgets).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Integer, column, text
from sqlalchemy.sql.elements import ColumnElement

FTS_TABLE = "case_fts"
PG_INDEX = "ix_case_fulltext"
_DOCUMENT = "coalesce(subject, '') || ' ' || text"
PG_VECTOR = f"(to_tsvector('russian', {_DOCUMENT}) || to_tsvector('simple', {_DOCUMENT}))"

SQLITE_DDL = [
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(subject, text, content='case', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON \"case\" BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, subject, text) VALUES (new.id, new.subject, new.text); END",
    f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON \"case\" BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, subject, text) "
    "VALUES ('delete', old.id, old.subject, old.text); END",
    f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF subject, text ON \"case\" BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, subject, text) "
    "VALUES ('delete', old.id, old.subject, old.text); "
    f"INSERT INTO {FTS_TABLE}(rowid, subject, text) VALUES (new.id, new.subject, new.text); END",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}" for suffix in ("ai", "ad", "au")),
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]
PG_DDL = [f'CREATE INDEX {PG_INDEX} ON "case" USING gin ({PG_VECTOR})']
PG_DROP = [f"DROP INDEX IF EXISTS {PG_INDEX}"]
# Since 0012 (PostgreSQL): the vector stored in the row, indexed; 0006's index dropped.
PG_COLUMN = "search_vector"
PG_COLUMN_INDEX = "ix_case_search_vector"
PG_STORED_DDL = [
    f'ALTER TABLE "case" ADD COLUMN {PG_COLUMN} tsvector GENERATED ALWAYS AS {PG_VECTOR} STORED',
    f'CREATE INDEX {PG_COLUMN_INDEX} ON "case" USING gin ({PG_COLUMN})',
    *PG_DROP,
]
PG_STORED_DROP = [
    *PG_DDL,
    f"DROP INDEX IF EXISTS {PG_COLUMN_INDEX}",
    f'ALTER TABLE "case" DROP COLUMN IF EXISTS {PG_COLUMN}',
]

_WORD = re.compile(r"\w+", re.UNICODE)


def ddl(dialect: str, *, drop: bool = False) -> list[str]:
    """The index as 0006 made it (0012 then stores PostgreSQL's vector: `stored_ddl`)."""
    if dialect == "sqlite":
        return SQLITE_DROP if drop else SQLITE_DDL
    return PG_DROP if drop else PG_DDL


def stored_ddl(dialect: str, *, drop: bool = False) -> list[str]:
    """0012: PostgreSQL's vector as a stored column (SQLite's FTS5 table is left as it is)."""
    if dialect == "sqlite":
        return []
    return PG_STORED_DROP if drop else PG_STORED_DDL


def rebuilt_after_batch(dialect: str) -> list[str]:
    """Statements that put the SQLite index and its triggers back after `case` was copied by a
    batch migration (PostgreSQL's index survives an ALTER, so nothing there)."""
    return [*ddl(dialect, drop=True), *ddl(dialect)] if dialect == "sqlite" else []


def words(query: str) -> list[str]:
    return _WORD.findall(query)[:12]


def matches(dialect: str, query: str, id_column: Any) -> ColumnElement[bool] | None:
    """A WHERE clause: the case whose id is `id_column` contains every word of `query`
    (words as prefixes on SQLite; stemmed Russian or exact words on PostgreSQL). None when the
    query has no word. The query only ever travels as a bound parameter."""
    found = words(query)
    if not found:
        return None
    if dialect == "sqlite":
        expression = " ".join(f'"{word}"*' for word in found)
        sub = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts_query")
        rowid = column("rowid", Integer)
        return id_column.in_(sub.bindparams(fts_query=expression).columns(rowid))
    joined = " ".join(found)
    clause = text(
        f"\"case\".{PG_COLUMN} @@ (plainto_tsquery('russian', :fts_query) "
        "|| plainto_tsquery('simple', :fts_query))"
    ).bindparams(fts_query=joined)
    return clause  # type: ignore[return-value]


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Autogenerate leaves the index alone: it is made by hand (0006, 0012), not by the models."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False
    if type_ == "column" and name == PG_COLUMN:
        return False
    return not (type_ == "index" and name in (PG_INDEX, PG_COLUMN_INDEX))
