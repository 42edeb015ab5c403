"""One question on its way through the stages (``Turn``), and the first stage's work.

``prepared`` is the ``prepare`` stage without its span: the question checked (not empty,
not too long, a sane top-k), a follow-up condensed to a standalone query, the timeline and
the date window the question asks for, the language.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from .answer.timeline import TIMELINE_K, asks_timeline
from .condense import Condenser
from .config import Settings
from .dates import date_window
from .errors import QuestionError
from .evidence.features import Question
from .language import detect_language
from .records import AskRequest, DateWindow, Evidence, Retrieval
from .tracing import NO_TRACE, Stage, TurnTrace


@dataclass(frozen=True)
class Turn:
    """One question on its way through the stages; each stage returns a new Turn."""

    request: AskRequest
    language: str
    query: str
    top_k: int
    retrieval: Retrieval | None = None
    evidence: Evidence | None = None
    timings_ms: tuple[tuple[str, float], ...] = field(default=())
    window: DateWindow | None = None  # the date window the question names (dates.py)
    timeline: bool = False  # answered as dated quotes in date order (answer/timeline.py)
    trace: TurnTrace = NO_TRACE  # this question's spans (tracing.py); records nothing when off
    started: float = 0.0  # perf_counter() when prepare began: ``total`` is measured from it

    @property
    def searched(self) -> Retrieval:
        """The retrieval (the retrieve stage has run)."""
        if self.retrieval is None:
            raise AssertionError("the retrieve stage has not run")  # a bug, not input
        return self.retrieval

    @property
    def ranked(self) -> Evidence:
        """The evidence (the rank stage has run)."""
        if self.evidence is None:
            raise AssertionError("the rank stage has not run")  # a bug, not input
        return self.evidence

    def timed(self, **values: float) -> tuple[tuple[str, float], ...]:
        return self.timings_ms + tuple(values.items())


def prepared(request: AskRequest, settings: Settings, condenser: Condenser, span: Stage) -> Turn:
    """The Turn of a checked request (QuestionError for a bad one)."""
    question = " ".join(str(request.question or "").split())
    limit = settings.max_question_chars
    if not question:
        raise QuestionError("expected a question, got an empty text")
    if len(question) > limit:
        raise QuestionError(
            f"expected a question of at most {limit} characters, got {len(question)}"
        )
    if request.top_k is not None and not 0 <= request.top_k <= 100:
        raise QuestionError(f"expected top_k between 0 and 100, got {request.top_k}")
    query = question
    if request.history:  # a follow-up ("Und was sagte Pjöngjang dazu?") is searched alone
        with span.child("condense"):
            query = condenser.condense(question, request.history)
    timeline = asks_timeline(query) if request.timeline is None else request.timeline
    top_k = request.top_k
    if top_k is None:  # a timeline quotes several articles, so it draws from more chunks
        top_k = max(settings.top_k, TIMELINE_K) if timeline else settings.top_k
    language = detect_language(question)
    window = date_window(query, language, request.as_of or date.today(), request.filters)
    request = replace(request, question=question)
    return Turn(request, language, query, top_k, window=window, timeline=timeline)


def question_of(query: str, retrieval: Retrieval) -> Question:
    """What the decision reads of the question (as the ranker does)."""
    return Question.from_retrieval(query, retrieval)
