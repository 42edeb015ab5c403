"""The Assistant: the one object every channel calls (CLI, Python, HTTP, OpenAI, MCP, UI, evals).

The answer path is one LangChain runnable, compiled once per Assistant::

    prepare (validate, condense, language) -> retrieve -> rank (answer model)
        -> answer (draft, streamed as TextDelta events; cite; FinalAnswer)

``stream`` yields its events; ``ask`` runs the same runnable and returns the final
Answer. An ``AssistantError`` anywhere becomes the stream's last event (``ErrorEvent``),
and ``ask`` raises it. Every stage gets and returns an immutable ``Turn``.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .answer import Answerer, make_answerer
from .answer.base import decline_draft
from .citations import CitationChecker
from .condense import Condenser, RuleCondenser, make_condenser
from .config import Settings, load_settings
from .errors import AssistantError, ConfigError, QuestionError
from .evidence.model import AnswerModel, load_answer_model
from .evidence.rank import EvidenceRanker
from .index import ChromaIndex, open_stores
from .ingest.chunking import Chunker
from .ingest.lock import ingest_lock
from .ingest.pipeline import Ingestor, IngestReport, ProgressFactory
from .keywords import KeywordIndex
from .language import detect_language
from .providers import Embedder, make_embeddings
from .records import (
    Answer,
    AnswerEvent,
    AskRequest,
    Draft,
    ErrorEvent,
    Evidence,
    Filters,
    FinalAnswer,
    Retrieval,
    TextDelta,
)
from .retrieve import Retriever


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


class Assistant:
    """Index articles and answer questions about them with checked citations."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        index: ChromaIndex,
        keywords: KeywordIndex,
        model: AnswerModel | ConfigError,  # the fitted answer model, or why it cannot be used
        answerer: Answerer,
        checker: CitationChecker | None = None,
        condenser: Condenser | None = None,
    ):
        self.settings = settings
        self.embedder = embedder
        self.index = index
        self.keywords = keywords
        self.answerer = answerer
        self.retriever = Retriever(index, keywords, embedder)
        self.ranker = EvidenceRanker(model) if isinstance(model, AnswerModel) else None
        # ingest works without it; answering raises this (``serve`` and ``mcp`` refuse to start)
        self.model_problem = model if isinstance(model, ConfigError) else None
        self.checker = checker or CitationChecker(settings.support_threshold, embedder)
        self.condenser = condenser or RuleCondenser()
        self.chain = self._compile()

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        chat_model=None,
        client=None,
    ) -> Assistant:
        """Build every component from settings; arguments replace single components."""
        settings = settings or load_settings()
        embedder = embedder or make_embeddings(settings)
        model: AnswerModel | ConfigError
        try:
            model = load_answer_model(settings.answer_model, embedder.name)
        except ConfigError as exc:
            model = exc
        index, keywords = open_stores(settings, embedder, client)
        margin = model.second_margin if isinstance(model, AnswerModel) else 0.0
        return cls(
            settings,
            embedder,
            index,
            keywords,
            model,
            make_answerer(settings, chat_model, margin),
            condenser=make_condenser(settings, chat_model),
        )

    # --- indexing ----------------------------------------------------------------
    def ingest(
        self, path: Path | str, prune: bool = False, progress: ProgressFactory | None = None
    ) -> IngestReport:
        """Index every article under ``path`` (see ``Ingestor.run``)."""
        chunker = Chunker(self.settings.chunk_tokens, self.settings.chunk_overlap)
        ingestor = Ingestor(
            self.index,
            self.keywords,
            self.embedder,
            chunker,
            self.settings.sentence_vectors,
            max_article_chars=self.settings.max_article_chars,
        )
        with ingest_lock(self.settings.index_dir):
            return ingestor.run(Path(path), prune=prune, progress=progress)

    # --- answering ---------------------------------------------------------------
    def ask(
        self,
        question: str | AskRequest,
        history: Sequence[tuple[str, str]] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> Answer:
        """Answer one question; raises the AssistantError that stopped it."""
        for event in self.stream(question, history, filters, top_k):
            if isinstance(event, ErrorEvent):
                raise event.error
            if isinstance(event, FinalAnswer):
                return event.answer
        raise AssertionError("the answer chain ended without an answer")  # a bug, not input

    def stream(
        self,
        question: str | AskRequest,
        history: Sequence[tuple[str, str]] = (),
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> Iterator[AnswerEvent]:
        """Text deltas as they are drafted, then the FinalAnswer (or an ErrorEvent)."""
        request = (
            question
            if isinstance(question, AskRequest)
            else AskRequest(question, tuple(history), filters or Filters(), top_k)
        )
        try:
            yield from self.chain.stream(request)
        except AssistantError as exc:
            yield ErrorEvent(exc)

    def _compile(self):
        """The runnable, built once: prepare | retrieve | rank | answer (streamed)."""
        from langchain_core.runnables import RunnableGenerator, RunnableLambda

        return (
            RunnableLambda(self._prepare, name="prepare")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableLambda(self._rank, name="rank")
            | RunnableGenerator(self._answer, name="answer")
        )

    def _prepare(self, request: AskRequest) -> Turn:
        question = " ".join(str(request.question or "").split())
        limit = self.settings.max_question_chars
        if not question:
            raise QuestionError("expected a question, got an empty text")
        if len(question) > limit:
            raise QuestionError(
                f"expected a question of at most {limit} characters, got {len(question)}"
            )
        top_k = self.settings.top_k if request.top_k is None else request.top_k
        if not 0 <= top_k <= 100:
            raise QuestionError(f"expected top_k between 0 and 100, got {top_k}")
        # a follow-up ("Und was sagte Pjöngjang dazu?") is searched as a standalone query
        query = self.condenser.condense(question, request.history) if request.history else question
        return Turn(replace(request, question=question), detect_language(question), query, top_k)

    def _retrieve(self, turn: Turn) -> Turn:
        retrieval = self.retriever.retrieve(turn.query, turn.language, turn.request.filters)
        return replace(turn, retrieval=retrieval, timings_ms=turn.timed(**retrieval.timings_ms))

    def _rank(self, turn: Turn) -> Turn:
        if self.ranker is None:
            raise self.model_problem or ConfigError("expected an answer model, got none")
        started = time.perf_counter()
        evidence = self.ranker.rank(turn.query, turn.searched, turn.top_k)
        return replace(
            turn,
            evidence=evidence,
            timings_ms=turn.timed(rank=(time.perf_counter() - started) * 1000),
        )

    def _answer(self, turns: Iterator[Turn]) -> Iterator[AnswerEvent]:
        for turn in turns:
            started = time.perf_counter()
            draft = yield from self._draft(turn)
            drafted = turn.timed(answer=(time.perf_counter() - started) * 1000)
            yield FinalAnswer(self._cite(replace(turn, timings_ms=drafted), draft))

    def _draft(self, turn: Turn) -> Generator[TextDelta, None, Draft]:
        """Yield the draft's text as TextDelta events; return the Draft."""
        if not turn.ranked.answerable:
            draft = decline_draft(turn.language)
            yield TextDelta(draft.text)
            return draft
        texts = self.answerer.stream(turn.query, turn.language, turn.ranked)
        while True:
            try:
                text = next(texts)
            except StopIteration as done:
                return done.value
            yield TextDelta(text)

    def _cite(self, turn: Turn, draft: Draft) -> Answer:
        started = time.perf_counter()
        retrieved = turn.ranked.retrieved
        sentences, citations = self.checker.check(draft.claims, retrieved)
        timings = dict(turn.timed(cite=(time.perf_counter() - started) * 1000))
        timings["total"] = sum(timings.values())
        return Answer(
            question=turn.request.question,
            answer=draft.text,
            answerable=draft.answerable,
            language=turn.language,
            sentences=tuple(sentences),
            citations=tuple(citations),
            retrieved=tuple(retrieved),
            provider=self.answerer.name if draft.answerable else "decline",
            query=turn.query,
            confidence=turn.ranked.confidence,
            lead=draft.lead,
            ranked_articles=turn.ranked.ranked_articles,
            timings_ms=timings,
        )
