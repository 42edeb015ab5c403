"""What the index holds: articles and chunks by language and source, for the API and UI."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class IndexStats:
    """Counts of one index, the embedder that built it and when it last changed."""

    articles: int
    chunks: int
    embedder: str
    articles_by_language: dict[str, int] = field(default_factory=dict)
    chunks_by_language: dict[str, int] = field(default_factory=dict)
    articles_by_source: dict[str, int] = field(default_factory=dict)
    chunks_by_source: dict[str, int] = field(default_factory=dict)
    last_update: str | None = None  # ISO timestamp (UTC) or None when unknown

    def to_dict(self) -> dict:
        """JSON form for ``GET /api/index``."""
        return {
            "articles": self.articles,
            "chunks": self.chunks,
            "embedder": self.embedder,
            "articles_by_language": self.articles_by_language,
            "chunks_by_language": self.chunks_by_language,
            "articles_by_source": self.articles_by_source,
            "chunks_by_source": self.chunks_by_source,
            "last_update": self.last_update,
        }


def index_stats(
    index, index_dir: Path | None = None, last_ingest: datetime | None = None
) -> IndexStats:
    """Count what ``index`` (a ChromaIndex) holds.

    ``last_update`` is the latest of ``last_ingest`` (an ingest this process ran) and the
    modification time of the on-disk store, so ingests by the CLI count too.
    """
    _, metas = index.chunk_metadatas()
    articles: dict[str, dict] = {}
    for meta in metas:
        articles.setdefault(meta["article_id"], meta)
    return IndexStats(
        articles=len(articles),
        chunks=len(metas),
        embedder=index.embedder_name,
        articles_by_language=_count(articles.values(), "language"),
        chunks_by_language=_count(metas, "language"),
        articles_by_source=_count(articles.values(), "source"),
        chunks_by_source=_count(metas, "source"),
        last_update=_last_update(index_dir, last_ingest),
    )


def _count(metas, key: str) -> dict[str, int]:
    counts = Counter(str(m.get(key) or "(unknown)") for m in metas)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _last_update(index_dir: Path | None, last_ingest: datetime | None) -> str | None:
    times = [last_ingest] if last_ingest else []
    store = Path(index_dir) / "chroma.sqlite3" if index_dir else None
    if store is not None and store.is_file():
        times.append(datetime.fromtimestamp(store.stat().st_mtime, tz=UTC))
    return max(times).isoformat(timespec="seconds") if times else None
