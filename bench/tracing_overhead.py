"""What a trace costs per answer: ``ask`` with tracing off, to a console, to memory.

    python bench/tracing_overhead.py [--questions 200] [--warmup 20]

Three fake assistants (hashing embedder, the tests' hand-set answer model, the corpus/
folder in one temp index) answer the seed set's questions, cycled to ``--questions``;
each question is asked of the three in rotating order, so drift hits all alike. Reports
the median and p90 of ``ask`` per variant, the median paired difference to "none", and
the cost of the hooks alone with tracing off (the no-op calls of one turn, timed in a
loop). Appends to bench/results/results.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from conftest import write_fake_model  # noqa: E402
from opentelemetry.sdk.trace.export import ConsoleSpanExporter  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: E402
    InMemorySpanExporter,
)

from assistant import Assistant, load_settings  # noqa: E402
from assistant.providers import HashingEmbedder  # noqa: E402
from assistant.records import AskRequest  # noqa: E402
from assistant.tracing import Tracer, citation_attributes, make_tracer  # noqa: E402


def questions(count: int) -> list[str]:
    lines = (ROOT / "evals" / "seed" / "items.jsonl").read_text(encoding="utf-8").splitlines()
    asked = [json.loads(line)["question"] for line in lines if line.strip()]
    return [asked[i % len(asked)] for i in range(count)]


def assistants(folder: Path) -> dict[str, Assistant]:
    settings = load_settings(
        index_dir=folder / "index",
        embeddings="fake",
        answer_model=write_fake_model(folder / "answer-model.json"),
    )
    null = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (lives as long as the run)
    memory = InMemorySpanExporter()
    tracers = {
        "none": make_tracer(settings),
        "console-devnull": make_tracer(settings, ConsoleSpanExporter(out=null)),
        "in-memory": make_tracer(settings, memory),
    }
    built = {
        name: Assistant.from_settings(settings, embedder=HashingEmbedder(), tracer=tracer)
        for name, tracer in tracers.items()
    }
    built["none"].ingest(ROOT / "corpus")
    return built


def timed_ask(assistant: Assistant, question: str) -> float:
    started = time.perf_counter()
    assistant.ask(question)
    return (time.perf_counter() - started) * 1000


def hooks_off_us(assistant: Assistant, question: str, rounds: int = 20_000) -> float:
    """The tracing-off calls of one turn: start, five no-op stages, describe, answered."""
    answer = assistant.ask(question)
    request = AskRequest(question=question)
    tracer = Tracer()
    started = time.perf_counter()
    for _ in range(rounds):
        trace = tracer.start(request)
        for name in ("prepare", "retrieve", "rank", "answer", "cite"):
            with trace.stage(name) as span:
                span.describe(citation_attributes, answer)
        trace.answered(answer)
    return (time.perf_counter() - started) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    asked = questions(args.questions)
    with tempfile.TemporaryDirectory() as folder:
        built = assistants(Path(folder))
        names = list(built)
        for question in asked[: args.warmup]:
            for assistant in built.values():
                assistant.ask(question)
        times: dict[str, list[float]] = {name: [] for name in names}
        for i, question in enumerate(asked):
            for name in names[i % 3 :] + names[: i % 3]:
                times[name].append(timed_ask(built[name], question))
        hooks = hooks_off_us(built["none"], asked[0])
    report(times, hooks, args)


def report(times: dict[str, list[float]], hooks_us: float, args) -> None:
    base = times["none"]
    result = {
        "bench": "tracing_overhead",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python " + " ".join(sys.argv),
        "machine": f"{os.cpu_count()} cores",
        "questions": args.questions,
        "median_ms": {k: round(statistics.median(v), 3) for k, v in times.items()},
        "p90_ms": {k: round(statistics.quantiles(v, n=10)[-1], 3) for k, v in times.items()},
        "median_paired_delta_ms": {
            k: round(statistics.median(a - b for a, b in zip(v, base)), 3)
            for k, v in times.items()
            if k != "none"
        },
        "hooks_off_us_per_turn": round(hooks_us, 2),
    }
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    with open(results / "results.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(result) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
