"""A kept conversation as Markdown: each question, its answer and the sources it cites.

The export is read in Markdown viewers, which render HTML and links, and everything in it
but the headings we write comes from articles or readers. So every such text goes through
``untrusted.escape`` and only ``untrusted.href`` makes a link (http/https), as in the
browser chat (see "Article text is data" in docs/architecture.md).
"""

from __future__ import annotations

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
    """One turn: the question as a heading, the answer, flagged sentences, the sources."""
    answer = turn.answer
    lines = [f"## {turn.n}. {escape(one_line(turn.question))}", "", escape(turn.text)]
    flagged = [s for s in answer.get("sentences", ()) if not s.get("supported", True)]
    lines += [
        f"\n⚠ not supported by its source: {escape(s['text'])} ({escape(s.get('reason', ''))})"
        for s in flagged
    ]
    citations = answer.get("citations", ())
    if citations:
        lines += ["", "Sources:", ""]
        lines += [line for c in citations for line in citation_markdown(c)]
    return lines


def citation_markdown(citation: dict) -> list[str]:
    """``- [n] **title**, source, date, link`` and the quote under it."""
    meta = ", ".join(escape(citation[k]) for k in ("source", "published") if citation.get(k))
    url = citation.get("url", "")
    link = f"[{escape(url)}]({href(url)})" if href(url) else escape(url)
    head = f"- \\[{citation['n']}\\] **{escape(one_line(citation.get('title', '')))}**"
    head += "".join(f", {part}" for part in (meta, link) if part)
    quote = one_line(citation.get("quote", ""))
    return [head, f"  > {escape(quote)}" if quote else "  > (no quote)"]


def one_line(text: str) -> str:
    """``text`` with its whitespace (newlines included) collapsed to single spaces."""
    return " ".join(str(text).split())
