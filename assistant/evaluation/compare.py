"""``assistant eval --compare RUN_A RUN_B``: two saved runs, item by item.

Two models or two settings run on the same set each write a report.json; the averages say
which is better, the changed items say where. The view is the gate's own
(``diffview``: newly wrong, newly right, newly a false claim, newly declined, answer text
changed; both answers side by side), with RUN_A in the baseline's place, preceded by the
settings that differ and followed by the metrics side by side. The exit status is the item
gate's: 1 when RUN_B regresses more items than ``--allow-item-regressions`` allows, so a
candidate can be gated against a release run too. ``--out DIR`` also writes compare.md
and compare.html.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..untrusted import escape
from . import diffview
from .diff import Comparison, compare, states
from .sets import EvalSetError

SKIPPED_CONFIG = ("date", "notes")


def read_report(path: Path) -> dict:
    """A report.json written by ``assistant eval`` (or the folder holding one)."""
    path = Path(path)
    file = path / "report.json" if path.is_dir() else path
    try:
        report = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EvalSetError(
            f"expected a report.json written by `assistant eval` at {file}, got {exc!r}"
        ) from None
    if not isinstance(report, dict) or not isinstance(report.get("items"), list):
        raise EvalSetError(f"expected a report with an 'items' list at {file}, got none")
    return report


def config_lines(a: dict, b: dict) -> list[str]:
    """The settings that differ between the runs (set name included), one per line."""
    first, second = {"set": a.get("set"), **a.get("config", {})}, {"set": b.get("set")}
    second.update(b.get("config", {}))
    keys = [k for k in dict.fromkeys([*first, *second]) if k not in SKIPPED_CONFIG]
    return [f"{k}: {first.get(k)} → {second.get(k)}" for k in keys if first.get(k) != second.get(k)]


def metric_rows(a: dict, b: dict) -> list[tuple[str, str, str, str]]:
    """(metric, A, B, B - A) for every metric either run computed."""
    names = list(dict.fromkeys([*a.get("metrics", {}), *b.get("metrics", {})]))
    rows = []
    for name in names:
        x, y = a["metrics"].get(name), b["metrics"].get(name)
        delta = "" if x is None or y is None else f"{y - x:+.3f}"
        rows.append((name, _fmt(x), _fmt(y), delta))
    return rows


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def comparison_of(a: dict, b: dict, paths: tuple[Path, Path], allowed: int) -> Comparison:
    """RUN_B's items against RUN_A's."""
    changes = compare(states(a["items"]), states(b["items"]))
    against = "A to B"
    return Comparison(against, changes, len(b["items"]), allowed=allowed, labels=("A", "B"))


def markdown(comparison: Comparison, settings: list[str], metrics: list[tuple]) -> str:
    lines = ["# Eval comparison", "", *[f"- {escape(line)}" for line in settings], ""]
    lines += diffview.markdown_lines(comparison)
    lines += ["## Metrics", "", "| metric | A | B | B - A |", "|---|---|---|---|"]
    return "\n".join(lines + [f"| {' | '.join(row)} |" for row in metrics]) + "\n"


def html_page(comparison: Comparison, settings: list[str], metrics: list[tuple]) -> str:
    from .report import STYLE

    items = "".join(f"<li>{escape(line)}</li>" for line in settings)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in metrics
    )
    return (
        f"<!doctype html><meta charset='utf-8'><title>Eval comparison</title>"
        f"<style>{STYLE}</style><h1>Eval comparison</h1><ul>{items}</ul>"
        f"{diffview.html_section(comparison)}<h2>Metrics</h2><table><tr><th>metric</th>"
        f"<th>A</th><th>B</th><th>B - A</th></tr>{rows}</table>"
    )


def run_compare(first: Path, second: Path, allowed: int, out: Path | None) -> int:
    """Print what changed from RUN_A to RUN_B; exit 1 when RUN_B regresses items."""
    a, b = read_report(first), read_report(second)
    comparison = comparison_of(a, b, (first, second), allowed)
    settings = [f"A: {first}", f"B: {second}"]
    settings += config_lines(a, b) or ["same set and settings"]
    metrics = metric_rows(a, b)
    print("\n".join(settings))
    print("\n".join(diffview.text_lines(comparison)))
    print("\n".join(f"{n:<19} {x:>6} → {y:>6} {d}" for n, x, y, d in metrics))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "compare.md").write_text(markdown(comparison, settings, metrics), "utf-8")
        (out / "compare.html").write_text(html_page(comparison, settings, metrics), "utf-8")
        print(f"comparison: {out / 'compare.md'} ({out / 'compare.html'})")
    return 1 if comparison.failing else 0
