"""A kept conversation as Markdown: each question, its answer and the sources it cites.

The export is read in Markdown viewers, which render HTML and links, and everything in it
but the headings we write comes from articles or readers. So every such text goes through
``untrusted.escape`` and only ``untrusted.href`` makes a link (http/https), as in the
browser chat (see "Article text is data" in docs/architecture.md).
"""

from __future__ import annotations

from ..present import reported_by, source_meta, view
from ..records import Answer, Citation
from ..untrusted import escape, href
from .records import Conversation, Turn


def conversation_markdown(conversation: Conversation, turns: list[Turn]) -> str:
    """The whole conversation as one Markdown document."""
    lines = [
        f"# {escape(one_line(conversation.title))}",
        "",
        f"Conversation {conversation.id} · started {conversation.created} · "
        f"{len(turns)} turn{'s' if len(turns) != 1 else ''}",
    ]
    for turn in turns:
        lines += ["", *turn_markdown(turn)]
    return "\n".join(lines) + "\n"


def turn_markdown(turn: Turn) -> list[str]:
    """One turn: the question as a heading, the kind of response when it is no answer, the
    answer, flagged sentences, the sources (the one view of ``present.py``)."""
    v = view(Answer.from_dict(turn.answer))
    lines = [f"## {turn.n}. {escape(one_line(turn.question))}", ""]
    if v.kind != "answer":
        lines += [f"*{v.labels[v.kind]}*", ""]
    lines.append(escape(turn.text))
    lines += [f"\n⚠ {v.labels['unsupported']}: {escape(f.text)} ({escape(f.reason)})"
              for f in v.flagged]  # fmt: skip
    if v.citations:
        lines += ["", f"{v.labels['sources']}:", ""]
        lines += [line for c in v.citations for line in citation_markdown(c, v.labels)]
    return lines


def citation_markdown(citation: Citation, labels: dict[str, str]) -> list[str]:
    """``- [n] **title**, source, date, link``, the other outlets, the quote under it."""
    meta = escape(source_meta(citation))
    link = f"[{escape(citation.url)}]({href(citation.url)})" if href(citation.url) else ""
    head = f"- \\[{citation.n}\\] **{escape(one_line(citation.title))}**"
    head += "".join(f", {part}" for part in (meta, link) if part)
    also = "; ".join(escape(r) for r in reported_by(citation))
    lines = [head] + ([f"  {labels['also']}: {also}"] if also else [])
    quote = one_line(citation.quote)
    return [*lines, f"  > {escape(quote)}" if quote else "  > (no quote)"]


def one_line(text: str) -> str:
    """``text`` with its whitespace (newlines included) collapsed to single spaces."""
    return " ".join(str(text).split())
