"""Sentence boundaries with character offsets, for German and English news text.

pysbd is rule-based, deterministic and knows German ordinals ("am 25. Oktober") and
abbreviations, which a regex splitter breaks on. Its cost grows with the square of the
text it is given (measured: a 20,000-character paragraph 0.17 s, 100,000 characters 2.9 s),
so a paragraph is handed to it in blocks of at most ``BLOCK_CHARS``, cut after a likely
sentence end (or at a space, or anywhere when there is none): linear in the paragraph's
length, and identical for every paragraph shorter than a block (news paragraphs are).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .records import Span

_PARAGRAPH = re.compile(r"\n\s*\n|\n")
_SENTENCE_END = re.compile(r"[.!?…][\"'»«“”’)\]]*\s+")
BLOCK_CHARS = 4000


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
        for start, end in _blocks(paragraph):
            if paragraph[start:end].strip():
                spans.extend(_split_paragraph(paragraph[start:end], offset + start, language))
        offset = paragraph_end
        while offset < len(text) and text[offset] in "\n\r":
            offset += 1
    return spans


def _blocks(paragraph: str, size: int = BLOCK_CHARS) -> list[tuple[int, int]]:
    """Consecutive ranges of at most ``size`` characters covering ``paragraph``."""
    ranges, start = [], 0
    while len(paragraph) - start > size:
        window = paragraph[start : start + size]
        ends = [m.end() for m in _SENTENCE_END.finditer(window, size // 2)]
        cut = ends[-1] if ends else window.rfind(" ", size // 2) + 1 or size
        ranges.append((start, start + cut))
        start += cut
    ranges.append((start, len(paragraph)))
    return ranges


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
