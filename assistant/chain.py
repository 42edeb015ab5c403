"""The Assistant: the one object every channel calls (CLI, Python, HTTP, OpenAI, MCP, UI, evals).

The answer path is one LangChain runnable, compiled once per Assistant::

    prepare (validate, condense, language) -> retrieve -> rank (answer model)
        -> answer (draft, streamed as TextDelta events; cite; FinalAnswer)

``stream`` yields its events; ``ask`` runs the same runnable and returns the final
Answer. An ``AssistantError`` anywhere becomes the stream's last event (``ErrorEvent``),
and ``ask`` raises it. Every stage gets and returns an immutable ``Turn``, which carries the
question's trace: a ``turn`` span with one child span per stage (tracing.py; off by default).
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from .answer import Answerer, make_answerer
from .answer.base import decline_draft
from .answer.timeline import TIMELINE_CONFIDENCE, TimelineAnswerer
from .citations import CitationChecker
from .condense import Condenser, RuleCondenser, make_condenser
from .config import Settings, load_settings
from .dates import empty_text, is_latest, note_text, prefer_latest, windowed
from .errors import AssistantError, ConfigError
from .evidence.decide import CLOSEST_FLOOR, Decider, NearnessDecider, make_decider
from .evidence.model import AnswerModel, load_answer_model
from .evidence.rank import EvidenceRanker
from .index import ChromaIndex
from .ingest.chunking import Chunker
from .ingest.copystore import CopyStore
from .ingest.lock import ingest_lock
from .ingest.pipeline import Ingestor, IngestReport, ProgressFactory
from .keywords import KeywordIndex
from .providers import Embedder, make_embeddings
from .records import (
    ANSWER,
    CLOSEST,
    NONE,
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
from .stores import open_stores
from .tracing import (
    NO_TRACE,
    Stage,
    Tracer,
    TurnTrace,
    citation_attributes,
    draft_attributes,
    evidence_attributes,
    make_tracer,
    prepare_attributes,
    retrieval_attributes,
)
from .turn import Turn, prepared, question_of


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
        tracer: Tracer | None = None,
        decider: Decider | NearnessDecider | None = None,
    ):
        self.settings = settings
        self.embedder = embedder
        self.index = index
        self.keywords = keywords
        self.copies = CopyStore.beside(keywords.path)  # wire copies: "also reported by"
        self.answerer = answerer
        self.timeline = TimelineAnswerer()  # always verbatim, whatever answerer is configured
        self.retriever = Retriever(index, keywords, embedder)
        self.ranker = EvidenceRanker(model) if isinstance(model, AnswerModel) else None
        self.decider = decider  # the verify decision (evidence/decide.py), or None
        # ingest works without it; answering raises this (``serve`` and ``mcp`` refuse to start)
        self.model_problem = model if isinstance(model, ConfigError) else None
        self.checker = checker or CitationChecker(settings.support_threshold, embedder)
        self.condenser = condenser or RuleCondenser()
        self.tracer = tracer if tracer is not None else make_tracer(settings)
        self.chain = self._compile()
        self.ranking = self._compile_ranking()

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        chat_model=None,
        client=None,
        tracer: Tracer | None = None,
    ) -> Assistant:
        """Build every component from settings; arguments replace single components."""
        settings = settings or load_settings()
        tracer = tracer if tracer is not None else make_tracer(settings)  # a bad setting: first
        embedder = embedder or make_embeddings(settings)
        model: AnswerModel | ConfigError
        try:
            model = load_answer_model(settings.answer_model, embedder.name)
        except ConfigError as exc:
            model = exc
        index, keywords = open_stores(settings, embedder, client)
        margin = model.second_margin if isinstance(model, AnswerModel) else 0.0
        decider: Decider | NearnessDecider | None = NearnessDecider(
            CLOSEST_FLOOR, embedder, quoted=settings.max_answer_sentences, margin=margin
        )
        if isinstance(model, AnswerModel) and model.verify is not None:
            try:
                decider = make_decider(model.verify, settings.verifier, embedder)
            except ConfigError as exc:  # answering raises it; serve and mcp refuse to start
                model = exc
        return cls(
            settings,
            embedder,
            index,
            keywords,
            model,
            make_answerer(settings, chat_model, margin),
            condenser=make_condenser(settings, chat_model),
            tracer=tracer,
            decider=decider,
        )

    def close(self) -> None:
        """Release what the Assistant started: the retriever's worker threads. The server,
        MCP and the CLI call it on the way out; ``with Assistant.from_settings() as a:``."""
        self.retriever.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

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
            copies=self.copies,
            chunk_vectors=self.settings.chunk_vectors,
        )
        with ingest_lock(self.settings.index_dir) as after_crash:
            return ingestor.run(Path(path), prune, progress, after_crash)

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
            else AskRequest(
                question=question, history=tuple(history), filters=filters or Filters(), top_k=top_k
            )
        )
        trace = self.tracer.start(request)
        events = self.chain.stream((request, trace))
        try:
            for event in events:
                if isinstance(event, FinalAnswer):  # every span ends before the reader has it
                    trace.answered(event.answer)
                yield event
        except AssistantError as exc:
            trace.failed(exc)
            yield ErrorEvent(exc)
        except BaseException as exc:  # a bug, or the reader stopped reading (GeneratorExit)
            events.close()  # ends the open stage span before the turn span
            trace.failed(exc)
            raise

    def search(self, request: AskRequest) -> tuple[str, Evidence]:
        """The query and its ranked evidence, without drafting an answer (MCP ``search``):
        the same prepare, retrieve and rank stages as ``ask``; raises an AssistantError."""
        turn = self.ranking.invoke((request, NO_TRACE))
        return turn.query, turn.ranked

    def _compile_ranking(self):
        """prepare | retrieve | rank: the answer path up to the evidence, built once."""
        from langchain_core.runnables import RunnableLambda

        return (
            RunnableLambda(self._prepare, name="prepare")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableLambda(self._rank, name="rank")
        )

    def _compile(self):
        """The runnable, built once: prepare | retrieve | rank | answer (streamed)."""
        from langchain_core.runnables import RunnableGenerator, RunnableLambda

        return (
            RunnableLambda(self._prepare, name="prepare")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableLambda(self._rank, name="rank")
            | RunnableGenerator(self._answer, name="answer")
        )

    def _prepare(self, asked: tuple[AskRequest, TurnTrace]) -> Turn:
        request, trace = asked
        started = time.perf_counter()
        with trace.stage("prepare") as span:
            turn = self._prepared(request, span)
            span.describe(prepare_attributes, turn)
        prepared = turn.timed(prepare=(time.perf_counter() - started) * 1000)
        return replace(turn, trace=trace, started=started, timings_ms=prepared)

    def _prepared(self, request: AskRequest, span: Stage) -> Turn:
        return prepared(request, self.settings, self.condenser, span)

    def _retrieve(self, turn: Turn) -> Turn:
        with turn.trace.stage("retrieve") as span:
            turn = self._search(turn)
            span.describe(retrieval_attributes, turn.searched, turn.window)
            return turn

    def _search(self, turn: Turn) -> Turn:
        filters: Filters | None = turn.request.filters
        if turn.window is not None:  # the question's dates narrow the explicit filters
            filters = windowed(turn.request.filters, turn.window)
            undated = self.keywords.count_undated(turn.request.filters)
            turn = replace(turn, window=replace(turn.window, undated=undated))
        if filters is None:  # the window and the filters leave no day
            return replace(turn, retrieval=Retrieval(turn.query, turn.language, ()))
        retrieval = self.retriever.retrieve(turn.query, turn.language, filters)
        if is_latest(turn.query) and not turn.timeline:
            retrieval = prefer_latest(retrieval)
        return replace(turn, retrieval=retrieval, timings_ms=turn.timed(**retrieval.timings_ms))

    def _rank(self, turn: Turn) -> Turn:
        with turn.trace.stage("rank") as span:
            if self.ranker is None:
                raise self.model_problem or ConfigError("expected an answer model, got none")
            started = time.perf_counter()
            evidence = self.ranker.rank(turn.query, turn.searched, turn.top_k)
            ranked = time.perf_counter()
            if self.decider is not None and not turn.timeline:
                evidence = self.decider.decide(question_of(turn.query, turn.searched), evidence)
            span.describe(evidence_attributes, evidence)
        done = time.perf_counter()
        return replace(
            turn,
            evidence=evidence,
            timings_ms=turn.timed(rank=(ranked - started) * 1000, verify=(done - ranked) * 1000),
        )

    def _answer(self, turns: Iterator[Turn]) -> Iterator[AnswerEvent]:
        for turn in turns:
            with turn.trace.stage("answer") as span:
                started = time.perf_counter()
                draft = yield from self._draft(turn)
                draft = yield from self._noted(turn, draft)
                drafted = turn.timed(answer=(time.perf_counter() - started) * 1000)
                span.describe(draft_attributes, draft, self._provider(turn, draft), turn.timeline)
            yield FinalAnswer(self._cite(replace(turn, timings_ms=drafted), draft))

    def _draft(self, turn: Turn) -> Generator[TextDelta, None, Draft]:
        """Yield the draft's text as TextDelta events; return the Draft: an answer, the
        closest evidence (the articles don't say what was asked), or a decline."""
        kind = self._kind(turn)
        if kind == NONE:
            draft = decline_draft(turn.language)
            if turn.window is not None:  # say which days had nothing, not "the articles don't say"
                draft = replace(draft, text=empty_text(turn.window, turn.language))
            yield TextDelta(draft.text)
            return draft
        if kind == CLOSEST:  # never a timeline (``_kind``)
            texts = self.answerer.closest(turn.query, turn.language, turn.ranked)
        else:
            answerer = self.timeline if turn.timeline else self.answerer
            texts = answerer.stream(turn.query, turn.language, turn.ranked)
        while True:
            try:
                text = next(texts)
            except StopIteration as done:
                return done.value
            yield TextDelta(text)

    def _kind(self, turn: Turn) -> str:
        """The evidence's kind (answer, closest, none); a timeline needs less
        (``TIMELINE_CONFIDENCE``) and is never a closest response."""
        if turn.timeline:
            enough = bool(turn.ranked.sentences) and turn.ranked.confidence >= TIMELINE_CONFIDENCE
            return ANSWER if enough else NONE
        return turn.ranked.kind

    def _noted(self, turn: Turn, draft: Draft) -> Generator[TextDelta, None, Draft]:
        """The draft with the date window (and the undated articles left out) under it."""
        text = note_text(turn.window, turn.language, draft.kind != NONE) if turn.window else ""
        if not text:
            return draft
        note = "\n\n" + text
        yield TextDelta(note)
        return replace(draft, text=draft.text + note)

    def _cite(self, turn: Turn, draft: Draft) -> Answer:
        with turn.trace.stage("cite") as span:
            answer = self._cited(turn, draft)
            span.describe(citation_attributes, answer)
        return answer

    def _cited(self, turn: Turn, draft: Draft) -> Answer:
        started = time.perf_counter()
        retrieved = turn.ranked.retrieved
        sentences, citations = self.checker.check(draft.claims, retrieved)
        citations = [
            replace(c, also_reported_by=self.copies.reported_by(c.article_id)) for c in citations
        ]
        timings = dict(turn.timed(cite=(time.perf_counter() - started) * 1000))
        timings["total"] = (time.perf_counter() - turn.started) * 1000  # prepare to cite
        return Answer(
            question=turn.request.question,
            answer=draft.text,
            answerable=draft.answerable,
            language=turn.language,
            sentences=tuple(sentences),
            citations=tuple(citations),
            retrieved=tuple(retrieved),
            provider=self._provider(turn, draft),
            query=turn.query,
            confidence=turn.ranked.confidence,
            lead=draft.lead,
            ranked_articles=turn.ranked.ranked_articles,
            pool_articles=turn.ranked.pool_articles,
            timings_ms=timings,
            date_window=turn.window,
            timeline=turn.timeline,
            trace_id=turn.trace.trace_id,
            answer_kind=draft.kind,
            missing=draft.missing,
        )

    def _provider(self, turn: Turn, draft: Draft) -> str:
        if draft.kind == NONE:
            return "decline"
        return self.timeline.name if turn.timeline else self.answerer.name
