"""Typed records that flow between the stages: Article -> Chunk -> Retrieved -> Answer.

Every record is a frozen dataclass; ``Answer.to_dict()`` is the one JSON form that every
channel (CLI ``--json``, Python, HTTP, UI) shows, so citations cannot get lost on the way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from .errors import AssistantError, QuestionError


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
    encoding: str = ""  # how its file's bytes were read ("utf-8", "cp1252", ...); "" for PDF/DOCX


@dataclass(frozen=True)
class Filters:
    """Restrictions on which chunks a question may be answered from."""

    language: str | None = None
    source: str | None = None
    published_from: date | None = None  # inclusive; undated articles never match a date
    published_to: date | None = None

    @classmethod
    def parse(
        cls,
        language: str | None = None,
        source: str | None = None,
        published_from: str | date | None = None,
        published_to: str | date | None = None,
    ) -> Filters:
        """The one parser of filters from the CLI, the UI and the HTTP APIs (blank = any)."""
        language = (language or "").strip().lower() or None
        if language not in (None, "de", "en"):
            raise QuestionError(f"expected the language filter 'de' or 'en', got {language!r}")
        return cls(
            language,
            (source or "").strip() or None,
            parse_day("published_from", published_from),
            parse_day("published_to", published_to),
        )

    def __post_init__(self):
        if self.published_from and self.published_to and self.published_from > self.published_to:
            raise QuestionError(
                f"expected published_from on or before published_to, got "
                f"{self.published_from} > {self.published_to}"
            )


def parse_day(label: str, value: str | date | None) -> date | None:
    """A day from ``YYYY-MM-DD`` (blank or None: no day); QuestionError naming ``label``."""
    if isinstance(value, date) or value is None:
        return value
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        raise QuestionError(f"expected {label} as YYYY-MM-DD, got {value!r}") from None


@dataclass(frozen=True, kw_only=True)
class AskRequest:
    """One question as every channel asks it: CLI, Python, HTTP, OpenAI, MCP, the UI.
    Keyword arguments only: six channels build it, and by position a new field would
    shift every later one silently."""

    question: str
    history: tuple[tuple[str, str], ...] = ()  # earlier (question, answer) turns
    filters: Filters = Filters()
    top_k: int | None = None  # chunks an answer may cite; None: the configured number
    as_of: date | None = None  # the day "gestern", "last week" are counted from; None: today
    timeline: bool | None = None  # dated quotes in date order; None: when the question asks
    conversation_id: str | None = None  # the stored conversation this turn continues


@dataclass(frozen=True)
class DateWindow:
    """The published-date window a question names ("letzte Woche"), as retrieval applied it."""

    start: date | None  # inclusive; None: no lower bound
    end: date | None  # inclusive; before ``start`` when the filters leave no day
    text: str  # how the answer shows it: "Artikel vom 21.–27. Oktober 2024"
    undated: int = 0  # articles without a date that the window left out

    def to_dict(self) -> dict:
        """``{"from", "to", "text", "undated"}``, days as YYYY-MM-DD or null."""
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "text": self.text,
            "undated": self.undated,
        }


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


@dataclass(frozen=True)
class ScoredSentence:
    """A sentence of a ranked chunk and how likely it holds the answer."""

    rank: int  # the rank (citation marker) of its chunk
    index: int  # its position among the chunk's sentences
    text: str
    score: float  # probability that it holds the answer, 0..1
    answer: tuple[int, int] | None = None  # offsets in ``text`` of the value asked for


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

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", ANSWER if self.answerable else NONE)


ANSWER, CLOSEST, NONE = "answer", "closest", "none"
ANSWER_KINDS = (ANSWER, CLOSEST, NONE)  # the three kinds of response (docs/api.md)


@dataclass(frozen=True)
class Claim:
    """An answer sentence with its markers removed, and the marker numbers."""

    text: str
    markers: tuple[int, ...]


@dataclass(frozen=True)
class Draft:
    """A drafted answer: its text, its claims, and whether it declines."""

    text: str
    claims: tuple[Claim, ...]
    answerable: bool
    lead: str = ""  # the value the answer opens with (number, date, name, place), verbatim
    kind: str = ""  # answer | closest | none; "" : from ``answerable``
    missing: tuple[str, ...] = ()  # what the articles do not say (a closest response)

    def __post_init__(self) -> None:
        if not self.kind:
            object.__setattr__(self, "kind", ANSWER if self.answerable else NONE)


@dataclass(frozen=True)
class ReportedBy:
    """Another outlet's copy of a cited article (the same wire story; not indexed itself)."""

    source: str
    url: str
    published: str
    title: str
    article_id: str = ""  # the copy's own id (it is not indexed: its text is the canonical's)


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
    also_reported_by: tuple[ReportedBy, ...] = ()  # copies of the article (ingest/copies.py)


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
    confidence: float = 0.0  # the answer model's probability that the articles answer
    lead: str = ""  # the value the answer opens with, verbatim from the first citation
    ranked_articles: tuple[str, ...] = ()  # article of each ranked chunk, 10 deep (for hit@k)
    pool_articles: tuple[str, ...] = ()  # article of every retrieval candidate (eval corpora)
    timings_ms: dict[str, float] = field(default_factory=dict)
    date_window: DateWindow | None = None  # the question's date window; None: it named none
    timeline: bool = False  # answered as dated quotes in date order (answer/timeline.py)
    turn_id: str = ""  # the stored turn ("" when nothing stored it)
    conversation_id: str = ""  # the stored conversation it belongs to
    trace_id: str = ""  # the trace of this answer's stages ("" when tracing is off)
    # answer: it answers (``answerable``); closest: the articles don't say what was asked,
    # the nearest evidence is shown; none: nothing relevant ("": from ``answerable``)
    answer_kind: str = ""
    missing: tuple[str, ...] = ()  # the question's words no quoted evidence speaks to

    def __post_init__(self) -> None:
        if not self.answer_kind:
            object.__setattr__(self, "answer_kind", ANSWER if self.answerable else NONE)

    def to_dict(self) -> dict:
        """The JSON form shared by every channel."""
        return {
            "question": self.question,
            "query": self.query or self.question,
            "answer": self.answer,
            "answerable": self.answerable,
            "answer_kind": self.answer_kind,
            "missing": list(self.missing),
            "confidence": round(self.confidence, 4),
            "lead": self.lead,
            "language": self.language,
            "provider": self.provider,
            "date_window": self.date_window.to_dict() if self.date_window else None,
            "timeline": self.timeline,
            "turn_id": self.turn_id or None,
            "conversation_id": self.conversation_id or None,
            "trace_id": self.trace_id or None,
            "sentences": [
                {
                    "text": s.text,
                    "citations": list(s.citations),
                    "supported": s.supported,
                    "support": round(s.support, 4),
                    "reason": s.reason,
                }
                for s in self.sentences
            ],
            "citations": [asdict(c) for c in self.citations],
            "retrieved": [
                {
                    "rank": r.rank,
                    "chunk_id": r.chunk.id,
                    "article_id": r.chunk.article_id,
                    "title": r.chunk.title,
                    "score": round(r.score, 4),
                }
                for r in self.retrieved
            ],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }

    @classmethod
    def from_dict(cls, data: dict) -> Answer:
        """The Answer of a stored ``to_dict()`` (a kept conversation turn); retrieved
        chunks come back as their summary (id, article, title), without their text."""
        window = data.get("date_window")
        return cls(
            question=data["question"],
            answer=data["answer"],
            answerable=data["answerable"],
            language=data["language"],
            sentences=tuple(
                Sentence(
                    s["text"],
                    tuple(s["citations"]),
                    s["supported"],
                    s["support"],
                    s.get("reason", ""),
                )
                for s in data.get("sentences", ())
            ),  # fmt: skip
            citations=tuple(_citation(c) for c in data.get("citations", ())),
            retrieved=tuple(_retrieved(r) for r in data.get("retrieved", ())),
            provider=data.get("provider", ""),
            query="" if data.get("query") == data["question"] else data.get("query", ""),
            confidence=data.get("confidence", 0.0),
            lead=data.get("lead", ""),
            timings_ms=dict(data.get("timings_ms", {})),
            date_window=_window(window) if window else None,
            timeline=bool(data.get("timeline")),
            turn_id=data.get("turn_id") or "",
            conversation_id=data.get("conversation_id") or "",
            trace_id=data.get("trace_id") or "",
            answer_kind=data.get("answer_kind") or "",  # older stored turns: from answerable
            missing=tuple(data.get("missing", ())),
        )


def _citation(data: dict) -> Citation:
    also = tuple(ReportedBy(**r) for r in data.get("also_reported_by", ()))
    return Citation(**{**data, "also_reported_by": also})


def _retrieved(data: dict) -> Retrieved:
    chunk = Chunk(
        data["chunk_id"], data["article_id"], "", data["title"], "", "", 0, 0, 0, 0
    )  # the summary to_dict keeps: no text, no offsets
    return Retrieved(chunk, data["score"], data["rank"])


def _window(data: dict) -> DateWindow:
    start, end = (date.fromisoformat(v) if v else None for v in (data["from"], data["to"]))
    return DateWindow(start, end, data["text"], data.get("undated", 0))


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer text, as it is drafted (its markers are final)."""

    text: str


@dataclass(frozen=True)
class FinalAnswer:
    """The checked answer; always the last event of a successful stream."""

    answer: Answer


@dataclass(frozen=True)
class ErrorEvent:
    """The stream's last event when the question could not be answered."""

    error: AssistantError


AnswerEvent = TextDelta | FinalAnswer | ErrorEvent
