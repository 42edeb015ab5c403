"""Article text is data: the one place that makes untrusted text safe to show or to prompt.

Anything an article brings (text, title, source, URL, and the quotes and answers built from
them) is written by whoever wrote the article, and every reader sees it. A tester found
that Gradio's sanitizer drops ``<script>`` and ``onerror`` but keeps ``<img src=...>``, so
one article could make every reader's browser fetch a URL of its choosing. Sanitizing after
the fact is a blocklist; escaping before rendering is not, so every renderer (the chat
message, the sources panel, the index stats, the eval reports) calls ``escape`` and never
interpolates article text any other way.

``escape`` returns text that shows the same characters in every context we render into:
HTML element content, a double-quoted HTML attribute, and Markdown as Gradio renders it
(marked with GFM autolinks, its ``$$`` LaTeX and mermaid extensions, then HTML). It writes
character references rather than backslashes because references mean the same thing in
HTML and in Markdown, and Markdown never parses a reference as syntax. What it neutralises:
raw HTML and ``<...>`` autolinks (``<``), images and links (``[``, ``]``), bare URL and
e-mail autolinks (the slash after ``:``, ``@``, the dot of ``www.``), LaTeX (``$``), code
fences (backtick), emphasis, tables and headings (``* _ ~ | #``), line-start list markers
and indentation (an indented code block would show the references as typed). Each rule
looks at most a few characters back, so a streamed answer is escaped as a whole (``ui.py``
keeps the raw text and escapes it again on every delta). The renderers that escape pieces
(around markers and highlights) join them with tags, which no autolink spans; a piece's
start counts as a line start, which only escapes more.

Only ``href`` makes a link, and only from a ``http``/``https`` URL (article metadata), so a
``javascript:`` or ``data:`` URL is never clickable.

For an LLM the same text is fenced instead (``fence``): each source sits in one
``<article id="n">`` block, and any ``<article``/``</article`` inside the data is defused
so it cannot close its block early and speak as the prompt. That makes injected
instructions recognisable as data to the model; it cannot make a model keep to the rule
(see "Article text is data" in docs/architecture.md).
"""

from __future__ import annotations

import html
import re

# characters that are markup somewhere we render; each becomes a numeric reference
_CHARACTERS = '&<>"\\`*_[]!#|~$@'
_NAMED = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
# and what would start a bare autolink: the slash of "http://", the dot of "www."
_INLINE = re.compile("[" + re.escape(_CHARACTERS) + r"]|(?<=:)/|(?i:(?<=www)\.)")
# a list item, setext heading or rule starts a line with one of these, after up to three
# spaces (" -" is a list item too); four columns of indentation make a code block, where
# references show as typed (so its first blank goes)
_LINE_START = re.compile(
    r"(?m)^(?:\t|[ \t](?=[ \t]{3}|[ \t]*\t)| {0,3}(?:[-+=]|\d{1,9}[.)](?=\s|$)))"
)
_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.I)
FENCE = "article"
_FENCE_TAG = re.compile(rf"<(?=\s*/?\s*{FENCE})", re.I)


def escape(text: str) -> str:
    """``text`` safe for HTML content, a double-quoted attribute and Gradio's Markdown; it
    shows exactly the same characters as ``text``."""
    text = _INLINE.sub(lambda m: _reference(m.group()), str(text))
    return _LINE_START.sub(lambda m: m.group()[:-1] + _reference(m.group()[-1]), text)


def _reference(character: str) -> str:
    return _NAMED.get(character) or f"&#{ord(character)};"


def href(url: str) -> str:
    """``url`` escaped for an ``href`` when it is an absolute http(s) URL; else ""."""
    url = str(url).strip()
    return html.escape(url, quote=True) if _HTTP_URL.fullmatch(url) else ""


def defuse(text: str) -> str:
    """``text`` with every ``<article``/``</article`` tag opener made inert (``&lt;``)."""
    return _FENCE_TAG.sub("&lt;", str(text))


def fence(n: int, text: str, **about: str) -> str:
    """One source for a prompt: an ``<article id="n">`` block with ``about`` lines (title,
    source, date; one line each) and then the text, all defused."""
    lines = [f"{key}: {' '.join(defuse(value).split())}" for key, value in about.items() if value]
    body = "\n".join([*lines, "text:", defuse(text).strip()])
    return f'<{FENCE} id="{n}">\n{body}\n</{FENCE}>'
