"""Reports: ``report.json`` (every item), ``report.md`` and ``report.html`` (summary, chart,
worst items first). No dependencies beyond the standard library; the chart is inline SVG.
What each metric means comes from its ``Metric`` in ``metrics.METRICS``. Questions, answers
and gold texts come from eval sets and articles, so both pages show them through
``untrusted.escape`` (an answer quoting ``![x](http://...)`` stays text in any viewer)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from ..untrusted import escape
from .gate import Failure
from .metrics import ANSWERED, CORRECT, DECLINED, ERROR, describe
from .runner import ItemResult, RunResult


def item_dict(result: ItemResult) -> dict:
    """The JSON form of one item result."""
    return {
        "id": result.item.id,
        "question": result.item.question,
        "language": result.item.language,
        "kind": result.item.kind,
        "variant": result.item.variant,
        "expected_answerable": result.item.answerable,
        "gold_answers": list(result.item.answers),
        "gold_articles": list(result.item.gold_articles),
        "answer": result.answer,
        "answered": result.answered,
        "error": result.error,
        "gold_rank": result.gold_rank,
        "ranked_articles": result.ranked_articles,
        "pool_articles": result.pool_articles,
        "sentences": result.sentences,
        "citations": result.citations,
        "statements": result.statements,
        "scores": result.scores,
        "timings_ms": {k: round(v, 2) for k, v in result.timings_ms.items()},
    }


def badness(result: ItemResult) -> float:
    """How bad an item is (higher first in the report): errors, then low scores."""
    scores = [v for k, v in result.scores.items() if v is not None and k != ERROR.name]
    return 10 * bool(result.error) + sum(1 - v for v in scores)


def write_reports(
    run: RunResult, out: Path, failures: list[Failure], baseline: dict | None
) -> dict[str, Path]:
    """Write report.json, report.md and report.html under ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "set": run.set_name,
        "config": run.config,
        "counts": run.counts,
        "metrics": run.metrics,
        "latency_ms": run.latency_ms,
        "baseline": baseline,
        "gate": {"passed": not failures, "failures": [asdict(f) for f in failures]},
        "seconds": round(run.seconds, 2),
        "items": [item_dict(r) for r in run.items],
    }
    paths = {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html"}
    paths["json"].write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    paths["md"].write_text(markdown(run, failures, baseline), encoding="utf-8")
    paths["html"].write_text(html_page(run, failures, baseline), encoding="utf-8")
    return paths


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def metric_rows(run: RunResult, baseline: dict | None) -> list[tuple[str, str, str, str]]:
    """(metric, value, baseline, meaning) for every aggregated metric."""
    return [
        (name, _fmt(value), _fmt((baseline or {}).get(name)), describe(name))
        for name, value in run.metrics.items()
    ]


def markdown(run: RunResult, failures: list[Failure], baseline: dict | None) -> str:
    """The readable summary: gate verdict, metrics with meanings, a chart, worst items."""
    verdict = "PASSED" if not failures else "FAILED"
    lines = [f"# Eval report: {run.set_name}", "", f"Gate: **{verdict}**", ""]
    lines += [f"- {f.message()}" for f in failures]
    lines += [
        "",
        f"Items: {run.counts} in {run.seconds:.1f} s; config: {run.config}",
        "",
        "| metric | value | baseline | what it means |",
        "|---|---|---|---|",
    ]
    lines += [f"| {n} | {v} | {b} | {e} |" for n, v, b, e in metric_rows(run, baseline)]
    lines += [
        "",
        "```",
        *text_chart(run.metrics),
        "```",
        "",
        "| stage | p50 ms | p95 ms |",
        "|---|---|---|",
    ]
    lines += [f"| {s} | {_fmt(p['p50'])} | {_fmt(p['p95'])} |" for s, p in run.latency_ms.items()]
    lines += [
        "",
        "## By kind",
        "",
        "| kind | items | answered | declined | correct |",
        "|---|---|---|---|---|",
        *kind_rows(run.items),
    ]
    lines += ["", "## Worst items first", ""]
    for r in sorted(run.items, key=badness, reverse=True)[:25]:
        shown = {k: round(v, 2) for k, v in r.scores.items() if v is not None}
        lines += [
            f"### {escape(r.item.id)} ({escape(r.item.kind or r.item.language)})",
            f"- question: {escape(r.item.question)}",
            f"- expected: {escape(_expected(r.item))}",
            f"- answer: {escape(r.error or r.answer)}",
            f"- gold rank: {r.gold_rank}",
            f"- scores: {shown}",
        ]
        lines += [
            f"- unsupported: {escape(repr(s['text'][:120]))} ({escape(s['judge']['reason'])})"
            for s in r.sentences
            if s.get("judge") and not s["judge"]["supported"]
        ]
        lines.append("")
    return "\n".join(lines)


def kind_rows(items: list[ItemResult]) -> list[str]:
    """One Markdown row per item kind: how many, and its refusal and correctness rates."""
    kinds: dict[str, list[ItemResult]] = {}
    for r in items:
        kinds.setdefault(r.item.kind or r.item.language, []).append(r)
    rows = []
    for kind, group in sorted(kinds.items()):
        rate = {
            n: [float(v) for r in group if (v := r.scores.get(n)) is not None]
            for n in (ANSWERED.name, DECLINED.name, CORRECT.name)
        }
        shown = [f"{round(sum(v))}/{len(v)}" if v else "-" for v in rate.values()]  # 0/1 scores
        rows.append(f"| {escape(kind)} | {len(group)} | " + " | ".join(shown) + " |")
    return rows


def text_chart(metrics: dict[str, float | None], width: int = 40) -> list[str]:
    """One bar per metric in 0..1, for terminals and Markdown."""
    return [
        f"{name:<19}{'█' * round((value or 0) * width):<{width}} {_fmt(value)}"
        for name, value in metrics.items()
        if name != ERROR.name
    ]


def svg_chart(metrics: dict[str, float | None], width: int = 520) -> str:
    """A horizontal bar chart of the metrics (0..1) as inline SVG."""
    rows = [(n, v) for n, v in metrics.items() if n != ERROR.name]
    height = 22 * len(rows) + 10
    bars = []
    for i, (name, value) in enumerate(rows):
        y, length = 5 + 22 * i, (value or 0) * (width - 200)
        bars.append(
            f'<text x="0" y="{y + 14}" font-size="12">{escape(name)}</text>'
            f'<rect x="140" y="{y}" width="{length:.1f}" height="16" fill="#4a7ab7"/>'
            f'<text x="{145 + length:.1f}" y="{y + 13}" font-size="11">{_fmt(value)}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="metrics">{"".join(bars)}</svg>'
    )


def html_page(run: RunResult, failures: list[Failure], baseline: dict | None) -> str:
    """The summary as one self-contained HTML page (chart, metric table, worst items)."""
    esc = escape
    rows = "".join(
        f"<tr><td>{esc(n)}</td><td>{v}</td><td>{b}</td><td>{esc(e)}</td></tr>"
        for n, v, b, e in metric_rows(run, baseline)
    )
    fails = "".join(f"<li>{esc(f.message())}</li>" for f in failures)
    worst = "".join(
        f"<tr><td>{esc(r.item.id)}</td><td>{esc(r.item.question)}</td>"
        f"<td>{esc(r.error or r.answer)}</td><td>{esc(str(_rounded(r.scores)))}</td></tr>"
        for r in sorted(run.items, key=badness, reverse=True)[:50]
    )
    return (
        f"<!doctype html><meta charset='utf-8'><title>Eval {esc(run.set_name)}</title>"
        f"<h1>Eval report: {esc(run.set_name)}</h1>"
        f"<p>Gate: <b>{'PASSED' if not failures else 'FAILED'}</b></p><ul>{fails}</ul>"
        f"{svg_chart(run.metrics)}<table border=1><tr><th>metric</th><th>value</th>"
        f"<th>baseline</th><th>meaning</th></tr>{rows}</table><h2>Worst items first</h2>"
        f"<table border=1><tr><th>id</th><th>question</th><th>answer</th><th>scores</th>"
        f"</tr>{worst}</table>"
    )


def _expected(item) -> str:
    return "answer " + " | ".join(item.answers) if item.answerable else "decline"


def _rounded(scores: dict) -> dict:
    return {k: round(v, 2) for k, v in scores.items() if v is not None}
