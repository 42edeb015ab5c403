"""What is asked and what is read: articles, filters, the request, the date window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..errors import QuestionError


@dataclass(frozen=True)
class Article:
    """One cleaned article, as read by a loader."""

    id: str
    title: str
    text: str
    language: str
    source: str = ""
    url: str = ""
    published: str = ""  # ISO date (YYYY-MM-DD) or "" when unknown
    path: str = ""  # the file it came from
    encoding: str = ""  # how its file's bytes were read ("utf-8", "cp1252", ...); "" for PDF/DOCX


@dataclass(frozen=True)
class Filters:
    """Restrictions on which chunks a question may be answered from."""

    language: str | None = None
    source: str | None = None
    published_from: date | None = None  # inclusive; undated articles never match a date
    published_to: date | None = None

    @classmethod
    def parse(
        cls,
        language: str | None = None,
        source: str | None = None,
        published_from: str | date | None = None,
        published_to: str | date | None = None,
    ) -> Filters:
        """The one parser of filters from the CLI, the UI and the HTTP APIs (blank = any)."""
        language = (language or "").strip().lower() or None
        if language not in (None, "de", "en"):
            raise QuestionError(f"expected the language filter 'de' or 'en', got {language!r}")
        return cls(
            language,
            (source or "").strip() or None,
            parse_day("published_from", published_from),
            parse_day("published_to", published_to),
        )

    def __post_init__(self):
        if self.published_from and self.published_to and self.published_from > self.published_to:
            raise QuestionError(
                f"expected published_from on or before published_to, got "
                f"{self.published_from} > {self.published_to}"
            )


def parse_day(label: str, value: str | date | None) -> date | None:
    """A day from ``YYYY-MM-DD`` (blank or None: no day); QuestionError naming ``label``."""
    if isinstance(value, date) or value is None:
        return value
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        raise QuestionError(f"expected {label} as YYYY-MM-DD, got {value!r}") from None


@dataclass(frozen=True, kw_only=True)
class AskRequest:
    """One question as every channel asks it: CLI, Python, HTTP, OpenAI, MCP, the UI.
    Keyword arguments only: six channels build it, and by position a new field would
    shift every later one silently."""

    question: str
    history: tuple[tuple[str, str], ...] = ()  # earlier (question, answer) turns
    filters: Filters = Filters()
    top_k: int | None = None  # chunks an answer may cite; None: the configured number
    as_of: date | None = None  # the day "gestern", "last week" are counted from; None: today
    timeline: bool | None = None  # dated quotes in date order; None: when the question asks
    conversation_id: str | None = None  # the stored conversation this turn continues


@dataclass(frozen=True)
class DateWindow:
    """The published-date window a question names ("letzte Woche"), as retrieval applied it."""

    start: date | None  # inclusive; None: no lower bound
    end: date | None  # inclusive; before ``start`` when the filters leave no day
    text: str  # how the answer shows it: "Artikel vom 21.–27. Oktober 2024"
    undated: int = 0  # articles without a date that the window left out

    def to_dict(self) -> dict:
        """``{"from", "to", "text", "undated"}``, days as YYYY-MM-DD or null."""
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "text": self.text,
            "undated": self.undated,
        }
