"""What a store statement raises when the database refused or the state moved on."""

from __future__ import annotations


class DuplicateError(Exception):
    """A unique key already exists."""


class StaleStateError(Exception):
    """A conditional update matched no row: the state changed under us."""
