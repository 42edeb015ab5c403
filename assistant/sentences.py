"""Sentence boundaries with character offsets, for German and English news text.

pysbd is rule-based, deterministic and knows German ordinals ("am 25. Oktober") and
abbreviations, which a regex splitter breaks on.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .records import Span

_PARAGRAPH = re.compile(r"\n\s*\n|\n")


@lru_cache(maxsize=4)
def _segmenter(language: str):
    import pysbd  # imported here: pysbd compiles many regexes on import

    return pysbd.Segmenter(
        language=language if language in ("de", "en") else "en", clean=False, char_span=True
    )


def split_sentences(text: str, language: str) -> list[Span]:
    """Sentence spans of ``text``, never crossing a line break, stripped of white space."""
    spans: list[Span] = []
    offset = 0
    for paragraph_end in [m.start() for m in _PARAGRAPH.finditer(text)] + [len(text)]:
        paragraph = text[offset:paragraph_end]
        if paragraph.strip():
            spans.extend(_split_paragraph(paragraph, offset, language))
        offset = paragraph_end
        while offset < len(text) and text[offset] in "\n\r":
            offset += 1
    return spans


def _split_paragraph(paragraph: str, offset: int, language: str) -> list[Span]:
    spans = []
    cursor = 0
    for piece in _segmenter(language).segment(paragraph):
        # pysbd's char spans can drift on repeated text; locate each piece from the cursor.
        found = paragraph.find(piece.sent, cursor)
        start = found if found >= 0 else piece.start
        end = start + len(piece.sent)
        cursor = end
        stripped = paragraph[start:end]
        left = len(stripped) - len(stripped.lstrip())
        right = len(stripped.rstrip())
        if right > left:
            spans.append(Span(offset + start + left, offset + start + right))
    return spans
