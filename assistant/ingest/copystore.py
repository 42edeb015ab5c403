"""Which articles are copies of which: a small SQLite file beside the vector store.

``<index_dir>/<collection>.copies.sqlite3`` holds one row per *canonical* article (its
fingerprint, in the ``signature`` column, its metadata and date history) and one row per
*copy* (the canonical it belongs to, and the copy's own source, URL, date and title).
Like the keyword index it is derived: Chroma's manifest is the truth, and ``reconcile``
makes this file agree with it at the start of every ingest (see ``copies.py`` for the
order of writes that makes that enough).
"""

from __future__ import annotations

import json
import threading
from dataclasses import astuple, dataclass
from pathlib import Path

from ..records import ReportedBy
from ..sqlite_file import open_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS canon (
    article_id TEXT PRIMARY KEY, version TEXT NOT NULL, signature BLOB NOT NULL,
    source TEXT, url TEXT, published TEXT, title TEXT, history TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS copies (
    article_id TEXT PRIMARY KEY, canonical_id TEXT NOT NULL, version TEXT NOT NULL,
    kind TEXT NOT NULL, source TEXT, url TEXT, published TEXT, title TEXT);
CREATE INDEX IF NOT EXISTS copies_canonical ON copies(canonical_id);
"""
COPY, VERSION = "copy", "version"  # another outlet's copy; an earlier text of the same story


@dataclass(frozen=True)
class Version:
    """One dated printing of a story: when, by whom, where."""

    published: str
    source: str
    url: str


@dataclass(frozen=True)
class Canon:
    """A canonical article: the one copy of a story whose text is indexed."""

    article_id: str
    version: str  # article_version of the indexed text
    signature: bytes  # word count and shingle hashes (copies.to_bytes)
    source: str
    url: str
    published: str
    title: str
    history: tuple[Version, ...]  # every dated printing by its own source, oldest first


@dataclass(frozen=True)
class CopyRow:
    """An article that is not indexed because it repeats ``canonical_id``."""

    article_id: str
    canonical_id: str
    version: str
    kind: str  # COPY or VERSION
    source: str = ""
    url: str = ""
    published: str = ""
    title: str = ""


def merge_history(*histories: tuple[Version, ...]) -> tuple[Version, ...]:
    """The versions of all ``histories``, each once, oldest first."""
    every = {v for history in histories for v in history}
    return tuple(sorted(every, key=lambda v: (v.published, v.source, v.url)))


class CopyStore:
    """Canonical articles and their copies; one SQLite file, safe to share between threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = open_sqlite(self.path, SCHEMA, "a copies file (SQLite)")
        self._lock = threading.Lock()

    @classmethod
    def beside(cls, keywords_path: Path) -> CopyStore:
        """The store next to the keyword index ``<collection>.keywords.sqlite3``."""
        name = Path(keywords_path).name.removesuffix(".sqlite3").removesuffix(".keywords")
        return cls(Path(keywords_path).with_name(f"{name}.copies.sqlite3"))

    # --- reading -------------------------------------------------------------------
    def canonicals(self) -> list[Canon]:
        """Every canonical article, in the order they were recorded."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM canon ORDER BY rowid").fetchall()
        return [_canon(row) for row in rows]

    def copy_of(self, article_id: str) -> CopyRow | None:
        """The copy row of ``article_id``, or None when it is not a copy."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM copies WHERE article_id = ?", (article_id,)
            ).fetchone()
        return CopyRow(*row) if row else None

    def copies(self, canonical_id: str | None = None) -> list[CopyRow]:
        """The copies of ``canonical_id`` (every copy when None), oldest first."""
        sql = "SELECT * FROM copies"
        params: tuple[str, ...] = ()
        if canonical_id is not None:
            sql += " WHERE canonical_id = ?"
            params = (canonical_id,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY published, source, article_id", params)
            return [CopyRow(*row) for row in rows.fetchall()]

    def reported_by(self, canonical_id: str) -> tuple[ReportedBy, ...]:
        """The other outlets that printed ``canonical_id``'s story (not its own versions)."""
        return tuple(
            ReportedBy(c.source, c.url, c.published, c.title, c.article_id)
            for c in self.copies(canonical_id)
            if c.kind == COPY
        )

    def history(self, canonical_id: str) -> tuple[Version, ...]:
        """The dated versions of ``canonical_id``'s story by its own source, oldest first."""
        with self._lock:
            return self._stored_history(canonical_id)

    # --- writing -------------------------------------------------------------------
    def set_canonical(self, canon: Canon, demoted: tuple[Canon, ...] = ()) -> None:
        """Record ``canon`` (and each ``demoted`` former canonical as its older version)."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM copies WHERE article_id = ?", (canon.article_id,))
            ids = (canon.article_id, *(old.article_id for old in demoted))
            history = merge_history(canon.history, *(self._stored_history(i) for i in ids))
            for old in demoted:
                self._demote(old, canon.article_id)
            self._db.execute(
                "INSERT OR REPLACE INTO canon VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*astuple(canon)[:7], _json(history)),
            )

    def set_copy(self, row: CopyRow) -> None:
        """Record ``row``; when its article was canonical, its copies move to the new one."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._move(row.article_id, row.canonical_id)
            self._insert_copy(row)
            if row.kind == VERSION:
                history = merge_history(
                    self._stored_history(row.canonical_id),
                    (Version(row.published, row.source, row.url),),
                )
                self._db.execute(
                    "UPDATE canon SET history = ? WHERE article_id = ?",
                    (_json(history), row.canonical_id),
                )

    def set_signature(self, article_id: str, signature: bytes) -> None:
        """Replace a canonical's signature (one of an older scheme, signed again)."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE canon SET signature = ? WHERE article_id = ?", (signature, article_id)
            )

    def forget(self, article_ids: list[str]) -> list[str]:
        """Drop ``article_ids`` (canonical or copy); returns the ids of copies left orphaned."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            orphans = []
            for article_id in article_ids:
                orphans += self._drop_canonical(article_id)
                self._db.execute("DELETE FROM copies WHERE article_id = ?", (article_id,))
        return [o for o in orphans if o not in article_ids]

    def reconcile(self, indexed: set[str]) -> list[str]:
        """Agree with the vector store's articles ``indexed``: a canonical it lacks is dropped
        (its copies are decided again when read); returns copies it still holds chunks of."""
        gone = [c.article_id for c in self.canonicals() if c.article_id not in indexed]
        self.forget(gone)
        with self._lock, self._db:
            self._db.execute(  # copies of a canonical whose row a crash kept from being stored
                "DELETE FROM copies WHERE canonical_id NOT IN (SELECT article_id FROM canon)"
            )
            ids = [r[0] for r in self._db.execute("SELECT article_id FROM copies")]
        return sorted(set(ids) & indexed)

    def _drop_canonical(self, article_id: str) -> list[str]:
        orphans = [
            r[0]
            for r in self._db.execute(
                "SELECT article_id FROM copies WHERE canonical_id = ?", (article_id,)
            )
        ]
        self._db.execute("DELETE FROM copies WHERE canonical_id = ?", (article_id,))
        self._db.execute("DELETE FROM canon WHERE article_id = ?", (article_id,))
        return orphans

    def _demote(self, old: Canon, new_id: str) -> None:
        self._move(old.article_id, new_id)
        row = CopyRow(
            old.article_id,
            new_id,
            old.version,
            VERSION,
            old.source,
            old.url,
            old.published,
            old.title,
        )
        self._insert_copy(row)

    def _insert_copy(self, row: CopyRow) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO copies VALUES (?, ?, ?, ?, ?, ?, ?, ?)", astuple(row)
        )

    def _move(self, old_id: str, new_id: str) -> None:
        """Copies of ``old_id`` become copies of ``new_id``; ``old_id`` is no canonical."""
        self._db.execute(
            "UPDATE copies SET canonical_id = ? WHERE canonical_id = ?", (new_id, old_id)
        )
        self._db.execute("DELETE FROM canon WHERE article_id = ?", (old_id,))

    def _stored_history(self, canonical_id: str) -> tuple[Version, ...]:
        row = self._db.execute(
            "SELECT history FROM canon WHERE article_id = ?", (canonical_id,)
        ).fetchone()
        return _history(row[0]) if row else ()


def _json(history: tuple[Version, ...]) -> str:
    return json.dumps([astuple(v) for v in history])


def _history(text: str) -> tuple[Version, ...]:
    return tuple(Version(*v) for v in json.loads(text))


def _canon(row: tuple) -> Canon:
    article_id, version, signature, source, url, published, title, history = row
    return Canon(article_id, version, signature, source, url, published, title, _history(history))
