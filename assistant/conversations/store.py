"""Kept conversations, their turns and readers' feedback: ``<index_dir>/conversations.sqlite3``.

SQLite through ``open_sqlite`` like the keyword index and the copies file: one file beside
the index (backed up and deleted with it), one connection shared between threads behind a
lock, explicit transactions. A turn is written in one transaction together with its
conversation (created on the first turn, ``updated`` on every later one), so a crash or a
failed write leaves either the whole turn or nothing. Deleting a conversation deletes its
turns and their feedback (foreign keys, ``ON DELETE CASCADE``); retention deletes whole
conversations whose last turn is older than the limit, feedback included, reviewed or not
(the eval items a review wrote are copies and stay).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ..errors import NotFoundError, StoreError
from ..sqlite_file import open_sqlite
from .records import Conversation, Feedback, Turn, TurnSettings

FILE_NAME = "conversations.sqlite3"
SCHEMA = """
PRAGMA foreign_keys = ON;
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations(updated);
CREATE TABLE IF NOT EXISTS turns (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    n INTEGER NOT NULL, settings TEXT NOT NULL, answer TEXT NOT NULL, timings TEXT NOT NULL,
    trace_id TEXT NOT NULL, created TEXT NOT NULL, UNIQUE (conversation_id, n));
CREATE TABLE IF NOT EXISTS feedback (
    id TEXT PRIMARY KEY, turn_id TEXT NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
    rating TEXT NOT NULL, comment TEXT NOT NULL, citation INTEGER, reason TEXT NOT NULL,
    created TEXT NOT NULL, decision TEXT NOT NULL DEFAULT '',
    reviewed TEXT NOT NULL DEFAULT '', eval_item TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS feedback_turn ON feedback(turn_id);
"""
TURN_COLUMNS = "id, conversation_id, n, settings, answer, timings, trace_id, created"


def utc_now() -> str:
    """Now as ISO text (UTC, milliseconds): sorts as it compares."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ConversationStore:
    """Conversations, turns and feedback in one SQLite file, safe to share between threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = open_sqlite(self.path, SCHEMA, "a conversations file (SQLite)")
        self._lock = threading.Lock()

    @classmethod
    def beside(cls, index_dir: Path) -> ConversationStore:
        """The store of the index at ``index_dir``."""
        return cls(Path(index_dir) / FILE_NAME)

    @contextmanager
    def _writing(self, what: str) -> Iterator[sqlite3.Connection]:
        """One transaction under the lock; a SQLite failure is a StoreError naming ``what``."""
        try:
            with self._lock, self._db:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
        except sqlite3.Error as exc:
            raise StoreError(
                f"expected to {what} in {self.path}, got {type(exc).__name__}: {exc}"
            ) from exc

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        try:
            with self._lock:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(
                f"expected to read {self.path}, got {type(exc).__name__}: {exc}"
            ) from exc

    # --- turns -----------------------------------------------------------------------
    def add_turn(self, turn: Turn, title: str, create: bool) -> Turn:
        """Store ``turn`` (its ``n`` is assigned here) and, when ``create``, its conversation
        titled ``title``; NotFoundError when the conversation to continue is gone."""
        with self._writing("store a turn") as db:
            if create:
                db.execute(
                    "INSERT INTO conversations VALUES (?, ?, ?, ?)",
                    (turn.conversation_id, title, turn.created, turn.created),
                )
            elif not db.execute(
                "UPDATE conversations SET updated = ? WHERE id = ?",
                (turn.created, turn.conversation_id),
            ).rowcount:
                raise NotFoundError(f"expected a stored conversation, got {turn.conversation_id!r}")
            (last,) = db.execute(
                "SELECT COALESCE(MAX(n), 0) FROM turns WHERE conversation_id = ?",
                (turn.conversation_id,),
            ).fetchone()
            turn = replace(turn, n=last + 1)
            db.execute(
                f"INSERT INTO turns ({TURN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    turn.id,
                    turn.conversation_id,
                    turn.n,
                    json.dumps(turn.settings.to_dict()),
                    json.dumps(turn.answer, ensure_ascii=False),
                    json.dumps(turn.timings_ms),
                    turn.trace_id,
                    turn.created,
                ),
            )
        return turn

    def turns(self, conversation_id: str) -> list[Turn]:
        """Every turn of a conversation, first first, with its feedback."""
        self.conversation(conversation_id)  # NotFoundError for an unknown id
        rows = self._read(
            f"SELECT {TURN_COLUMNS} FROM turns WHERE conversation_id = ? ORDER BY n",
            (conversation_id,),
        )
        return self._with_feedback([_turn(row) for row in rows])

    def turn(self, turn_id: str) -> Turn:
        """One turn with its feedback; NotFoundError for an unknown id."""
        rows = self._read(f"SELECT {TURN_COLUMNS} FROM turns WHERE id = ?", (turn_id,))
        if not rows:
            raise NotFoundError(f"expected a stored turn id, got {turn_id!r}")
        return self._with_feedback([_turn(rows[0])])[0]

    def _with_feedback(self, turns: list[Turn]) -> list[Turn]:
        if not turns:
            return turns
        marks = ", ".join("?" * len(turns))
        rows = self._read(
            f"SELECT * FROM feedback WHERE turn_id IN ({marks}) ORDER BY created, rowid",
            tuple(t.id for t in turns),
        )
        given: dict[str, list[Feedback]] = {}
        for row in rows:
            given.setdefault(row[1], []).append(_feedback(row))
        return [replace(t, feedback=tuple(given.get(t.id, ()))) for t in turns]

    # --- conversations ---------------------------------------------------------------
    def conversations(self, limit: int = 100) -> list[Conversation]:
        """The ``limit`` most recently updated conversations, newest first."""
        rows = self._read(
            "SELECT c.id, c.title, c.created, c.updated, "
            "(SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id) "
            "FROM conversations c ORDER BY c.updated DESC, c.rowid DESC LIMIT ?",
            (limit,),
        )
        return [Conversation(*row) for row in rows]

    def conversation(self, conversation_id: str) -> Conversation:
        """One conversation; NotFoundError for an unknown id."""
        rows = self._read(
            "SELECT c.id, c.title, c.created, c.updated, "
            "(SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id) "
            "FROM conversations c WHERE c.id = ?",
            (conversation_id,),
        )
        if not rows:
            raise NotFoundError(f"expected a stored conversation id, got {conversation_id!r}")
        return Conversation(*rows[0])

    def delete(self, conversation_id: str) -> dict[str, int]:
        """Delete a conversation with its turns and their feedback; what was deleted."""
        with self._writing("delete a conversation") as db:
            counts = _counts(db, "conversation_id = ?", (conversation_id,))
            if not db.execute(
                "DELETE FROM conversations WHERE id = ?", (conversation_id,)
            ).rowcount:
                raise NotFoundError(f"expected a stored conversation id, got {conversation_id!r}")
        return counts

    def purge(self, days: int, now: datetime | None = None) -> dict[str, int]:
        """Delete conversations not updated for ``days`` days (with turns and feedback)."""
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=days)).isoformat(
            timespec="milliseconds"
        )
        old = "conversation_id IN (SELECT id FROM conversations WHERE updated < ?)"
        with self._writing("purge old conversations") as db:
            counts = _counts(db, old, (cutoff,))
            deleted = db.execute("DELETE FROM conversations WHERE updated < ?", (cutoff,))
        return {"conversations": deleted.rowcount, **counts}

    def resolve(self, table: str, prefix: str) -> str:
        """The one id in ``table`` (conversations or feedback) that starts with ``prefix``."""
        if table not in ("conversations", "feedback") or not prefix.strip():
            raise NotFoundError(f"expected an id (or its first characters), got {prefix!r}")
        pattern = prefix.strip().replace("%", "").replace("_", "") + "%"
        ids = [r[0] for r in self._read(f"SELECT id FROM {table} WHERE id LIKE ?", (pattern,))]
        if len(ids) != 1:
            got = "none" if not ids else f"{len(ids)} ({', '.join(i[:12] for i in ids[:5])})"
            raise NotFoundError(f"expected one stored {table} id starting {prefix!r}, got {got}")
        return ids[0]

    # --- feedback --------------------------------------------------------------------
    def add_feedback(self, feedback: Feedback) -> Feedback:
        """Store ``feedback`` (its turn must exist)."""
        with self._writing("store feedback") as db:
            if not db.execute("SELECT 1 FROM turns WHERE id = ?", (feedback.turn_id,)).fetchone():
                raise NotFoundError(f"expected a stored turn id, got {feedback.turn_id!r}")
            db.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _feedback_row(feedback),
            )
        return feedback

    def feedback(self, include_reviewed: bool = False) -> list[Feedback]:
        """Feedback not reviewed yet (or all), oldest first."""
        where = "" if include_reviewed else "WHERE decision = ''"
        rows = self._read(f"SELECT * FROM feedback {where} ORDER BY created, rowid")
        return [_feedback(row) for row in rows]

    def feedback_item(self, feedback_id: str) -> Feedback:
        """One feedback item; NotFoundError for an unknown id."""
        rows = self._read("SELECT * FROM feedback WHERE id = ?", (feedback_id,))
        if not rows:
            raise NotFoundError(f"expected a stored feedback id, got {feedback_id!r}")
        return _feedback(rows[0])

    def mark_reviewed(self, feedback_id: str, decision: str, eval_item: str) -> Feedback:
        """Record the review of one feedback item (once: a reviewed item stays as it is)."""
        with self._writing("record a review") as db:
            db.execute(
                "UPDATE feedback SET decision = ?, reviewed = ?, eval_item = ? "
                "WHERE id = ? AND decision = ''",
                (decision, utc_now(), eval_item, feedback_id),
            )
        return self.feedback_item(feedback_id)


def _counts(db: sqlite3.Connection, where: str, params: tuple) -> dict[str, int]:
    """Turns and feedback of the conversations ``where`` selects (on ``turns``)."""
    (turns,) = db.execute(f"SELECT COUNT(*) FROM turns WHERE {where}", params).fetchone()
    (feedback,) = db.execute(
        f"SELECT COUNT(*) FROM feedback WHERE turn_id IN (SELECT id FROM turns WHERE {where})",
        params,
    ).fetchone()
    return {"turns": turns, "feedback": feedback}


def _turn(row: tuple) -> Turn:
    turn_id, conversation_id, n, settings, answer, timings, trace_id, created = row
    return Turn(
        turn_id,
        conversation_id,
        n,
        TurnSettings.from_dict(json.loads(settings)),
        json.loads(answer),
        json.loads(timings),
        trace_id,
        created,
    )


def _feedback(row: tuple) -> Feedback:
    return Feedback(*row)


def _feedback_row(f: Feedback) -> tuple:
    return (
        f.id,
        f.turn_id,
        f.rating,
        f.comment,
        f.citation,
        f.reason,
        f.created,
        f.decision,
        f.reviewed,
        f.eval_item,
    )
