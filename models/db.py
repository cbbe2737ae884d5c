"""Async engine and session factory: SQLite (WAL, busy_timeout, BEGIN IMMEDIATE) or PostgreSQL."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from core.status import STATUS

log = logging.getLogger(__name__)
SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the engine; on SQLite every transaction takes the write lock up front.

    `BEGIN IMMEDIATE` avoids the deadlock where two readers both try to upgrade to writers
    and one fails with SQLITE_BUSY instead of waiting for `busy_timeout`.
    """
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(url, **kwargs)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_async_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Leave transaction control to SQLAlchemy's "begin" event below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if ":memory:" not in url and "mode=memory" not in url:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A read-only session (`read_sessions`) begins deferred: in WAL mode it then never
        # waits for, nor blocks, a writer. It must not write.
        deferred = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

    return engine


SessionFactory = async_sessionmaker[AsyncSession]
OWES = "shagym.owes"  # session.info key: this transaction owed notifications (models.outbox)
_ON_COMMIT = "shagym.on_commit"


class StoreSession(Session):
    """The sessions of the store: a commit that owed notifications rings the outbox's bell,
    and what was registered with `on_commit` runs once the transaction is durable."""


def on_commit(session: AsyncSession, action: Callable[[], None]) -> None:
    """Run `action` after this transaction commits (forgotten if it rolls back): counting a
    case opened only once it exists, say. `action` must not raise or do I/O."""
    session.info.setdefault(_ON_COMMIT, []).append(action)


@event.listens_for(StoreSession, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(OWES, False):
        STATUS.ring()
    for action in session.info.pop(_ON_COMMIT, ()):
        try:
            action()
        except Exception:  # bookkeeping must never undo what was committed
            log.exception("an after-commit action failed")


@event.listens_for(StoreSession, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(OWES, None)
    session.info.pop(_ON_COMMIT, None)


READ_ONLY = "shagym_read_only"


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(
        engine, class_=AsyncSession, sync_session_class=StoreSession, expire_on_commit=False
    )


def read_sessions(sessions: SessionFactory) -> SessionFactory:
    """Sessions over the same engine for reading only: on SQLite their transactions begin
    deferred instead of taking the write lock (PostgreSQL is unaffected)."""
    engine = sessions.kw["bind"]
    return async_sessionmaker(
        engine.execution_options(**{READ_ONLY: True}), class_=AsyncSession, expire_on_commit=False
    )


@functools.cache
def _insert_ignore(dialect: str, table: Any, returning: bool) -> Any:
    """Built once per table: statement construction costs more than its cached execution."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).on_conflict_do_nothing()
    # RETURNING counts the rows that were new, which executemany's rowcount does not do on
    # every driver.
    return statement.returning(next(iter(table.primary_key.columns))) if returning else statement


async def insert_ignore(
    session: AsyncSession, table: type, values: dict[str, Any] | list[dict[str, Any]]
) -> int:
    """INSERT … ON CONFLICT DO NOTHING on either dialect, for one row or several; returns how
    many rows were inserted (truthy when the one row was new)."""
    dialect = session.get_bind().dialect.name
    target = table.__table__  # type: ignore[attr-defined]  # Core, not the ORM's bulk path
    # Parameters apart from the statement: it compiles once and stays cached (a multi-row
    # VALUES clause is never cached, and compiling it cost more than running it).
    if isinstance(values, dict):
        statement = _insert_ignore(dialect, target, returning=False)
        result = await session.exec(statement, params=values)  # type: ignore[call-overload]
        return max(result.rowcount, 0)
    if not values:
        return 0
    # Several rows: still one statement ("insertmanyvalues").
    statement = _insert_ignore(dialect, target, returning=True)
    result = await session.exec(statement, params=values)  # type: ignore[call-overload]
    return len(result.all())
