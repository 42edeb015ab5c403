"""What the assistant says: the draft, the checked Answer with its citations, its one JSON
form (``Answer.to_dict()``), and the stream's events."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

from ..errors import AssistantError
from .evidence import ANSWER, NONE, Chunk, Retrieved
from .question import DateWindow


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
