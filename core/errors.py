"""Errors every layer may raise and the CLI turns into one clear line."""

from __future__ import annotations


class CliError(Exception):
    """A problem the user can fix; the message says what."""
