"""Traces of answered questions (assistant/tracing.py): spans, attributes, exporters."""

from __future__ import annotations

import gzip
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ARTICLES
from opentelemetry.sdk.trace import Tracer as SdkTracer
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from assistant import Assistant, load_settings
from assistant.errors import ConfigError
from assistant.providers import HashingEmbedder
from assistant.records import AskRequest, ErrorEvent, FinalAnswer, TextDelta
from assistant.tracing import Tracer, make_tracer, otlp_traces_url

QUESTION = "Wie viele Soldaten hat Nordkorea nach Russland geschickt?"
STAGES = ["prepare", "retrieve", "rank", "answer", "cite"]
SIZES = {  # the size attributes each span must carry
    "turn": {"question.chars", "history.turns", "language", "answerable", "citations"},
    "prepare": {"question.chars", "query.chars", "language", "top_k", "date_window"},
    "retrieve": {"candidates", "candidate_sentences", "keyword_hits", "date_window"},
    "rank": {"chunks", "sentences", "answerable", "confidence"},
    "answer": {"provider", "answerable", "claims", "answer.chars", "timeline"},
    "cite": {"sentences", "unsupported", "citations"},
}
TEXT_KEYS = {"language", "provider", "error.type"}  # the only attributes that hold strings


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def traced(fake_settings, corpus_dir, exporter) -> Assistant:
    tracer = make_tracer(fake_settings, exporter)
    bot = Assistant.from_settings(fake_settings, embedder=HashingEmbedder(), tracer=tracer)
    bot.ingest(corpus_dir)
    return bot


def by_name(exporter: InMemorySpanExporter) -> dict:
    spans = exporter.get_finished_spans()
    assert len({s.name for s in spans}) == len(spans), [s.name for s in spans]
    return {s.name: s for s in spans}


def test_one_ask_is_one_trace_of_stage_spans_in_order_under_one_root(traced, exporter):
    answer = traced.ask(QUESTION)
    spans = by_name(exporter)
    root = spans["turn"]
    assert set(spans) == {"turn", *STAGES} and root.parent is None
    assert {s.context.trace_id for s in spans.values()} == {root.context.trace_id}
    stages = sorted((s for s in spans.values() if s is not root), key=lambda s: s.start_time)
    assert [s.name for s in stages] == STAGES
    for stage, after in zip(stages, stages[1:]):
        assert stage.parent.span_id == root.context.span_id
        assert stage.start_time < stage.end_time <= after.start_time  # a duration, in order
    assert root.start_time <= stages[0].start_time and stages[-1].end_time <= root.end_time
    for name, keys in SIZES.items():
        assert keys <= set(spans[name].attributes), name
    assert spans["retrieve"].attributes["candidates"] == 2
    assert spans["cite"].attributes["citations"] == len(answer.citations) == 1
    assert spans["turn"].attributes["question.chars"] == len(QUESTION)
    assert answer.trace_id == format(root.context.trace_id, "032x")
    assert len(answer.trace_id) == 32 and answer.to_dict()["trace_id"] == answer.trace_id
    assert root.resource.attributes["service.name"] == "news-assistant"


def test_no_attribute_holds_question_article_or_answer_text(traced, exporter):
    answer = traced.ask(AskRequest(question=QUESTION, history=(("Was ist los?", "Nichts."),)))
    texts = [QUESTION, answer.query, answer.answer, *ARTICLES.values()]
    texts += [r.chunk.text for r in answer.retrieved] + [s.text for s in answer.sentences]
    spans = exporter.get_finished_spans()
    assert len(spans) == 7  # the follow-up is condensed inside prepare
    for span in spans:
        assert not span.events  # no exception events (their message may quote a provider)
        for key, value in span.attributes.items():
            assert isinstance(value, str) == (key in TEXT_KEYS), (span.name, key, value)
            if isinstance(value, str):
                assert value in {"de", "en", "extractive", "decline"}, (key, value)
            assert not any(str(value) in text for text in texts if len(str(value)) > 3)


def test_a_follow_up_is_condensed_in_a_span_inside_prepare(traced, exporter):
    traced.ask(
        AskRequest(question="Und was sagte Pjöngjang?", history=((QUESTION, "fast 12.000"),))
    )
    spans = by_name(exporter)
    assert spans["condense"].parent.span_id == spans["prepare"].context.span_id
    assert spans["prepare"].attributes["condensed"] is True


def test_a_streamed_answer_makes_the_same_spans_as_ask(traced, exporter):
    asked = traced.ask(QUESTION)
    shape = [(s.name, sorted(s.attributes)) for s in exporter.get_finished_spans()]
    exporter.clear()
    events = list(traced.stream(QUESTION))
    assert isinstance(events[0], TextDelta) and isinstance(events[-1], FinalAnswer)
    assert [(s.name, sorted(s.attributes)) for s in exporter.get_finished_spans()] == shape
    root = by_name(exporter)["turn"]
    assert events[-1].answer.trace_id == format(root.context.trace_id, "032x") != asked.trace_id


def test_an_error_event_marks_its_stage_and_the_turn(traced, exporter):
    [event] = list(traced.stream("   "))
    assert isinstance(event, ErrorEvent)
    spans = by_name(exporter)
    assert set(spans) == {"turn", "prepare"}
    for span in spans.values():
        assert span.status.status_code is StatusCode.ERROR
        assert span.attributes["error.type"] == "QuestionError"
        assert span.status.description == "QuestionError" and not span.events


def test_an_error_in_a_later_stage_ends_the_stages_before_it(fake_settings, tmp_path, exporter):
    settings = fake_settings.model_copy(update={"answer_model": tmp_path / "missing.json"})
    bot = Assistant.from_settings(
        settings, embedder=HashingEmbedder(), tracer=make_tracer(settings, exporter)
    )
    with pytest.raises(ConfigError):
        bot.ask(QUESTION)
    spans = by_name(exporter)
    assert set(spans) == {"turn", "prepare", "retrieve", "rank"}
    assert spans["retrieve"].status.status_code is StatusCode.UNSET
    assert spans["rank"].attributes["error.type"] == "ConfigError"
    assert spans["turn"].status.status_code is StatusCode.ERROR


def test_a_reader_who_stops_reading_cancels_the_spans_without_an_error(traced, exporter):
    events = traced.stream(QUESTION)
    assert isinstance(next(events), TextDelta)
    events.close()
    spans = by_name(exporter)
    assert set(spans) == {"turn", "prepare", "retrieve", "rank", "answer"}
    for name in ("answer", "turn"):
        assert spans[name].attributes["cancelled"] is True
        assert spans[name].status.status_code is StatusCode.UNSET
    assert spans["answer"].end_time <= spans["turn"].end_time


def test_none_produces_no_span_and_no_trace_id(fake_settings, corpus_dir, monkeypatch):
    started: list[str] = []
    real = SdkTracer.start_span

    def spy(self, name, *args, **kwargs):
        started.append(name)
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(SdkTracer, "start_span", spy)  # any SDK tracer, any provider
    bot = Assistant.from_settings(fake_settings, embedder=HashingEmbedder())
    bot.ingest(corpus_dir)
    answer = bot.ask(QUESTION)
    assert fake_settings.trace_exporter == "none" and type(bot.tracer) is Tracer
    assert answer.trace_id == "" and answer.to_dict()["trace_id"] is None
    assert [type(e) for e in bot.stream("  ")] == [ErrorEvent]
    assert started == []


def test_otlp_without_an_endpoint_is_a_config_error(fake_settings, monkeypatch):
    monkeypatch.setenv("ASSISTANT_TRACE_EXPORTER", "otlp")
    settings = load_settings(embeddings="fake", index_dir=fake_settings.index_dir)
    with pytest.raises(ConfigError, match=r"expected otlp_endpoint .* got none"):
        Assistant.from_settings(settings, embedder=HashingEmbedder())
    with pytest.raises(ConfigError, match="expected otlp_endpoint to be an http"):
        make_tracer(settings.model_copy(update={"otlp_endpoint": "grpc://127.0.0.1:4317"}))
    assert otlp_traces_url("http://h:4318") == "http://h:4318/v1/traces"
    assert otlp_traces_url("http://h:4318/") == "http://h:4318/v1/traces"
    assert otlp_traces_url("https://h/otlp/v1/traces") == "https://h/otlp/v1/traces"


def test_console_writes_json_spans_to_stderr_not_stdout(fake_settings, corpus_dir, capsys):
    settings = fake_settings.model_copy(update={"trace_exporter": "console"})
    bot = Assistant.from_settings(settings, embedder=HashingEmbedder())
    bot.ingest(corpus_dir)
    answer = bot.ask(QUESTION)
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count('"trace_id": "0x' + answer.trace_id + '"') == 6
    assert '"name": "turn"' in err and QUESTION not in err


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def collector(monkeypatch) -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    for key in list(os.environ):  # no proxy and no OTEL_* setting between us and it
        if key.lower().endswith("_proxy") or key.startswith("OTEL_"):
            monkeypatch.delenv(key)
    handler = type("Collector", (_Collector,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.received
    finally:
        server.shutdown()
        server.server_close()


def test_otlp_sends_the_spans_to_a_loopback_collector(fake_settings, corpus_dir, collector):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    endpoint, received = collector
    settings = fake_settings.model_copy(
        update={"trace_exporter": "otlp", "otlp_endpoint": endpoint}
    )
    bot = Assistant.from_settings(settings, embedder=HashingEmbedder())
    bot.ingest(corpus_dir)
    answer = bot.ask(QUESTION)
    bot.tracer.shutdown()  # flushes the batch
    assert received and {path for path, _ in received} == {"/v1/traces"}
    names, trace_ids, services = [], set(), set()
    for _, body in received:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            services |= {
                a.value.string_value
                for a in resource_spans.resource.attributes
                if a.key == "service.name"
            }
            for scope in resource_spans.scope_spans:
                names += [s.name for s in scope.spans]
                trace_ids |= {s.trace_id.hex() for s in scope.spans}
    assert sorted(names) == sorted(["turn", *STAGES])
    assert trace_ids == {answer.trace_id} and services == {"news-assistant"}
