"""Logging, configured once by the entry point."""

from __future__ import annotations

import logging
import os


def configure_logging(level: str | None = None) -> None:
    level = level or os.environ.get("LOG_LEVEL") or "WARNING"
    if os.environ.get("SHAGYM_DEBUG"):
        level = "DEBUG"
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
