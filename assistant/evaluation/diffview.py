"""The "changed since the baseline" view: one ``diff.Comparison`` shown in the terminal, in
Markdown and in HTML, before anything else, because it is what a release decision needs.

Each changed item shows the old and the new outcome side by side (kind, answer, cited
articles, the scores that moved). Questions, answers and article ids come from eval sets
and articles, so Markdown and HTML show them through ``untrusted.escape``; the HTML uses
only plain tags (div, h3, p, table) and class names, no script. The terminal lists at most
``TERMINAL_ITEMS`` items with answers cut to one line; the reports list every one.
"""

from __future__ import annotations

from ..untrusted import escape
from .diff import Change, Comparison, ItemState

TERMINAL_ITEMS = 20
TERMINAL_CHARS = 150


def number(value: float | None) -> str:
    """A score for people: 0 and 1 as they are, other values to two decimals."""
    if value is None:
        return "-"
    return f"{value:.0f}" if value in (0.0, 1.0) else f"{value:.2f}"


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if limit is None or len(flat) <= limit else flat[: limit - 1] + "…"


def title(comparison: Comparison) -> str:
    """The section's heading: since the baseline, or from one run to another."""
    left, right = comparison.labels
    return "Changed since the baseline" if left == "baseline" else f"Changed from {left} to {right}"


def headline(comparison: Comparison) -> str:
    """What was compared, how many items changed, and what the item gate made of it."""
    if comparison.note:
        return f"{comparison.against}: {comparison.note}"
    line = f"{len(comparison.changes)} of {comparison.total} items changed"
    line += f" since {comparison.against}" if comparison.labels[0] == "baseline" else ""
    found = len(comparison.regressions)
    if not found:
        return line + "; no item regressed"
    if comparison.failing:
        return line + f"; {found} item regression(s) fail the gate (allowed: {comparison.allowed})"
    why = "not gated" if not comparison.gated else f"allowed: {comparison.allowed}"
    return line + f"; {found} item regression(s) ({why})"


def sides(change: Change) -> list[tuple[str, str, str]]:
    """(row, before, after) rows: outcome, kind, answer, cited articles, moved scores."""
    rows = [
        ("outcome", _side(change.before, "status"), _side(change.after, "status")),
        ("kind", _side(change.before, "kind"), _side(change.after, "kind")),
        ("answer", _side(change.before, "answer"), _side(change.after, "answer")),
        ("cites", _cites(change.before), _cites(change.after)),
    ]
    moved = change.score_changes().items()
    return rows + [(name, number(old), number(new)) for name, (old, new) in moved]


def _side(state: ItemState | None, name: str) -> str:
    return "(not in the set)" if state is None else str(getattr(state, name))


def _cites(state: ItemState | None) -> str:
    return "" if state is None else ", ".join(state.citations) or "-"


def _question(change: Change) -> str:
    state = change.after or change.before
    return state.question if state and state.question else ""


def _marked(change: Change) -> str:
    """The HTML class beside ``change``: regressions red, newly right items green."""
    if change.regression:
        return " regression"
    return " right" if "newly right" in change.tags else ""


def _title(change: Change) -> str:
    was = change.before.status if change.before else "new"
    now = change.after.status if change.after else "gone"
    return f"{change.id}: {was} → {now}"


def text_lines(comparison: Comparison) -> list[str]:
    """The terminal view: headline, then each changed item (at most ``TERMINAL_ITEMS``)."""
    lines = [f"{title(comparison)}: {headline(comparison)}"]
    left, right = comparison.labels
    width = max(len(left), len(right))
    for change in comparison.changes[:TERMINAL_ITEMS]:
        mark = "REGRESSION " if change.regression else ""
        lines.append(f"  {mark}{_title(change)} [{', '.join(change.tags)}]")
        if question := _question(change):
            lines.append(f"      question: {one_line(question, TERMINAL_CHARS)}")
        rows = {name: (old, new) for name, old, new in sides(change)}
        for label, side in ((left, 0), (right, 1)):
            kind, answer, cites = (rows[n][side] for n in ("kind", "answer", "cites"))
            lines.append(
                f"      {label:<{width}} [{kind}] {one_line(answer, TERMINAL_CHARS)}"
                f" (cites {cites})"
            )
        moved = [f"{n} {number(o)} → {number(w)}" for n, (o, w) in change.score_changes().items()]
        if moved:
            lines.append(f"      scores: {', '.join(moved)}")
    if len(comparison.changes) > TERMINAL_ITEMS:
        lines.append(f"  ... and {len(comparison.changes) - TERMINAL_ITEMS} more (see the report)")
    return lines


def markdown_lines(comparison: Comparison) -> list[str]:
    """The Markdown section: headline, then a side-by-side table per changed item."""
    left, right = comparison.labels
    lines = [f"## {escape(title(comparison))}", "", escape(headline(comparison)), ""]
    for change in comparison.changes:
        lines += [f"### {escape(_title(change))}", "", f"*{', '.join(change.tags)}*", ""]
        if question := _question(change):
            lines += [f"Question: {escape(one_line(question))}", ""]
        lines += [f"| | {escape(left)} | {escape(right)} |", "|---|---|---|"]
        lines += [
            f"| {escape(name)} | {escape(one_line(old))} | {escape(one_line(new))} |"
            for name, old, new in sides(change)
        ]
        lines.append("")
    return lines


def html_section(comparison: Comparison) -> str:
    """The HTML section: a side-by-side table per changed item, regressions marked."""
    left, right = comparison.labels
    parts = [f"<h2>{escape(title(comparison))}</h2><p>{escape(headline(comparison))}</p>"]
    for change in comparison.changes:
        rows = "".join(
            f"<tr><th>{escape(name)}</th><td>{escape(old)}</td><td>{escape(new)}</td></tr>"
            for name, old, new in sides(change)
        )
        question = _question(change)
        parts.append(
            f"<div class='change{_marked(change)}'>"
            f"<h3>{escape(_title(change))}</h3><p class='tags'>{escape(', '.join(change.tags))}"
            f"</p><p>{escape(question)}</p><table class='sides'><tr><th></th>"
            f"<th>{escape(left)}</th><th>{escape(right)}</th></tr>{rows}</table></div>"
        )
    return "".join(parts)
