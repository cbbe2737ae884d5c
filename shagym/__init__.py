"""Shagym: a hotline for reports of violations."""

__version__ = "0.1.0"
