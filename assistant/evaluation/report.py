"""Reports: ``report.json`` (every item), ``report.md`` and ``report.html`` (verdict, what
changed since the baseline first (``diffview``), chart, worst items with their scores as
columns). No dependencies beyond the standard library; the chart is inline SVG.
What each metric means comes from its ``Metric`` in ``metrics.METRICS``. Questions, answers
and gold texts come from eval sets and articles, so both pages show them through
``untrusted.escape`` (an answer quoting ``![x](http://...)`` stays text in any viewer)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from ..untrusted import escape
from . import diffview
from .diff import Comparison, answer_kind, baseline_entry, status_of
from .gate import Failure, regression_message
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
        "answer_kind": answer_kind(result),
        "missing": result.missing,
        "lead": result.lead,
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
    run: RunResult,
    out: Path,
    failures: list[Failure],
    baseline: dict | None,
    comparison: Comparison | None = None,
) -> dict[str, Path]:
    """Write report.json, report.md and report.html under ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    failing = comparison.failing if comparison else []
    payload = {
        "set": run.set_name,
        "config": run.config,
        "counts": run.counts,
        "metrics": run.metrics,
        "latency_ms": run.latency_ms,
        "baseline": baseline,
        "gate": {
            "passed": not failures and not failing,
            "failures": [asdict(f) for f in failures],
            "item_regressions": [c.id for c in failing],
            "allowed_item_regressions": comparison.allowed if comparison else 0,
        },
        "changes": changes_dict(comparison),
        "seconds": round(run.seconds, 2),
        "items": [item_dict(r) for r in run.items],
    }
    paths = {"json": out / "report.json", "md": out / "report.md", "html": out / "report.html"}
    paths["json"].write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    paths["md"].write_text(markdown(run, failures, baseline, comparison), encoding="utf-8")
    paths["html"].write_text(html_page(run, failures, baseline, comparison), encoding="utf-8")
    return paths


def changes_dict(comparison: Comparison | None) -> dict | None:
    """The JSON form of the changed-items view (None: no baseline to compare with)."""
    if comparison is None:
        return None
    return {
        "against": comparison.against,
        "note": comparison.note,
        "compared": comparison.total,
        "items": [
            {
                "id": c.id,
                "tags": list(c.tags),
                "before": baseline_entry(c.before) if c.before else None,
                "after": baseline_entry(c.after) if c.after else None,
            }
            for c in comparison.changes
        ],
    }


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _ms(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def latency_line(latency: dict[str, dict[str, float | None]]) -> str:
    """Latency per stage for the terminal, rounded: ``total 101.2/699.0`` (p50/p95)."""
    stages = ", ".join(f"{s} {_ms(p['p50'])}/{_ms(p['p95'])}" for s, p in latency.items())
    return f"latency ms (p50/p95): {stages or '-'}"


def counts_line(run: RunResult) -> str:
    c = run.counts
    return (
        f"{c['items']} items ({c['answerable']} answerable, {c['unanswerable']} unanswerable, "
        f"{c['errors']} errors) in {run.seconds:.1f} s"
    )


def metric_rows(run: RunResult, baseline: dict | None) -> list[tuple[str, str, str, str]]:
    """(metric, value, baseline, meaning) for every aggregated metric."""
    return [
        (name, _fmt(value), _fmt((baseline or {}).get(name)), describe(name))
        for name, value in run.metrics.items()
    ]


def verdict_lines(failures: list[Failure], comparison: Comparison | None) -> list[str]:
    """The gate's failures for people: failing items first, then metrics."""
    items = [regression_message(c) for c in (comparison.failing if comparison else [])]
    return items + [f.message() for f in failures]


def markdown(
    run: RunResult,
    failures: list[Failure],
    baseline: dict | None,
    comparison: Comparison | None = None,
) -> str:
    """The readable summary: verdict, what changed, metrics with meanings, a chart, items."""
    passed = not failures and not (comparison and comparison.failing)
    lines = [f"# Eval report: {run.set_name}", "", f"Gate: **{'PASSED' if passed else 'FAILED'}**"]
    lines += ["", *[f"- {escape(line)}" for line in verdict_lines(failures, comparison)], ""]
    lines += [*diffview.markdown_lines(comparison), ""] if comparison else []
    config = ", ".join(f"{k}: {v}" for k, v in run.config.items() if k != "notes")
    lines += [f"{counts_line(run)}; {escape(config)}", ""]
    lines += ["| metric | value | baseline | what it means |", "|---|---|---|---|"]
    lines += [f"| {n} | {v} | {b} | {e} |" for n, v, b, e in metric_rows(run, baseline)]
    lines += ["", "```", *text_chart(run.metrics), "```", ""]
    lines += ["| stage | p50 ms | p95 ms |", "|---|---|---|"]
    lines += [f"| {s} | {_ms(p['p50'])} | {_ms(p['p95'])} |" for s, p in run.latency_ms.items()]
    lines += ["", "## By kind", "", "| kind | items | answered | declined | correct |"]
    lines += ["|---|---|---|---|---|", *kind_rows(run.items), "", "## Worst items first", ""]
    worst = sorted(run.items, key=badness, reverse=True)[:25]
    names = score_names(run)
    lines += ["| item | outcome | " + " | ".join(names) + " |", "|---" * (len(names) + 2) + "|"]
    lines += [f"| {escape(r.item.id)} | {outcome(r)} | {' | '.join(score_cells(r, names))} |"
              for r in worst]  # fmt: skip
    for r in worst:
        lines += ["", *item_lines(r)]
    return "\n".join(lines) + "\n"


def item_lines(r: ItemResult) -> list[str]:
    """One worst item in Markdown: question, expected, answer, rank, unsupported sentences."""
    lines = [
        f"### {escape(r.item.id)} ({escape(r.item.kind or r.item.language)})",
        f"- question: {escape(r.item.question)}",
        f"- expected: {escape(_expected(r.item))}",
        f"- answer ({answer_kind(r)}): {escape(r.error or r.answer)}",
        f"- gold rank: {r.gold_rank}",
    ]
    return lines + [
        f"- unsupported: {escape(repr(s['text'][:120]))} ({escape(s['judge']['reason'])})"
        for s in r.sentences
        if s.get("judge") and not s["judge"]["supported"]
    ]


def score_names(run: RunResult) -> list[str]:
    """The score columns: every metric the run computed except ``error``."""
    return [n for n in run.metrics if n != ERROR.name]


def score_cells(r: ItemResult, names: list[str]) -> list[str]:
    return [diffview.number(r.scores.get(n)) for n in names]


def outcome(r: ItemResult) -> str:
    """The item's verdict (``diff.status_of``): correct, false claim, declined, ..."""
    return status_of(r.item.answerable, answer_kind(r), r.scores, r.error)


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


STYLE = (
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;padding:0 1em;"
    "max-width:1200px;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;"
    "vertical-align:top;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    ".failed{color:#b00020}.passed{color:#1b7f3b}.change{border-left:4px solid #888;"
    "padding:2px 10px;margin:10px 0;background:#fafafa}.change.regression{border-color:#b00020;"
    "background:#fff4f4}.tags{color:#555;font-style:italic;margin:0}.change h3{margin:4px 0}"
    ".change.right{border-color:#1b7f3b;background:#f4fbf6}.sides td{width:46%;"
    "white-space:pre-wrap}.worst th.s{writing-mode:vertical-rl;transform:rotate(180deg);"
    "white-space:nowrap;font-size:12px;padding:6px 2px}"
    ".worst td.q{min-width:12em}.worst td.a{min-width:22em}"
)


def html_page(
    run: RunResult,
    failures: list[Failure],
    baseline: dict | None,
    comparison: Comparison | None = None,
) -> str:
    """The summary as one self-contained HTML page: verdict, what changed, chart, metric
    and latency tables, the worst items with their scores as columns (the last table)."""
    esc = escape
    passed = not failures and not (comparison and comparison.failing)
    rows = "".join(
        f"<tr><td>{esc(n)}</td><td class=n>{v}</td><td class=n>{b}</td><td>{esc(e)}</td></tr>"
        for n, v, b, e in metric_rows(run, baseline)
    )
    latency = "".join(
        f"<tr><td>{esc(s)}</td><td class=n>{_ms(p['p50'])}</td><td class=n>{_ms(p['p95'])}</td>"
        "</tr>"
        for s, p in run.latency_ms.items()
    )
    fails = "".join(f"<li>{esc(line)}</li>" for line in verdict_lines(failures, comparison))
    verdict = "PASSED" if passed else "FAILED"
    return (
        f"<!doctype html><meta charset='utf-8'><title>Eval {esc(run.set_name)}</title>"
        f"<style>{STYLE}</style><h1>Eval report: {esc(run.set_name)}</h1>"
        f"<p class={verdict.lower()}>Gate: <b>{verdict}</b></p><ul>{fails}</ul>"
        f"{diffview.html_section(comparison) if comparison else ''}"
        f"<h2>Metrics</h2><p>{esc(counts_line(run))}</p>{svg_chart(run.metrics)}"
        f"<table><tr><th>metric</th><th>value</th><th>baseline</th><th>meaning</th></tr>{rows}"
        f"</table><h2>Latency (ms)</h2><table><tr><th>stage</th><th>p50</th><th>p95</th></tr>"
        f"{latency}</table><h2>Worst items first</h2>{worst_table(run)}"
    )


def worst_table(run: RunResult, n: int = 50) -> str:
    """The worst ``n`` items: question, outcome, answer and one column per score."""
    names = score_names(run)
    head = "".join(f"<th class=s>{escape(name)}</th>" for name in names)
    rows = "".join(
        f"<tr><td>{escape(r.item.id)}</td><td class=q>{escape(r.item.question)}</td>"
        f"<td>{outcome(r)}</td><td class=a>{escape(r.error or r.answer)}</td>"
        + "".join(f"<td class=n>{cell}</td>" for cell in score_cells(r, names))
        + "</tr>"
        for r in sorted(run.items, key=badness, reverse=True)[:n]
    )
    return (
        f"<table class=worst><tr><th>id</th><th>question</th><th>outcome</th><th>answer</th>"
        f"{head}</tr>"
        f"{rows}</table>"
    )


def _expected(item) -> str:
    return "answer " + " | ".join(item.answers) if item.answerable else "decline"
