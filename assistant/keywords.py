"""The keyword index: SQLite FTS5 beside Chroma, BM25 over the stemmed text of every chunk.

Chroma 1.5 on a single node has no BM25 or hybrid search (its Search API is Chroma Cloud
only; local ``where_document`` filters but does not rank), so the lexical side lives in a
SQLite file next to the vector store (standard library, no server). Chroma stays the
source of truth: keyword rows are derived from the chunks Chroma holds, written right after
them in the same ingest, and ``Ingestor`` compares both at the start of every run, so a
crash between the two writes, or an index built before this file existed, is repaired from
the chunk texts Chroma stores, without embedding anything again.

The rows also carry each article's ``chunk_count`` and each chunk's sentence ids, so the
file answers two questions that are slow to ask Chroma at 100,000 chunks
(``bench/scale100k.py``): what the index holds, which a re-ingest after a clean run reads
here in 0.1 s instead of 10-19 s of chunk metadata from Chroma, and which rows a filter
allows (``within``), which a filtered search hands to Chroma as ids instead of a ``where``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .records import Chunk, Filters
from .sqlite_file import open_sqlite
from .stored import ArticleState, manifest_of, sentence_ids
from .terms import terms

SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, article_id TEXT NOT NULL,
    article_hash TEXT NOT NULL, language TEXT, source TEXT, published TEXT,
    chunk_count INTEGER, sentence_ids TEXT);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(terms, tokenize='unicode61');
"""

ADDED_COLUMNS = {"chunk_count": "INTEGER", "sentence_ids": "TEXT"}


class KeywordIndex:
    """BM25 search over stemmed chunk text; one SQLite file, safe to share between threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = open_sqlite(self.path, SCHEMA, "a keyword index (SQLite with FTS5)")
        self._lock = threading.Lock()
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(chunks)")}
        for name, kind in ADDED_COLUMNS.items():  # a file written before them: NULL = unknown
            if name not in columns:
                self._db.execute(f"ALTER TABLE chunks ADD COLUMN {name} {kind}")

    # --- writing -------------------------------------------------------------------
    def write(self, chunks: Sequence[Chunk], counts: Mapping[str, int] | None = None) -> None:
        """Insert or replace the rows of ``chunks`` in one transaction; ``counts``: chunks
        per article id (left unknown without it, which keeps ``manifest`` from answering)."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            for chunk in chunks:
                self._delete_where("chunk_id = ?", (chunk.id,))
                cursor = self._db.execute(
                    "INSERT INTO chunks(chunk_id, article_id, article_hash, language, source, "
                    "published, chunk_count, sentence_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        chunk.id,
                        chunk.article_id,
                        chunk.article_hash,
                        chunk.language,
                        chunk.source,
                        chunk.published,
                        (counts or {}).get(chunk.article_id),
                        " ".join(sentence_ids(chunk)),
                    ),
                )
                self._db.execute(
                    "INSERT INTO chunk_terms(rowid, terms) VALUES (?, ?)",
                    (cursor.lastrowid, " ".join(chunk_terms(chunk))),
                )

    def delete_stale(self, article_id: str, keep_hash: str | None) -> None:
        """Remove an article's rows of other versions (all rows when ``keep_hash`` is None)."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            if keep_hash is None:
                self._delete_where("article_id = ?", (article_id,))
            else:
                self._delete_where("article_id = ? AND article_hash != ?", (article_id, keep_hash))

    def _delete_where(self, clause: str, params: tuple) -> None:
        rows = [r[0] for r in self._db.execute(f"SELECT rowid FROM chunks WHERE {clause}", params)]
        for rowid in rows:
            self._db.execute("DELETE FROM chunk_terms WHERE rowid = ?", (rowid,))
            self._db.execute("DELETE FROM chunks WHERE rowid = ?", (rowid,))

    # --- reading -------------------------------------------------------------------
    def chunk_ids(self) -> dict[str, set[str]]:
        """Every article's chunk ids, to compare with the vector store."""
        out: dict[str, set[str]] = {}
        with self._lock:
            for article_id, chunk_id in self._db.execute("SELECT article_id, chunk_id FROM chunks"):
                out.setdefault(article_id, set()).add(chunk_id)
        return out

    def incomplete(self) -> set[str]:
        """Articles with rows written before chunk counts and sentence ids were kept."""
        sql = "SELECT DISTINCT article_id FROM chunks WHERE chunk_count IS NULL"
        sql += " OR sentence_ids IS NULL"
        with self._lock:
            return {row[0] for row in self._db.execute(sql)}

    def within(self, filters: Filters) -> tuple[list[str], list[str] | None]:
        """Ids of the chunks and of their sentences that ``filters`` allow (sentence ids
        None when a row predates them): handed to Chroma as ``ids``, a filtered search
        takes 24 ms instead of 960 ms for a ``where`` on the date at 100,000 chunks, and
        114 ms instead of 1.8 s over 530,000 sentences, with the same results."""
        clause, params = filter_sql(filters)
        sql = f"SELECT chunk_id, sentence_ids FROM chunks c WHERE 1 = 1{clause}"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        if any(ids is None for _, ids in rows):
            return [chunk_id for chunk_id, _ in rows], None
        sentences = dict.fromkeys(i for _, ids in rows for i in ids.split())  # overlaps: once
        return [chunk_id for chunk_id, _ in rows], list(sentences)

    def manifest(self) -> dict[str, ArticleState] | None:
        """Every article with its versions and chunks, as ``ChromaIndex.manifest`` gives
        it, or None when a row's chunk count is unknown (written before it was kept)."""
        sql = "SELECT article_id, article_hash, chunk_id, chunk_count FROM chunks ORDER BY rowid"
        with self._lock:
            rows = self._db.execute(sql).fetchall()
        if any(row[3] is None for row in rows):
            return None
        return manifest_of(rows)

    def search(
        self, query_terms: Iterable[str], n: int, filters: Filters | None = None
    ) -> list[tuple[str, float]]:
        """The ``n`` best chunks for any of ``query_terms``: (chunk id, BM25, higher is better)."""
        unique = list(dict.fromkeys(query_terms))
        if n <= 0 or not unique:
            return []
        clause, params = filter_sql(filters or Filters())
        sql = (
            "SELECT c.chunk_id, -bm25(chunk_terms) AS score FROM chunk_terms "
            "JOIN chunks c ON c.rowid = chunk_terms.rowid WHERE chunk_terms MATCH ?"
            f"{clause} ORDER BY score DESC, c.chunk_id LIMIT ?"
        )
        match = " OR ".join(f'"{t}"' for t in unique)
        with self._lock:
            return [(cid, float(s)) for cid, s in self._db.execute(sql, (match, *params, n))]

    def count(self) -> int:
        """Number of chunks."""
        with self._lock:
            return self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def count_undated(self, filters: Filters | None = None) -> int:
        """Articles without a published date among those ``filters`` (language, source) allow:
        what a date window leaves out without saying (one indexed SQLite count)."""
        language_source = Filters((filters or Filters()).language, (filters or Filters()).source)
        clause, params = filter_sql(language_source)
        sql = f"SELECT count(DISTINCT c.article_id) FROM chunks c WHERE c.published = ''{clause}"
        with self._lock:
            return self._db.execute(sql, params).fetchone()[0]


def chunk_terms(chunk: Chunk) -> list[str]:
    """What a chunk is found by: the stems of its title and text in its language."""
    return terms(f"{chunk.title}\n{chunk.text}", chunk.language)


def filter_sql(filters: Filters) -> tuple[str, tuple]:
    """The ``AND ...`` clause and parameters restricting ``chunks c`` to ``filters``."""
    parts, params = [], []
    for column, value in (("language", filters.language), ("source", filters.source)):
        if value:
            parts.append(f"c.{column} = ?")
            params.append(value)
    if filters.published_from:
        parts.append("c.published != '' AND c.published >= ?")
        params.append(filters.published_from.isoformat())
    if filters.published_to:
        parts.append("c.published != '' AND c.published <= ?")
        params.append(filters.published_to.isoformat())
    return "".join(f" AND {p}" for p in parts), tuple(params)
