"""Traces of answered questions: one ``turn`` span per question, one child span per stage.

``make_tracer(settings)`` builds one tracer per Assistant (never at import):
``trace_exporter = "none"`` (default) is a ``Tracer`` that starts nothing: no tracer
provider, no exporter, no network, and the Answer's ``trace_id`` is "". "console"
writes each span as JSON to stderr as it ends (stdout stays the CLI's ``--json`` answer),
"otlp" sends batches over OTLP/HTTP to ``otlp_endpoint`` from a background thread, so an
answer never waits for the collector. Service name: "news-assistant". The turn span is a
child of the caller's current span when there is one (an instrumented web framework), else a
root. The exporter itself reads OpenTelemetry's ``OTEL_EXPORTER_OTLP_*`` variables (headers,
timeout, certificates); the endpoint comes from the settings only, and the service name
is always news-assistant.

Measured (``python bench/tracing_overhead.py``: 200 questions to the fake assistant, 2
cores): with "none" the hooks cost ~1 µs per answer (attributes are not even built), against
a median ``ask`` of ~6 ms; recording adds ~0.35 ms (in-memory exporter) to ~1.0 ms (console
JSON to /dev/null) per answer, the SDK's cost for six spans. Figures in
docs/architecture.md, "Traces".

What a span may carry: counts, lengths, flags, languages, provider names, scores and
timings; never question, query, answer or article text, and never a key. A failed span
carries its error's class (``error.type``) and an ERROR status named after it, not the
message: a provider's message may quote a masked key (OpenAI's 401 does). A span closed
because the reader stopped reading (GeneratorExit) is marked ``cancelled``, not failed.

Spans are parented explicitly (``TurnTrace.stage``, ``Stage.child``), not through the
current OpenTelemetry context: the answer stage is a generator that yields deltas, and a
context attached before a ``yield`` would be detached by whatever resumes it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import astuple
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from .config import Settings
from .errors import ConfigError
from .records import Answer, AskRequest, DateWindow, Draft, Evidence, Filters, Retrieval

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter, SpanProcessor
    from opentelemetry.trace import Span
    from opentelemetry.trace import Tracer as OtelTracer

SERVICE_NAME = "news-assistant"
OTLP_TRACES_PATH = "/v1/traces"  # added to an endpoint without a path, as OTel's own env does

AttributeValue = str | bool | int | float
Attributes = Mapping[str, AttributeValue]
Describe = Callable[..., Attributes]  # one of the ``*_attributes`` functions below


class Stage:
    """A stage's span. This base records nothing (tracing off) and costs a method call."""

    def __enter__(self) -> Stage:
        return self

    def __exit__(self, kind, error, traceback) -> None:
        return None

    def describe(self, attributes: Describe, *args) -> None:
        """Add ``attributes(*args)``: sizes, flags, timings, never text (not even built
        when tracing is off)."""

    def child(self, name: str) -> Stage:
        """A span nested in this one (e.g. ``condense`` in ``prepare``)."""
        return self


class TurnTrace:
    """One question's trace. This base records nothing and has no id (tracing off)."""

    trace_id = ""  # 32 hex digits when recording

    def stage(self, name: str) -> Stage:
        """A child span of the turn, started now; use it as a context manager."""
        return NO_STAGE

    def answered(self, answer: Answer) -> None:
        """Describe the answer on the turn span and end it."""

    def failed(self, error: BaseException) -> None:
        """Mark the turn span with the error's class and end it."""

    def end(self) -> None:
        """End the turn span (again: nothing)."""


NO_STAGE = Stage()
NO_TRACE = TurnTrace()


class Tracer:
    """Starts a TurnTrace per question. This base is tracing off: no spans, no exporter."""

    def start(self, request: AskRequest) -> TurnTrace:
        """The question's trace, its turn span started now."""
        return NO_TRACE

    def flush(self) -> None:
        """Export what is buffered (the batch processor of "otlp")."""

    def shutdown(self) -> None:
        """Flush and stop the exporter."""


def _mark(span: Span, error: BaseException) -> None:
    """A stopped reader is not a failure; anything else is, by class name only."""
    from opentelemetry.trace import Status, StatusCode

    if isinstance(error, GeneratorExit):
        span.set_attribute("cancelled", True)
        return
    span.set_attribute("error.type", type(error).__name__)
    span.set_status(Status(StatusCode.ERROR, type(error).__name__))


def _start(tracer: OtelTracer, name: str, parent: Span) -> Span:
    from opentelemetry.trace import set_span_in_context

    return tracer.start_span(name, context=set_span_in_context(parent))


class _SpanStage(Stage):
    def __init__(self, tracer: OtelTracer, span: Span):
        self.tracer = tracer
        self.span = span

    def __exit__(self, kind, error, traceback) -> None:
        if error is not None:
            _mark(self.span, error)
        self.span.end()

    def describe(self, attributes: Describe, *args) -> None:
        self.span.set_attributes(attributes(*args))

    def child(self, name: str) -> Stage:
        return _SpanStage(self.tracer, _start(self.tracer, name, self.span))


class _SpanTrace(TurnTrace):
    def __init__(self, tracer: OtelTracer, root: Span):
        self.tracer = tracer
        self.root = root
        self.trace_id = format(root.get_span_context().trace_id, "032x")
        self.ended = False

    def stage(self, name: str) -> Stage:
        return _SpanStage(self.tracer, _start(self.tracer, name, self.root))

    def answered(self, answer: Answer) -> None:
        self.root.set_attributes(answer_attributes(answer))
        self.end()

    def failed(self, error: BaseException) -> None:
        if not self.ended:
            _mark(self.root, error)
        self.end()

    def end(self) -> None:
        if not self.ended:  # ending a span twice makes the SDK log a warning
            self.ended = True
            self.root.end()


class _RecordingTracer(Tracer):
    def __init__(self, provider: TracerProvider):
        self.provider = provider
        self.tracer = provider.get_tracer("assistant.chain")

    def start(self, request: AskRequest) -> TurnTrace:
        root = self.tracer.start_span("turn", attributes=request_attributes(request))
        return _SpanTrace(self.tracer, root)

    def flush(self) -> None:
        self.provider.force_flush()

    def shutdown(self) -> None:
        self.provider.shutdown()


def make_tracer(settings: Settings, exporter: SpanExporter | None = None) -> Tracer:
    """The tracer ``settings.trace_exporter`` asks for. ``exporter`` (tests, benchmarks)
    replaces the configured one and receives each span as it ends."""
    if exporter is None and settings.trace_exporter == "none":
        return Tracer()
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    processor = _make_processor(settings, exporter)  # a bad endpoint fails before a provider
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    provider.add_span_processor(processor)
    return _RecordingTracer(provider)


def _make_processor(settings: Settings, exporter: SpanExporter | None) -> SpanProcessor:
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    if exporter is not None:
        return SimpleSpanProcessor(exporter)
    if settings.trace_exporter == "console":
        return SimpleSpanProcessor(ConsoleSpanExporter(out=sys.stderr))
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_traces_url(settings.otlp_endpoint)))


def otlp_traces_url(endpoint: str | None) -> str:
    """The collector's traces URL: ``endpoint`` as given, or with /v1/traces when it has
    no path (``http://127.0.0.1:4318`` → ``http://127.0.0.1:4318/v1/traces``)."""
    if not endpoint:
        raise ConfigError(
            "expected otlp_endpoint (ASSISTANT_OTLP_ENDPOINT, e.g. http://127.0.0.1:4318) "
            "with trace_exporter 'otlp', got none"
        )
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"expected otlp_endpoint to be an http(s) URL with a host, got {endpoint!r}"
        )
    return endpoint if parts.path.strip("/") else endpoint.rstrip("/") + OTLP_TRACES_PATH


# --- what each span says: sizes, flags and timings, never text ------------------------
def request_attributes(request: AskRequest) -> dict[str, AttributeValue]:
    return {
        "question.chars": len(str(request.question or "")),
        "history.turns": len(request.history),
        "filters": _filters_set(request.filters),
    }


def _filters_set(filters: Filters) -> int:
    return sum(value is not None for value in astuple(filters))


class Prepared(Protocol):
    """What ``prepare_attributes`` reads of a prepared ``chain.Turn``."""

    @property
    def request(self) -> AskRequest: ...
    @property
    def query(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def top_k(self) -> int: ...
    @property
    def window(self) -> DateWindow | None: ...
    @property
    def timeline(self) -> bool: ...


def prepare_attributes(turn: Prepared) -> dict[str, AttributeValue]:
    question = turn.request.question  # normalised by the prepare stage
    return {
        "question.chars": len(question),
        "query.chars": len(turn.query),
        "condensed": turn.query != question,
        "language": turn.language,
        "top_k": turn.top_k,
        "date_window": turn.window is not None,
        "timeline": turn.timeline,
    }


def retrieval_attributes(
    retrieval: Retrieval, window: DateWindow | None
) -> dict[str, AttributeValue]:
    candidates = retrieval.candidates
    values: dict[str, AttributeValue] = {
        "candidates": len(candidates),
        "candidate_sentences": sum(len(c.sentence_similarities) for c in candidates),
        "keyword_hits": sum(c.keyword_rank > 0 for c in candidates),
        "focus_words": len(retrieval.focus),
        "date_window": window is not None,
        "undated_left_out": window.undated if window is not None else 0,
    }
    values.update({f"{name}_ms": ms for name, ms in retrieval.timings_ms.items()})
    return values


def evidence_attributes(evidence: Evidence) -> dict[str, AttributeValue]:
    return {
        "chunks": len(evidence.retrieved),
        "sentences": len(evidence.sentences),
        "answerable": evidence.answerable,
        "confidence": evidence.confidence,
    }


def draft_attributes(draft: Draft, provider: str, timeline: bool) -> dict[str, AttributeValue]:
    return {
        "provider": provider,
        "answerable": draft.answerable,
        "claims": len(draft.claims),
        "answer.chars": len(draft.text),
        "lead": bool(draft.lead),
        "timeline": timeline,
    }


def citation_attributes(answer: Answer) -> dict[str, AttributeValue]:
    return {
        "sentences": len(answer.sentences),
        "unsupported": sum(not s.supported for s in answer.sentences),
        "citations": len(answer.citations),
        "also_reported_by": sum(len(c.also_reported_by) for c in answer.citations),
    }


def answer_attributes(answer: Answer) -> dict[str, AttributeValue]:
    """The turn span's summary of the answer."""
    return {
        "language": answer.language,
        "provider": answer.provider,
        "answerable": answer.answerable,
        "confidence": answer.confidence,
        "answer.chars": len(answer.answer),
        "citations": len(answer.citations),
        "timeline": answer.timeline,
        "date_window": answer.date_window is not None,
    }
