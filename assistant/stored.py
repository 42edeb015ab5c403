"""What the stores hold, in one leaf module: content-hash ids, sentence rows, article states.

Both stores (Chroma, ``index.py``; the keyword index, ``keywords.py``) and the ingest
pipeline name rows the same way and rebuild the same per-article manifest. These helpers
used to live in ``index.py`` and ``ingest/chunking.py``, which made the keyword index import
the vector store and the storage modules import from ingest (an import cycle, issue 18);
this module imports nothing of the package but ``records``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from .records import Chunk


def content_hash(*parts: str) -> str:
    """A stable 32-hex-digit id for the given strings."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:32]


def sentence_id(article_id: str, start: int, text: str) -> str:
    """The id of a stored sentence: where it starts in its article, and its text."""
    return content_hash(article_id, str(start), text)


def sentence_ids(chunk: Chunk) -> list[str]:
    """Ids of the stored vectors of every sentence of ``chunk``, in order."""
    return [
        sentence_id(chunk.article_id, chunk.start + s.start, chunk.text[s.start : s.end])
        for s in chunk.sentences
    ]


@dataclass
class ArticleState:
    """What the index holds of one article."""

    hashes: set[str] = field(default_factory=set)
    chunk_ids: list[str] = field(default_factory=list)
    expected: int = 0

    def complete_for(self, article_hash: str) -> bool:
        """True when the article is fully written at exactly this version."""
        return self.hashes == {article_hash} and len(self.chunk_ids) == self.expected


def manifest_of(rows: Iterable[tuple[str, str, str, int]]) -> dict[str, ArticleState]:
    """Articles' states from (article id, article hash, chunk id, chunk count) rows."""
    states: dict[str, ArticleState] = {}
    for article_id, article_hash, chunk_id, chunk_count in rows:
        state = states.setdefault(article_id, ArticleState())
        state.hashes.add(article_hash)
        state.chunk_ids.append(chunk_id)
        state.expected = chunk_count
    return states


@dataclass(frozen=True)
class SentenceHit:
    """A sentence vector near the query."""

    article_id: str
    chunk_id: str
    start: int  # offsets into the article text
    end: int
    similarity: float


@dataclass(frozen=True)
class SentenceRow:
    """A sentence to store: where it is, and its text."""

    id: str
    article_id: str
    article_hash: str
    chunk_id: str
    start: int
    end: int
    text: str
    language: str
    source: str
    published_day: int


@dataclass(frozen=True)
class BuildRecord:
    """How an index was built: everything that decides which rows and vectors an ingest
    writes. Stored in the chunk collection's metadata; an index opened with another record
    is refused (``differences``), because a re-ingest would keep the old rows of unchanged
    articles: an eval index cached before a chunking change measured the old chunks."""

    embedder: str
    embedder_version: str = ""
    dimension: int | None = None
    chunk_tokens: int = 200
    chunk_overlap: int = 40
    chunk_vectors: str = "embed"
    sentence_vectors: bool = True
    chunker: str = ""

    def metadata(self) -> dict[str, str | int | bool]:
        """Flat scalars for Chroma's collection metadata (an unknown dimension left out)."""
        meta = {k: v for k, v in self.__dict__.items() if v is not None}
        return meta

    def differences(self, stored: dict) -> list[str]:
        """``setting: index built with X, settings say Y`` for every disagreement with a
        stored record. An index from before build records (only ``embedder`` and
        ``dimension`` stored) is checked on those two only."""
        legacy = "chunker" not in stored
        out = []
        for key, wanted in self.__dict__.items():
            if legacy and key not in ("embedder", "dimension"):
                continue
            have = stored.get(key)
            if key == "dimension" and (wanted is None or have is None):
                continue  # a remote embedder's size is known after its first answer
            if have != wanted:
                out.append(f"{key}: index built with {have!r}, settings say {wanted!r}")
        return out
