"""Fields -> a validated Article: every loader (text, HTML, JSONL, PDF, DOCX) ends here.

JSON records are checked by type, not coerced: ``str(42)`` made the article "42" and
``str(["a"])`` the title "['a']" before. An integer id stays allowed (numbered exports).
"""

from __future__ import annotations

import re

from ..errors import ArticleError
from ..language import detect_article_language
from ..records import Article
from .normalize import normalize_date, normalize_text

REQUIRED = ("id", "title", "text")
OPTIONAL = ("published", "source", "url", "language", "date")
_WORD = re.compile(r"[^\W\d_]{2,}")  # two letters in a row, in any script
_LANGUAGE = re.compile(r"^([a-z]{2})(?:[-_][a-z0-9]+)*$")  # de, de-DE, en_US, pt-BR


def make_article(
    meta: dict, default_id: str, path: str, body: str | None = None, encoding: str = ""
) -> Article:
    """Validate the metadata, normalise the text, detect the language when not given."""
    published = normalize_date(meta.get("published") or meta.get("date"))
    language = language_code(meta.get("language"))
    text = _article_text(body if body is not None else str(meta.get("text", "")))
    title = normalize_text(str(meta.get("title") or "")).replace("\n", " ")
    return Article(
        id=str(meta.get("id") or default_id).strip(),
        title=title or title_from_text(text),
        text=text,
        language=language or detect_article_language(text),
        source=str(meta.get("source") or "").strip(),
        url=str(meta.get("url") or "").strip(),
        published=published,
        path=path,
        encoding=encoding,
    )


def _article_text(raw: str) -> str:
    text = normalize_text(raw)
    if not text:
        raise ArticleError("expected article text, got an empty text")
    if not _WORD.search(text):
        raise ArticleError(f"expected article text with words, got {text[:60]!r}")
    return text


def article_from_record(record: object, path: str = "", encoding: str = "") -> Article:
    """An Article from a JSON object with ``id``, ``title``, ``text`` and optional metadata."""
    if not isinstance(record, dict):
        raise ArticleError(f"expected a JSON object, got {_json_type(record)}")
    missing = [key for key in REQUIRED if key not in record]
    if missing:
        raise ArticleError(f"missing required field(s): {', '.join(missing)}")
    for key in (*REQUIRED, *OPTIONAL):
        _check_type(key, record.get(key), required=key in REQUIRED)
    for key in REQUIRED:
        if not str(record[key]).strip():
            raise ArticleError(f"{key}: expected a non-empty string, got {record[key]!r}")
    return make_article(record, str(record["id"]), path, encoding=encoding)


def title_from_text(text: str, limit: int = 90) -> str:
    """The first line of ``text``, cut at a word before ``limit`` characters."""
    first = text.split("\n", 1)[0]
    return first if len(first) <= limit else first[: limit - 1].rsplit(" ", 1)[0] + "…"


def _check_type(key: str, value: object, required: bool) -> None:
    if isinstance(value, str) or (value is None and not required):
        return
    if key == "id" and isinstance(value, int) and not isinstance(value, bool):
        return
    expected = "a string or an integer" if key == "id" else "a string"
    raise ArticleError(f"{key}: expected {expected}, got {_json_type(value)}")


def _json_type(value: object) -> str:
    names = {type(None): "null", bool: "boolean", dict: "object"}
    return names.get(type(value), type(value).__name__)


def language_code(value: object, strict: bool = True) -> str:
    """The ISO 639-1 code of a ``language`` field: "" when absent (or invalid, not strict)."""
    raw = str(value or "").strip().lower()
    match = _LANGUAGE.match(raw)
    if raw and not match and strict:
        raise ArticleError(f"language: expected an ISO 639-1 code such as de or en, got {raw!r}")
    return match.group(1) if match else ""
