"""Language detection for German and English by function-word counts.

News text and questions are short; a stop-word vote is deterministic, needs no model
and is right for every German/English sentence with a few function words.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zäöüß]+")
GERMAN = frozenset(
    "der die das und ist nicht ein eine einen einem einer den dem des zu mit sich auf für "
    "von im ist sind wurde wurden wer wie was wann wo warum welche welcher welches wieviel "
    "viele hat haben soll sollen nach bei aus auch noch über oder aber wird werden dass "
    "als am vom zum zur hier dies diese dieser sein seine ihr ihre es sie wir kein keine "
    "geht gibt schon nur mehr sagte sagt".split()
)
ENGLISH = frozenset(
    "the and is are was were be been of to in on for with that this what who when where "
    "why which how many much has have had did does do not a an it its by from at as or "
    "but will would should could said says there their they he she his her about into "
    "than more any".split()
)


def detect_language(text: str, default: str = "en") -> str:
    """Return "de" or "en" for ``text``; ``default`` when there is no signal."""
    words = _WORD.findall(text.lower())
    de = sum(w in GERMAN for w in words) + sum(any(c in "äöüß" for c in w) for w in words)
    en = sum(w in ENGLISH for w in words)
    if de == en:
        return default
    return "de" if de > en else "en"
