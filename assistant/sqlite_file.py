"""The one way this project opens its own SQLite files (keyword index, wire copies).

Autocommit mode (transactions are explicit ``BEGIN``s), WAL so readers never wait for the
ingest writer, one connection shared between threads behind the owner's lock, and a
file that cannot be opened or migrated is a ConfigError that names it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import ConfigError


def open_sqlite(path: Path, schema: str, expected: str) -> sqlite3.Connection:
    """A connection to ``path`` with ``schema`` applied; ``expected`` names the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.executescript("PRAGMA journal_mode=WAL;" + schema)
    except sqlite3.Error as exc:
        raise ConfigError(
            f"expected {expected} at {path}, got {type(exc).__name__}: {exc}"
        ) from exc
    return db
