"""The CLI's error boundary: expected failures become one clear line at the terminal."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from sqlalchemy.exc import DBAPIError, OperationalError

from core.errors import CliError
from core.settings import SettingsError
from intake.category import RulesError
from intake.routing import CommissionsFileError

__all__ = ["CliError", "friendly"]

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


def _describe(exc: BaseException) -> str | None:
    if isinstance(exc, CliError | SettingsError | CommissionsFileError | RulesError | LookupError):
        return str(exc).strip("'\"")
    if isinstance(exc, OperationalError | DBAPIError):
        reason = str(exc.orig).splitlines()[0] if exc.orig else str(exc).splitlines()[0]
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
