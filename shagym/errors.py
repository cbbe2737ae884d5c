"""The CLI's error boundary: expected failures become one clear line at the terminal."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer

from core.errors import CliError

__all__ = ["CliError", "friendly"]

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


def _loaded(module: str, *names: str) -> tuple[type[BaseException], ...]:
    """These exception classes if their module was imported: one that was not cannot have
    raised them, and importing it here (SQLAlchemy, pydantic-settings) would cost a command
    like `shagym analyse` half a second of start-up."""
    found = sys.modules.get(module)
    return tuple(getattr(found, name) for name in names) if found is not None else ()


def _describe(exc: BaseException) -> str | None:
    expected: tuple[type[BaseException], ...] = (
        CliError,
        LookupError,
        *_loaded("core.settings", "SettingsError"),
        *_loaded("intake.routing", "CommissionsFileError"),
        *_loaded("intake.category", "RulesError"),
    )
    if isinstance(exc, expected):
        return str(exc).strip("'\"")
    database = _loaded("sqlalchemy.exc", "OperationalError", "DBAPIError")
    if database and isinstance(exc, database):
        orig = getattr(exc, "orig", None)
        reason = str(orig).splitlines()[0] if orig else str(exc).splitlines()[0]
        return f"database error: {reason} (check DATABASE_URL)"
    if isinstance(exc, ConnectionError | OSError):
        return f"{type(exc).__name__}: {exc}"
    return None


def friendly(func: F) -> F:
    """Expected failures become `error: …` on stderr and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            message = _describe(exc)
            if message is None:
                log.debug("unexpected failure", exc_info=True)
                message = (
                    f"unexpected {type(exc).__name__}: {exc} (run with SHAGYM_DEBUG=1 for details)"
                )
            sys.stderr.write(f"error: {message}\n")
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]
