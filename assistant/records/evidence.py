"""What retrieval and ranking pass on: chunks, candidates, ranked evidence, and the kind
of response the evidence allows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field


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
    score: float  # probability from the answer model that this chunk answers, 0..1
    rank: int  # 1-based
    sentence_scores: tuple[float, ...] = ()  # query similarity of each chunk sentence


@dataclass(frozen=True)
class Candidate:
    """A chunk that retrieval found for a question, with every similarity the ranker needs."""

    chunk: Chunk
    similarity: float  # query-chunk cosine
    sentence_similarities: tuple[float, ...]  # query cosine of each chunk sentence, in order
    keyword_rank: int = 0  # 1-based rank in the keyword (BM25) search; 0 when not found there
    # per focus word of the query (Retrieval.focus): each sentence's cosine to the query
    # without that word; higher than with it means the sentence does not speak to the word
    focus_similarities: tuple[tuple[float, ...], ...] = ()


@dataclass(frozen=True)
class Retrieval:
    """Everything retrieval found for one query: candidates plus what their terms weigh."""

    query: str
    language: str  # the query's language
    candidates: tuple[Candidate, ...]  # best chunk similarity first
    focus: tuple[str, ...] = ()  # the query's heaviest words, each left out once
    timings_ms: dict[str, float] = field(default_factory=dict)
    set_aside: tuple[Candidate, ...] = ()  # near-top older reports a "latest" question drops


_REFERS_BACK = re.compile(
    r"\s*[\"“„‚']?(he|she|they|his|her|their|er|sie|sein|seine|seiner|ihr|ihre|ihrer)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence of a ranked chunk and how likely it holds the answer."""

    rank: int  # the rank (citation marker) of its chunk
    index: int  # its position among the chunk's sentences
    text: str
    score: float  # probability that it holds the answer, 0..1
    answer: tuple[int, int] | None = None  # offsets in ``text`` of the value asked for

    def carries_on(self, other: ScoredSentence) -> bool:
        """The sentence right after ``other`` in the same chunk, opening with a pronoun that
        refers back to it ("... died Sunday." "He was 88.")."""
        after = self.rank == other.rank and self.index == other.index + 1
        return after and bool(_REFERS_BACK.match(self.text))


@dataclass(frozen=True)
class Evidence:
    """The ranked chunks, the ranked sentences, and whether the articles answer at all."""

    retrieved: tuple[Retrieved, ...]  # the chunks an answer may cite; rank = marker
    sentences: tuple[ScoredSentence, ...]  # best first
    answerable: bool
    confidence: float  # probability that the articles answer the question, 0..1
    ranked_articles: tuple[str, ...] = ()  # article of each ranked chunk, 10 deep (for hit@k)
    pool_articles: tuple[str, ...] = ()  # every candidate's article, set-aside ones too
    kind: str = ""  # answer | closest | none (ANSWER_KINDS); "" : from ``answerable``
    missing: tuple[str, ...] = ()  # the question's words the closest evidence does not speak to
    verified: tuple[float, ...] = ()  # the verifier's P(answers) per ranked sentence, if run
    reported_only: bool = False  # asked whether a claim holds; the evidence only reports it

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", ANSWER if self.answerable else NONE)

    def near_best(self, most: int, margin: float) -> list[ScoredSentence]:
        """The best sentence and the next ones whose score is within ``margin`` of it, at
        most ``most``: the sentences an extractive answer quotes (``extractive.pick``)."""
        best = self.sentences[0].score if self.sentences else 0.0
        return [s for s in self.sentences[:most] if s.score >= best - margin]


ANSWER, CLOSEST, NONE = "answer", "closest", "none"
ANSWER_KINDS = (ANSWER, CLOSEST, NONE)  # the three kinds of response (docs/api.md)
