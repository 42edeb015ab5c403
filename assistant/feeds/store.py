"""What feed polling remembers between runs, in ``<index_dir>/feeds.sqlite3``.

Per URL the validators of the last response that went in (ETag, Last-Modified), so an
unchanged feed or page costs one 304; per feed its failures and when to try it next
(exponential backoff); and the last runs. SQLite (stdlib) because the CLI ``watch``, the
server's background thread and ``ingest`` may share the file; each call opens its own
short connection, so threads need no shared handle.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT);
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY, failures INTEGER NOT NULL, next_attempt REAL NOT NULL, error TEXT);
CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY AUTOINCREMENT, report TEXT NOT NULL);
"""
KEEP_RUNS = 100


@dataclass(frozen=True)
class Validators:
    """The conditional-GET validators of one URL."""

    etag: str = ""
    last_modified: str = ""


@dataclass(frozen=True)
class FeedState:
    """How one feed fared: consecutive failures, next poll (epoch seconds), last error."""

    failures: int = 0
    next_attempt: float = 0.0
    error: str = ""


class FeedStore:
    """The feeds.sqlite3 file next to the index."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=30)) as db:
                db.executescript(SCHEMA)
                with db:
                    yield db
        except sqlite3.Error as exc:
            raise StoreError(f"expected a usable feed store at {self.path}, got {exc}") from exc

    def validators(self, url: str) -> Validators:
        with self._db() as db:
            row = db.execute(
                "SELECT etag, last_modified FROM validators WHERE url = ?", (url,)
            ).fetchone()
        return Validators(*row) if row else Validators()

    def save_validators(self, url: str, validators: Validators) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO validators VALUES (?, ?, ?)",
                (url, validators.etag, validators.last_modified),
            )

    def feed_state(self, url: str) -> FeedState:
        with self._db() as db:
            row = db.execute(
                "SELECT failures, next_attempt, error FROM feeds WHERE url = ?", (url,)
            ).fetchone()
        return FeedState(row[0], row[1], row[2] or "") if row else FeedState()

    def save_feed_state(self, url: str, state: FeedState) -> None:
        with self._db() as db:
            db.execute(
                "INSERT OR REPLACE INTO feeds VALUES (?, ?, ?, ?)",
                (url, state.failures, state.next_attempt, state.error),
            )

    def add_run(self, report: dict) -> None:
        with self._db() as db:
            db.execute("INSERT INTO runs (report) VALUES (?)", (json.dumps(report),))
            db.execute("DELETE FROM runs WHERE id <= (SELECT MAX(id) FROM runs) - ?", (KEEP_RUNS,))

    def last_run(self) -> dict | None:
        """The last run's report, or None (also when the file does not exist yet)."""
        if not self.path.is_file():
            return None
        with self._db() as db:
            row = db.execute("SELECT report FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return json.loads(row[0]) if row else None
