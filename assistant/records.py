"""Typed records that flow between the stages: Article -> Chunk -> Retrieved -> Answer.

Every record is a frozen dataclass; ``Answer.to_dict()`` is the one JSON form that every
channel (CLI ``--json``, Python, HTTP, UI) shows, so citations cannot get lost on the way.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Article:
    """One cleaned article, as read by a loader."""

    id: str
    title: str
    text: str
    language: str
    source: str = ""
    url: str = ""
    published: str = ""  # ISO date (YYYY-MM-DD) or "" when unknown
    path: str = ""  # the file it came from


@dataclass(frozen=True)
class Span:
    """A sentence inside a chunk: character offsets into the chunk text."""

    start: int
    end: int


@dataclass(frozen=True)
class Chunk:
    """A token-bounded run of whole sentences of one article."""

    id: str  # content hash: same article id + same text => same id
    article_id: str
    article_hash: str  # hash of the whole article text; changes when the article is edited
    title: str
    text: str
    language: str
    position: int  # 0-based index of the chunk within its article
    start: int  # character offset of the chunk in the article text
    end: int
    token_count: int
    sentences: tuple[Span, ...] = ()
    source: str = ""
    url: str = ""
    published: str = ""

    def sentence_texts(self) -> list[str]:
        """The chunk's sentences, verbatim."""
        return [self.text[s.start : s.end] for s in self.sentences]


@dataclass(frozen=True)
class Retrieved:
    """A chunk found for a question, with the evidence that ranked it."""

    chunk: Chunk
    score: float  # fused relevance, higher is better
    rank: int  # 1-based
    sentence_scores: tuple[float, ...] = ()  # query similarity of each chunk sentence


@dataclass(frozen=True)
class Citation:
    """The chunk behind an inline marker ``[n]`` and the quote that supports the claim."""

    n: int
    chunk_id: str
    article_id: str
    title: str
    source: str
    published: str
    url: str
    text: str  # the whole chunk text
    quote: str  # the sentence of the chunk that supports the answer
    quote_start: int  # offsets of the quote inside ``text``
    quote_end: int


@dataclass(frozen=True)
class Sentence:
    """One factual sentence of an answer and the outcome of its citation check."""

    text: str
    citations: tuple[int, ...]
    supported: bool
    support: float  # strongest support score over the cited chunks, 0..1
    reason: str = ""  # why it is unsupported; "" when supported


@dataclass(frozen=True)
class Answer:
    """What the assistant says, with everything a reader needs to check it."""

    question: str
    answer: str
    answerable: bool
    language: str
    sentences: tuple[Sentence, ...]
    citations: tuple[Citation, ...]
    retrieved: tuple[Retrieved, ...]
    provider: str
    query: str = ""  # the query that was searched (differs after condensing a follow-up)
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def all_supported(self) -> bool:
        """True when every factual sentence passed the citation check."""
        return all(s.supported for s in self.sentences)

    def to_dict(self) -> dict:
        """The JSON form shared by every channel."""
        return {
            "question": self.question,
            "query": self.query or self.question,
            "answer": self.answer,
            "answerable": self.answerable,
            "language": self.language,
            "provider": self.provider,
            "sentences": [
                {"text": s.text, "citations": list(s.citations), "supported": s.supported,
                 "support": round(s.support, 4), "reason": s.reason}
                for s in self.sentences
            ],
            "citations": [asdict(c) for c in self.citations],
            "retrieved": [
                {"rank": r.rank, "chunk_id": r.chunk.id, "article_id": r.chunk.article_id,
                 "title": r.chunk.title, "score": round(r.score, 4)}
                for r in self.retrieved
            ],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
