"""Answer and sources as the browser shows them (pure functions: text in, text out).

The chat shows the answer as Markdown with each ``[n]`` marker as a superscript pointing
to source n, and sentences the citation check could not support marked with ⚠ and a
note. The sources panel is HTML: one card per citation with title, source and date, and
the whole chunk text with the supporting sentence highlighted.

Article text is data: every text that comes from an article (answer, quotes, titles,
sources, reasons, the index stats) goes through ``untrusted.escape`` and every link through
``untrusted.href``; the only markup here is the one these functions write themselves.
"""

from __future__ import annotations

import re

from ..present import labels, view
from ..records import Answer, Citation
from ..text import MARKER
from ..untrusted import escape, href


def _marker_html(match: re.Match) -> str:
    numbers = [n.strip() for n in match.group(1).split(",")]
    links = ",".join(f'<a href="#source-{n}">{n}</a>' for n in numbers)
    return f" <sup>[{links}]</sup>"


def answer_markdown(answer: Answer, show_query: bool = False) -> str:
    """The chat message for ``answer``: markers as superscripts, unsupported sentences ⚠; a
    response that is no answer opens with its kind, so a closest quote never reads as one."""
    v = view(answer)
    notes = [f"⚠ *{v.labels['unsupported']}:* „{escape(f.text)}“ ({escape(f.reason)})"
             for f in v.flagged]  # fmt: skip
    badge = (
        [f'<span class="answer-kind answer-kind-{v.kind}">ℹ {v.labels[v.kind]}</span>']
        if v.kind != "answer"
        else []
    )
    parts = [*badge, _underlined(v.text, [f.text for f in v.flagged]), *notes]
    if show_query:
        query = escape(answer.query or answer.question)
        parts.append(f"🔎 *{v.labels['query']}:* <code>{query}</code>")
    return "\n\n".join(parts)


def _underlined(text: str, flagged: list[str]) -> str:
    """``text`` escaped with its markers as links and each ``flagged`` sentence marked ⚠ and
    underlined where it stands, so the reader sees which one."""
    spans: list[tuple[int, int]] = []
    for sentence in flagged:
        at = text.find(sentence)
        if sentence and at >= 0 and all(at >= e or at + len(sentence) <= s for s, e in spans):
            spans.append((at, at + len(sentence)))
    out, done = [], 0
    for start, end in sorted(spans):
        out += [_with_markers(text[done:start]), f"⚠ <u>{_with_markers(text[start:end])}</u>"]
        done = end
    return "".join([*out, _with_markers(text[done:])])


def _with_markers(text: str) -> str:
    """``text`` escaped, each ``[n]`` marker a superscript link to its source card."""
    out, done = [], 0
    for match in MARKER.finditer(text):
        out += [escape(text[done : match.start()]), _marker_html(match)]
        done = match.end()
    return "".join([*out, escape(text[done:])])


def highlighted_chunk(citation: Citation, also: tuple[str, ...] = (), lead: str = "") -> str:
    """The chunk text, escaped, with the supporting sentence (and ``also`` found) in ``<mark>``
    and the answer's ``lead`` value in ``<strong class="answer-span">``.

    ``also`` are answer sentences citing this chunk; quoted verbatim (extractive answers),
    they are highlighted too, so every quoted sentence shows where it stands.
    """
    text = citation.text
    spans = [(citation.quote_start, citation.quote_end)]
    spans += [(at, at + len(t)) for t in also if t and (at := text.find(t)) >= 0]
    marks = [s for s in spans if 0 <= s[0] < s[1] <= len(text)]
    at = text.find(lead, citation.quote_start) if lead else -1
    value = (at, at + len(lead)) if at >= 0 else None
    cuts = sorted({0, len(text), *(p for s in marks for p in s), *(value or ())})
    out = []
    for start, end in zip(cuts, cuts[1:]):
        piece = escape(text[start:end])
        if value and value[0] <= start and end <= value[1]:
            piece = f'<strong class="answer-span">{piece}</strong>'
        if any(a <= start and end <= b for a, b in marks):
            piece = f"<mark>{piece}</mark>"
        out.append(piece)
    return "".join(out).replace("</mark><mark>", "")  # touching marks are one


def sources_html(answer: Answer | None) -> str:
    """The sources panel: one card per cited chunk, with the sentences it backs."""
    if answer is None:
        return '<div class="sources-empty">Sources appear here after an answer.</div>'
    words = labels(answer.language)
    if not answer.citations:
        return f'<div class="sources-empty">{words["no_sources"]}</div>'
    cards = [f"<h3>{words['sources']}</h3>"]
    for citation in answer.citations:
        cards.append(_card(citation, answer))
    return "\n".join(cards)


def _card(citation: Citation, answer: Answer) -> str:
    meta = " · ".join(escape(x) for x in (citation.source, citation.published) if x)
    url = href(citation.url)
    link = f' · <a href="{url}" target="_blank" rel="noopener">link</a>' if url else ""
    backs = [s for s in answer.sentences if citation.n in s.citations]
    lead = answer.lead if answer.lead and any(s.text == answer.lead for s in backs) else ""
    backed = "".join(f"<li>{'' if s.supported else '⚠ '}{escape(s.text)}</li>" for s in backs)
    label = labels(answer.language)["backs"]
    return (
        f'<div class="source-card" id="source-{citation.n}">'
        f'<div class="source-head"><b>[{citation.n}] {escape(citation.title)}</b></div>'
        f'<div class="source-meta">{meta}{link}</div>'
        + _also_reported(citation, answer.language)
        + (f'<div class="source-backs">{label}<ul>{backed}</ul></div>' if backed else "")
        + f'<p class="source-text">'
        f"{highlighted_chunk(citation, tuple(s.text for s in backs), lead)}</p></div>"
    )


def _also_reported(citation: Citation, language: str) -> str:
    """The other outlets that printed the cited story (wire copies), escaped; "" for none."""
    items = []
    for copy in citation.also_reported_by:
        name = escape(" · ".join(x for x in (copy.source or copy.title, copy.published) if x))
        url = href(copy.url)
        link = f'<a href="{url}" target="_blank" rel="noopener">{name}</a>' if url else name
        items.append(f"<li>{link}</li>")
    label = labels(language)["also"] + ":"
    return f'<div class="source-also">{label}<ul>{"".join(items)}</ul></div>' if items else ""


def stats_markdown(stats) -> str:
    """The index panel's summary: totals, then articles/chunks per language and source
    (sources and languages are article metadata, so escaped)."""
    if stats.chunks == 0:
        return (
            "**The index is empty.** Upload articles below (txt, md, html, jsonl) or run "
            "`assistant ingest corpus`."
        )
    lines = [
        f"**{stats.articles} articles, {stats.chunks} chunks** · embedder "
        f"<code>{escape(stats.embedder)}</code> · last update "
        f"{escape(stats.last_update or 'unknown')}",
        "",
        "| | articles | chunks |",
        "|---|---:|---:|",
    ]
    for key in stats.articles_by_language:
        lines.append(
            f"| language <code>{escape(key)}</code> | {stats.articles_by_language[key]} | "
            f"{stats.chunks_by_language.get(key, 0)} |"
        )
    for key in stats.articles_by_source:
        lines.append(
            f"| source {escape(key)} | {stats.articles_by_source[key]} | "
            f"{stats.chunks_by_source.get(key, 0)} |"
        )
    return "\n".join(lines)
