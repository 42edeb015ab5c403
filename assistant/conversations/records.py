"""The records of kept conversations: Conversation, Turn, Feedback, and a turn's settings.

They live in this package, not in ``assistant/records/``, because only the conversation
store, its service and their channels use them; the answer itself stays ``Answer`` and is
kept as its one JSON form (``Answer.to_dict()``), so a stored turn shows exactly what its
reader got, whatever fields ``Answer`` gains later.

Feedback values are checked here, once, for every channel (HTTP, the browser chat): a
rating is ``up`` or ``down``; a comment 1 to ``MAX_COMMENT_CHARS`` characters (an empty one
is refused as a client's mistake: no comment means leaving it out); a citation one of the
turn's ``[n]``; a reason one of ``REASONS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..errors import ConversationError
from ..records import AskRequest, Filters, parse_day

RATINGS = ("up", "down")
REASONS = ("quote_does_not_support", "wrong_article")
MAX_COMMENT_CHARS = 2000


@dataclass(frozen=True)
class TurnSettings:
    """The request settings that shaped a turn (what a replay needs besides the question)."""

    filters: Filters = Filters()
    top_k: int | None = None
    as_of: date | None = None
    timeline: bool | None = None
    history: tuple[tuple[str, str], ...] = ()  # sent by the client; stored turns come on top

    @classmethod
    def of(cls, request: AskRequest, history: tuple[tuple[str, str], ...] = ()) -> TurnSettings:
        """The settings of ``request``; ``history`` is what the client sent, not the store."""
        return cls(request.filters, request.top_k, request.as_of, request.timeline, history)

    def to_dict(self) -> dict:
        """``{"filters", "top_k", "as_of", "timeline", "history"}``, days as YYYY-MM-DD."""
        return {
            "filters": filters_dict(self.filters),
            "top_k": self.top_k,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "timeline": self.timeline,
            "history": [list(pair) for pair in self.history],
        }

    @classmethod
    def from_dict(cls, data: dict) -> TurnSettings:
        """The settings from their stored JSON form."""
        return cls(
            Filters.parse(**data.get("filters", {})),
            data.get("top_k"),
            parse_day("as_of", data.get("as_of")),
            data.get("timeline"),
            tuple((str(q), str(a)) for q, a in data.get("history", ())),
        )


def filters_dict(filters: Filters) -> dict:
    """``{"language", "source", "published_from", "published_to"}`` with days as text."""
    return {
        "language": filters.language,
        "source": filters.source,
        "published_from": filters.published_from.isoformat() if filters.published_from else None,
        "published_to": filters.published_to.isoformat() if filters.published_to else None,
    }


@dataclass(frozen=True)
class Feedback:
    """A reader's rating of one turn, and what review made of it."""

    id: str
    turn_id: str
    rating: str  # "up" or "down"
    comment: str = ""
    citation: int | None = None  # the [n] it is about
    reason: str = ""  # one of REASONS, or ""
    created: str = ""  # ISO time, UTC
    decision: str = ""  # after review: "quote:N", "decline" or "discard"; "" until then
    reviewed: str = ""  # ISO time of the review
    eval_item: str = ""  # the eval item id the review wrote ("" for discard)

    def to_dict(self) -> dict:
        """The JSON form of ``/api/feedback`` and the conversation view."""
        return {
            "id": self.id,
            "turn_id": self.turn_id,
            "rating": self.rating,
            "comment": self.comment or None,
            "citation": self.citation,
            "reason": self.reason or None,
            "created": self.created,
            "decision": self.decision or None,
            "reviewed": self.reviewed or None,
            "eval_item": self.eval_item or None,
        }


@dataclass(frozen=True)
class Turn:
    """One answered question of a conversation, as its reader got it."""

    id: str
    conversation_id: str
    n: int  # 1-based position in the conversation
    settings: TurnSettings
    answer: dict  # Answer.to_dict(), turn_id and conversation_id included
    timings_ms: dict[str, float]
    trace_id: str
    created: str  # ISO time, UTC
    feedback: tuple[Feedback, ...] = ()

    @property
    def question(self) -> str:
        return str(self.answer.get("question", ""))

    @property
    def text(self) -> str:
        """The answer text, markers included."""
        return str(self.answer.get("answer", ""))

    def citation_numbers(self) -> list[int]:
        """The ``[n]`` this turn's answer cites."""
        return [int(c["n"]) for c in self.answer.get("citations", ())]

    def to_dict(self) -> dict:
        """The JSON form of ``GET /api/conversations/{id}``."""
        return {
            "id": self.id,
            "n": self.n,
            "created": self.created,
            "settings": self.settings.to_dict(),
            "answer": self.answer,
            "timings_ms": self.timings_ms,
            "trace_id": self.trace_id or None,
            "feedback": [f.to_dict() for f in self.feedback],
        }


@dataclass(frozen=True)
class Conversation:
    """A kept conversation: its title is its first question."""

    id: str
    title: str
    created: str
    updated: str
    turn_count: int = 0

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "created": self.created,
            "updated": self.updated,
            "turns": self.turn_count,
        }


def history_before(turns: list[Turn], n: int | None = None) -> tuple[tuple[str, str], ...]:
    """The (question, answer) pairs before turn ``n`` (all turns when None): what the
    client sent with the first turn, then every stored turn."""
    ordered = sorted(turns, key=lambda t: t.n)
    sent = ordered[0].settings.history if ordered else ()
    return sent + tuple((t.question, t.text) for t in ordered if n is None or t.n < n)


def checked_feedback(
    turn: Turn,
    rating: str,
    comment: str | None = None,
    citation: int | None = None,
    reason: str | None = None,
) -> tuple[str, str, int | None, str]:
    """(rating, comment, citation, reason) when they are usable for ``turn``; else a
    ConversationError saying what was expected."""
    if rating not in RATINGS:
        raise ConversationError(f"expected rating 'up' or 'down', got {rating!r}")
    if comment is not None and not comment.strip():
        raise ConversationError(
            f"expected a comment of 1 to {MAX_COMMENT_CHARS} characters, "
            "got an empty one (leave it out for none)"
        )
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise ConversationError(
            f"expected a comment of at most {MAX_COMMENT_CHARS} characters, got {len(comment)}"
        )
    if citation is not None and citation not in turn.citation_numbers():
        raise ConversationError(
            f"expected citation to be one of the turn's citations "
            f"{turn.citation_numbers()}, got {citation}"
        )
    if reason and reason not in REASONS:
        raise ConversationError(f"expected reason one of {list(REASONS)}, got {reason!r}")
    return rating, comment, citation, reason or ""
