"""Text cleaning shared by every loader: Unicode NFC, one space, one newline per paragraph."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from ..errors import ArticleError

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d.%m.%Y", "%Y-%m", "%Y")


def normalize_text(text: str) -> str:
    """NFC, no invisible characters, single spaces, paragraphs separated by one newline."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def normalize_date(value: object) -> str:
    """An ISO date ``YYYY-MM-DD`` from common spellings; "" for no value."""
    if value in (None, ""):
        return ""
    if isinstance(value, (date, datetime)):
        return value.strftime("%Y-%m-%d")
    raw = str(value).strip()
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).strftime("%Y-%m-%d")
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).strftime("%Y-%m-%d")
        except ValueError:
            continue
    raise ArticleError(f"published: expected a date such as 2024-10-25, got {raw!r}")
