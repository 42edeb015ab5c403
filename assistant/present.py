"""One presenter of an Answer: what a reader is shown, in the answer's language.

The terminal (``assistant ask``, ``chat``), the browser (``server/render.py``: chat message
and source cards) and the Markdown export of a conversation (``conversations/export.py``)
each drew an Answer with their own labels, and they had drifted ("Quellen" in one, "Sources"
in another, three wordings of an unsupported sentence). Here is the one view they draw:
the kind of response (``answer``, ``closest``: the articles don't say what was asked, here
is the nearest evidence; ``none``), the answer text, the sentences the citation check did not
support, and one entry per cited source with its quote and the other outlets that printed
it, with every label from one table. The renderers only choose the markup; the HTML and
Markdown ones escape every text that comes from an article (``untrusted.escape``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .records import Answer, Citation

LABELS = {
    "de": {
        "sources": "Quellen",
        "unsupported": "nicht durch die Quelle gestützt",
        "also": "Auch berichtet von",
        "backs": "Belegt in der Antwort:",
        "no_sources": "Keine Quellen: die Antwort zitiert keinen Artikel.",
        "query": "Suchanfrage",
        "closest": "Keine Antwort in den Artikeln – nächstliegender Beleg",
        "none": "Keine Antwort in den Artikeln",
        "missing": "Nicht in den Artikeln",
    },
    "en": {
        "sources": "Sources",
        "unsupported": "not supported by its source",
        "also": "Also reported by",
        "backs": "Backs these answer sentences:",
        "no_sources": "No sources: the answer cites no article.",
        "query": "Search query",
        "closest": "No answer in the articles – closest evidence",
        "none": "No answer in the articles",
        "missing": "Not in the articles",
    },
}


def labels(language: str) -> dict[str, str]:
    """The label table of ``language`` (English for any other)."""
    return LABELS.get(language, LABELS["en"])


@dataclass(frozen=True)
class Flagged:
    """An answer sentence the citation check did not support, and why."""

    text: str
    reason: str


@dataclass(frozen=True)
class View:
    """What every renderer shows of one Answer."""

    kind: str  # answer | closest | none
    text: str
    language: str
    labels: dict[str, str]
    flagged: tuple[Flagged, ...]
    citations: tuple[Citation, ...]
    missing: tuple[str, ...]
    query: str  # the searched query when it differs from the question, else ""


def view(answer: Answer) -> View:
    """The view of ``answer``."""
    flagged = tuple(
        Flagged(s.text, s.reason or "no support") for s in answer.sentences if not s.supported
    )
    query = answer.query if answer.query and answer.query != answer.question else ""
    return View(
        answer.answer_kind, answer.answer, answer.language, labels(answer.language), flagged,
        answer.citations, answer.missing, query,
    )  # fmt: skip


def source_meta(citation: Citation) -> str:
    """``source, date`` of a cited article (either may be missing)."""
    return ", ".join(x for x in (citation.source, citation.published) if x)


def reported_by(citation: Citation) -> list[str]:
    """Each other outlet of the cited story as ``source, date, url``."""
    return [
        ", ".join(x for x in (r.source or r.title, r.published, r.url) if x)
        for r in citation.also_reported_by
    ]


def quoted(text: str, language: str) -> str:
    """``text`` in the language's quotation marks."""
    return f"„{text}“" if language == "de" else f"“{text}”"


def terminal(answer: Answer) -> str:
    """The answer for a terminal: its kind when it is no answer, the text, the flagged
    sentences, then the sources with their quotes."""
    v = view(answer)
    lines = [f"[{v.labels[v.kind]}]"] if v.kind != "answer" else []
    lines.append(v.text)
    lines += [f"  ! {v.labels['unsupported']}: {f.text!r} ({f.reason})" for f in v.flagged]
    if v.citations:
        lines += ["", f"{v.labels['sources']}:"]
    for c in v.citations:
        meta = source_meta(c)
        lines.append(f"  [{c.n}] {c.title}" + (f" ({meta})" if meta else ""))
        also = "; ".join(reported_by(c))
        if also:
            lines.append(f"      {v.labels['also'].lower()}: {also}")
        lines.append(f"      {quoted(c.quote, v.language)}")
    return "\n".join(lines)
