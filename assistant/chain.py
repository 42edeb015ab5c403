"""The Assistant: the one object every channel calls (CLI, Python, HTTP, UI, evals).

The answer path is a LangChain runnable of named steps::

    prepare (validate, detect language) -> retrieve -> draft (answerer) -> cite (check)

``ask`` invokes it; ``stream`` runs the same steps but yields the draft's text deltas
before the final ``Answer``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Sequence

from .answer import Answerer, Draft, make_answerer
from .answer.base import decline_draft
from .citations import CitationChecker, renumber_markers
from .condense import Condenser, RuleCondenser, make_condenser
from .config import Settings, load_settings
from .errors import QuestionError
from .index import ChromaIndex, make_chroma_client
from .ingest.chunking import Chunker
from .ingest.pipeline import IngestReport, Ingestor, ProgressFactory
from .language import detect_language
from .providers import Embedder, make_embeddings
from .records import Answer
from .retrieve import Filters, Retrieval, Retriever


@dataclass
class Turn:
    """One question of a conversation on its way through the steps."""

    question: str
    history: Sequence[tuple[str, str]] = ()
    filters: Filters | None = None
    top_k: int | None = None
    language: str = "en"
    query: str = ""
    retrieval: Retrieval | None = None
    draft: Draft | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)


class Assistant:
    """Index articles and answer questions about them with checked citations."""

    def __init__(self, settings: Settings, embedder: Embedder, index: ChromaIndex,
                 answerer: Answerer, checker: CitationChecker | None = None,
                 condenser: Condenser | None = None):
        self.settings = settings
        self.embedder = embedder
        self.index = index
        self.answerer = answerer
        self.retriever = Retriever(index, embedder, top_k=settings.top_k)
        self.checker = checker or CitationChecker(settings.support_threshold, embedder)
        self.condenser = condenser or RuleCondenser()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, embedder: Embedder | None = None,
                      chat_model=None, client=None) -> "Assistant":
        """Build every component from settings; arguments replace single components."""
        settings = settings or load_settings()
        embedder = embedder or make_embeddings(settings)
        index = ChromaIndex(client or make_chroma_client(settings), settings.collection,
                            embedder.name, getattr(embedder, "dim", None))
        return cls(settings, embedder, index, make_answerer(settings, chat_model),
                   condenser=make_condenser(settings, chat_model))

    # --- indexing ----------------------------------------------------------------
    def ingest(self, path: Path | str, prune: bool = False,
               progress: ProgressFactory | None = None) -> IngestReport:
        """Index every article under ``path`` (see ``Ingestor.run``)."""
        chunker = Chunker(self.settings.chunk_tokens, self.settings.chunk_overlap)
        ingestor = Ingestor(self.index, self.embedder, chunker, self.settings.sentence_vectors)
        return ingestor.run(Path(path), prune=prune, progress=progress)

    # --- answering ---------------------------------------------------------------
    def runnable(self):
        """The answer chain as a LangChain runnable: dict in, Answer out."""
        from langchain_core.runnables import RunnableLambda

        return (RunnableLambda(self._prepare, name="prepare")
                | RunnableLambda(self._retrieve, name="retrieve")
                | RunnableLambda(self._draft, name="draft")
                | RunnableLambda(self._cite, name="cite"))

    def ask(self, question: str, history: Sequence[tuple[str, str]] = (),
            filters: Filters | None = None, top_k: int | None = None) -> Answer:
        """Answer one question (with optional conversation history and filters)."""
        return self.runnable().invoke({"question": question, "history": history,
                                       "filters": filters, "top_k": top_k})

    def stream(self, question: str, history: Sequence[tuple[str, str]] = (),
               filters: Filters | None = None, top_k: int | None = None
               ) -> Iterator[str | Answer]:
        """Yield answer text deltas as they are drafted, then the checked Answer."""
        turn = self._retrieve(self._prepare({"question": question, "history": history,
                                             "filters": filters, "top_k": top_k}))
        started = time.perf_counter()
        for item in self._draft_stream(turn):
            if isinstance(item, Draft):
                turn.draft = item
            else:
                yield item
        turn.timings_ms["answer"] = (time.perf_counter() - started) * 1000
        yield self._cite(turn)

    def _prepare(self, request: dict) -> Turn:
        question = " ".join(str(request.get("question") or "").split())
        if not question:
            raise QuestionError("expected a question, got an empty text")
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(f"expected a question of at most "
                                f"{self.settings.max_question_chars} characters, got "
                                f"{len(question)}")
        language = detect_language(question)
        history = tuple(request.get("history") or ())
        # a follow-up ("Und was sagte Pjöngjang dazu?") is searched as a standalone query
        query = self.condenser.condense(question, history) if history else question
        return Turn(question, history, request.get("filters"), request.get("top_k"),
                    language, query=query)

    def _retrieve(self, turn: Turn) -> Turn:
        turn.retrieval = self.retriever.retrieve(turn.query, turn.filters, turn.top_k)
        turn.timings_ms.update(turn.retrieval.timings_ms)
        return turn

    def _answerable(self, turn: Turn) -> bool:
        retrieval = turn.retrieval
        if not (retrieval and retrieval.retrieved):
            return False
        signal, threshold = self.settings.decline_rule(turn.language)
        best = retrieval.best_chunk if signal == "chunk" else retrieval.best_sentence
        return best >= threshold

    def _draft_stream(self, turn: Turn) -> Iterator[str | Draft]:
        if not self._answerable(turn):
            draft = decline_draft(turn.language)
            yield draft.text
            yield draft
            return
        yield from self.answerer.stream(turn.query, turn.language, turn.retrieval.retrieved)

    def _draft(self, turn: Turn) -> Turn:
        started = time.perf_counter()
        for item in self._draft_stream(turn):
            if isinstance(item, Draft):
                turn.draft = item
        turn.timings_ms["answer"] = (time.perf_counter() - started) * 1000
        return turn

    def _cite(self, turn: Turn) -> Answer:
        started = time.perf_counter()
        retrieved = turn.retrieval.retrieved if turn.retrieval else []
        draft = turn.draft
        sentences, citations = self.checker.check(draft.claims, retrieved)
        text = renumber_markers(draft.text, sentences, draft.claims)
        turn.timings_ms["cite"] = (time.perf_counter() - started) * 1000
        turn.timings_ms["total"] = sum(turn.timings_ms.values())
        return Answer(question=turn.question, answer=text, answerable=draft.answerable,
                      language=turn.language, sentences=tuple(sentences),
                      citations=tuple(citations), retrieved=tuple(retrieved),
                      provider=self.answerer.name if draft.answerable else "decline",
                      query=turn.query, timings_ms=dict(turn.timings_ms))
