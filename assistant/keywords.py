"""The keyword index: a row per chunk in SQLite beside Chroma, BM25 over its stems.

Chroma 1.5 on a single node has no BM25 or hybrid search (its Search API is Chroma Cloud
only; local ``where_document`` filters but does not rank), so the lexical side lives next
to the vector store (no server): a SQLite file of rows (each chunk's article, version,
language, source, date and stems) and, derived from them, the tantivy index that ranks by
BM25 (``term_index.py``: why tantivy, and how it stays in step). Chroma stays the source of
truth: keyword rows are derived from the chunks Chroma holds, written right after them in
the same ingest, and ``Ingestor`` compares both at the start of every run, so a crash
between the two writes, or an index built before this file existed, is repaired from the
chunk texts Chroma stores, without embedding anything again.

The rows also carry each article's ``chunk_count`` and each chunk's sentence ids, so the
file answers two questions that are slow to ask Chroma at 100,000 chunks
(``bench/scale100k.py``): what the index holds, which a re-ingest after a clean run reads
here in 0.1 s instead of 10-19 s of chunk metadata from Chroma, and which rows a filter
allows (``within``), which a filtered search hands to Chroma as ids instead of a ``where``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from .records import Chunk, Filters
from .sqlite_file import open_sqlite
from .stored import ArticleState, manifest_of, sentence_ids
from .term_index import TermIndex, TermRow, rows_of
from .terms import terms

SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, article_id TEXT NOT NULL,
    article_hash TEXT NOT NULL, language TEXT, source TEXT, published TEXT,
    chunk_count INTEGER, sentence_ids TEXT, terms TEXT);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta VALUES ('generation', 0);
"""

# columns a file written before them lacks (NULL = unknown; such rows are written again)
ADDED_COLUMNS = {"chunk_count": "INTEGER", "sentence_ids": "TEXT", "terms": "TEXT"}
TERM_COLUMNS = "chunk_id, language, source, published, terms"


class KeywordIndex:
    """Keyword rows in one SQLite file and BM25 over them (tantivy, in ``<file>.terms``);
    safe to share between threads."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._db = open_sqlite(self.path, SCHEMA, "a keyword index (SQLite)")
        self._lock = threading.Lock()
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(chunks)")}
        for name, kind in ADDED_COLUMNS.items():  # a file written before them: NULL = unknown
            if name not in columns:
                self._db.execute(f"ALTER TABLE chunks ADD COLUMN {name} {kind}")
        self._from_fts5()
        self.terms = TermIndex(self.path.with_suffix(".terms"))
        self.terms.ensure(self._all_rows, self._generation())

    def _from_fts5(self) -> None:
        """A file written when BM25 ran in SQLite FTS5: its rows take their stems from the
        FTS5 table, which is dropped (rows it lacks keep NULL and are written again)."""
        sql = "SELECT 1 FROM sqlite_master WHERE name = 'chunk_terms'"
        if self._db.execute(sql).fetchone() is None:
            return
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute(
                "UPDATE chunks SET terms = (SELECT t.terms FROM chunk_terms t "
                "WHERE t.rowid = chunks.rowid) WHERE terms IS NULL"
            )
            self._db.execute("DROP TABLE chunk_terms")
            self._bump()

    # --- writing -------------------------------------------------------------------
    def write(self, chunks: Sequence[Chunk], counts: Mapping[str, int] | None = None) -> None:
        """Insert or replace the rows of ``chunks`` in one transaction; ``counts``: chunks
        per article id (left unknown without it, which keeps ``manifest`` from answering).
        Then the same change in the BM25 index (``term_index.py``: write order)."""
        rows = [
            TermRow(c.id, c.language, c.source, c.published, " ".join(chunk_terms(c)))
            for c in chunks
        ]
        with self._lock, self._db:
            self._db.execute("BEGIN")
            for chunk, row in zip(chunks, rows):
                self._delete_where("chunk_id = ?", (chunk.id,))
                self._db.execute(
                    "INSERT INTO chunks(chunk_id, article_id, article_hash, language, source, "
                    "published, chunk_count, sentence_ids, terms) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        chunk.id,
                        chunk.article_id,
                        chunk.article_hash,
                        chunk.language,
                        chunk.source,
                        chunk.published,
                        (counts or {}).get(chunk.article_id),
                        " ".join(sentence_ids(chunk)),
                        row.terms,
                    ),
                )
            after = self._bump()
        self.terms.apply(after - 1, after, [r.chunk_id for r in rows], rows, self._all_rows)

    def delete_stale(self, article_id: str, keep_hash: str | None) -> None:
        """Remove an article's rows of other versions (all rows when ``keep_hash`` is None)."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            if keep_hash is None:
                removed = self._delete_where("article_id = ?", (article_id,))
            else:
                removed = self._delete_where(
                    "article_id = ? AND article_hash != ?", (article_id, keep_hash)
                )
            if not removed:
                return
            after = self._bump()
        self.terms.apply(after - 1, after, removed, [], self._all_rows)

    def _delete_where(self, clause: str, params: tuple) -> list[str]:
        """Delete the rows ``clause`` selects; their chunk ids."""
        sql = f"SELECT chunk_id FROM chunks WHERE {clause}"
        removed = [row[0] for row in self._db.execute(sql, params)]
        self._db.execute(f"DELETE FROM chunks WHERE {clause}", params)
        return removed

    def _bump(self) -> int:
        """Count one more change of the rows (inside its transaction); the new generation."""
        self._db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
        return self._generation()

    def _generation(self) -> int:
        return self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]

    @contextmanager
    def _all_rows(self) -> Iterator[tuple[Iterable[TermRow], int]]:
        """Every row's stems with the generation they belong to, read in one transaction."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                sql = f"SELECT {TERM_COLUMNS} FROM chunks WHERE terms IS NOT NULL ORDER BY rowid"
                yield rows_of(self._db.execute(sql)), self._generation()
            finally:
                self._db.execute("COMMIT")

    # --- reading -------------------------------------------------------------------
    def chunk_ids(self) -> dict[str, set[str]]:
        """Every article's chunk ids, to compare with the vector store."""
        out: dict[str, set[str]] = {}
        with self._lock:
            for article_id, chunk_id in self._db.execute("SELECT article_id, chunk_id FROM chunks"):
                out.setdefault(article_id, set()).add(chunk_id)
        return out

    def incomplete(self) -> set[str]:
        """Articles with rows written before chunk counts, sentence ids and stems were kept."""
        sql = "SELECT DISTINCT article_id FROM chunks WHERE chunk_count IS NULL"
        sql += " OR sentence_ids IS NULL OR terms IS NULL"
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
        found = self.terms.search(unique, n, filters or Filters())
        if found is None:  # damaged files: built again from the rows, then asked again
            self.terms.rebuild(self._all_rows)
            found = self.terms.search(unique, n, filters or Filters())
        return found or []

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
