"""Text helpers every stage shares: citation markers, claims, words, numbers, attribution.

A lower module on purpose: retrieval, answering and the citation check all need them, and
none of the earlier stages may import the citation stage.
"""

from __future__ import annotations

import re

from .language import ENGLISH, GERMAN
from .records import Claim
from .sentences import split_sentences

MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")
WORD = re.compile(r"\w+")
NUMBER = re.compile(r"\d+(?:[.,'’ ]\d{3})*(?:[.,]\d+)?")
STOP = GERMAN | ENGLISH
# wording that marks a statement as someone's claim rather than a fact
ATTRIBUTION = re.compile(
    r"\b(zufolge|laut|angeblich|\w*berichte\w*|soll|sollen|sollte|"
    r"reported\w*|according|alleged\w*|claim\w*|reports?|rumou?rs?|"
    r"vermutlich|mutmaßlich|geheimdienst\w*|intelligence)\b",
    re.I,
)


def numbers_in(text: str) -> set[str]:
    """Numbers with thousands separators removed: '12.000' and '12,000' -> '12000'."""
    out = set()
    for raw in NUMBER.findall(text):
        compact = re.sub(r"[.,'’ ](?=\d{3}(?!\d))", "", raw.strip())
        out.add(compact.replace(",", "."))
    return out


def content_words(text: str) -> set[str]:
    """Lower-cased words of three or more letters that are not function words."""
    return {w for w in WORD.findall(text.lower()) if len(w) > 2 and w not in STOP}


def lexical_support(claim: str, passage: str) -> float:
    """Share of the claim's content words that occur in the passage (1.0 for no words)."""
    words = content_words(claim)
    if not words:
        return 1.0
    return len(words & content_words(passage)) / len(words)


def parse_claims(answer: str, language: str) -> list[Claim]:
    """Split a drafted answer into sentences and collect each sentence's markers.

    A marker standing alone after a sentence boundary ("… Moskau. [2]") belongs to the
    sentence before it.
    """
    claims: list[Claim] = []
    for span in split_sentences(answer, language):
        piece = answer[span.start : span.end]
        markers = tuple(
            int(n) for group in MARKER.findall(piece) for n in re.split(r"\s*,\s*", group)
        )
        text = MARKER.sub("", piece).strip()
        if not re.search(r"\w", text) and claims:  # only markers: attach to previous claim
            prev = claims.pop()
            claims.append(Claim(prev.text, prev.markers + markers))
        elif text:
            claims.append(Claim(text, markers))
    return claims
