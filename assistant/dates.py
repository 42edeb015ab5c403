"""Dates in questions: "gestern", "letzte Woche", "since 25 October" -> a published-date window.

``dateparser.search.search_dates`` (``languages=[question language]``, ``RELATIVE_BASE`` =
the request's ``as_of``, past dates preferred) finds and resolves the expressions, and its
``DateDataParser`` says how wide each one is (day, week, month). Little is hand-written:

* **Anchors.** ``search_dates`` alone is far too eager: over the 1,224 XQuAD questions
  (612 de + 612 en, ``../shared/data/xquad-dev.*.json``) it matched 336, mostly German
  articles ("die" read as "Di", Tuesday), "mit", "may", "now", scores ("24-10"), ages ("38
  Jahre") and decades ("the 1970s"). A match only counts when it holds an anchor: a
  capitalised month or weekday name, or a relative phrase ("gestern", "letzte Woche", "this
  month"). Measured with this module (``as_of`` 2024-10-28): **6 of 1,224** questions get a
  window, all real month-and-year dates ("in October 1954", "im Mai 2012", "seit Januar
  2016", each in both languages); **0 false positives** (no window without a time
  expression). None of the 114 news eval questions gets one.
* **Bare names are not windows.** A weekday or month without a day or year ("am Montag",
  "on Tuesday", "im Januar") counts only after "seit/since/bis/until": such questions echo
  the article's own words, whatever its age (3 of the 114 news eval questions and the
  hostile-article test would otherwise lose their article).
* **Years are not windows.** "in 2024", "im Jahr 2016", "last year" resolve to nothing:
  news questions name the year of the event, not of the report (the news eval set asks
  "Which Russian city will host the Winter Universiade in 2019?" of a 2016 article, "Wie
  hoch war der Verlust von Opel im Jahr 2016?" of a 2017 one; a year window would hide
  both). "today"/"heute"/"now" are not windows either ("visible even today").
* **Widths.** A day is that day; a week is the calendar week, Monday to Sunday, that
  dateparser's date falls in (so on Monday 28 October "letzte Woche" is 21-27 October, the
  week readers mean, not the 7 days before); a month is the whole month. "seit/since/ab/
  from X" runs from X's start to ``as_of``; "bis/until/till X" from any day to X's end.
  Several expressions ("vom 1. bis 5. Oktober") give the smallest window covering all.
* **Explicit filters win.** The question's window is intersected with the request's
  ``published_from``/``published_to``; when both are given the request's range is used as
  it is (the user set it on purpose; the question may only repeat it in words).
* **Latest.** "neueste Stand", "aktuell", "zuletzt", "latest", "most recent": among the
  candidates within ``LATEST_MARGIN`` cosine of the best one, chunks of articles older
  than the newest such article are left out before ranking, so the newest near-top report
  is the one answered from; weaker candidates stay (a margin, not a window: an old but
  much better match is still found). ``bench/latest_margin.py`` on the 5 "latest" items of
  ``evals/news-dates`` (2026-11-28T14:51Z): margin 0 (plain ranking) 0 of 5 correct, .02
  2 of 5, .05 to 1.0 all 3 of 5 (hit@1 .4): .1 sits on that plateau (5 items are few).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import replace
from datetime import date, datetime, timedelta

from .records import DateWindow, Filters, Retrieval, parse_day

MONTHS = {
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "en": "January February March April May June July August September October November December",
}
MONTH_NAMES = {lang: names.split() for lang, names in MONTHS.items()}
ANCHOR = re.compile(
    r"\b(?:Jänner|" + "|".join(MONTHS["de"].split() + MONTHS["en"].split()) + r"|Montag|"
    r"Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag|Monday|Tuesday|Wednesday|Thursday|"
    r"Friday|Saturday|Sunday)\b|(?i:\b(?:vorgestern|gestern|yesterday|(?:letzte|vorige|"
    r"vergangene|diese)[nrms]?\s+(?:Woche|Monat)|(?:last|this|past|previous)\s+(?:week|month))\b)"
)
RELATIVE = re.compile(
    r"(?i)\b(?:vorgestern|gestern|yesterday|last|this|past|previous|letzte|vorige|"
    r"vergangene|diese)"
)
SINCE = {"seit", "since", "ab", "from"}
UNTIL = {"bis", "until", "till"}
LATEST = re.compile(
    r"(?i)\b(?:neueste[nrms]?|aktuelle[nrms]?|aktuell|zuletzt|jüngste[nrms]?|latest|"
    r"most recent|newest|recently)\b"
)
LATEST_MARGIN = 0.1  # cosine below the best candidate within which newer articles win
Window = tuple[date | None, date | None]


def parse_as_of(value: str | date | None) -> date | None:
    """The reference day from any channel (blank = today); the one as_of message."""
    return parse_day("as_of", value)


def resolve(question: str, language: str, as_of: date) -> Window | None:
    """The published-date window the question names, or None when it names none."""
    from dateparser.search import search_dates

    base = datetime(as_of.year, as_of.month, as_of.day)
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"}
    found = search_dates(question, languages=[language], settings=settings) or []
    windows = [w for text, when in found if (w := _window(question, text, when, language, base))]
    if not windows:
        return None
    starts, ends = [w[0] for w in windows], [w[1] for w in windows]
    start = None if None in starts else min(d for d in starts if d)
    end = None if None in ends else max(d for d in ends if d)
    return start, end


def _window(question: str, text: str, when: datetime, language: str, base: datetime):
    """The window of one matched expression, or None when it holds no anchor or is a year."""
    if not ANCHOR.search(text):
        return None
    bare = not RELATIVE.search(text) and not any(ch.isdigit() for ch in text)
    if bare and not _before(question, text) & (SINCE | UNTIL):
        return None  # "am Montag", "im Januar" echo the article's own words
    period = _period(text, language, base)
    if period == "year":
        return None
    start, end = _widen(when.date(), period)
    if _since(question, text):
        return start, base.date()
    if _before(question, text) & UNTIL:
        return None, end
    return start, end


def _period(text: str, language: str, base: datetime) -> str:
    """How wide dateparser reads ``text``: "day", "week", "month" or "year"."""
    from dateparser.date import DateDataParser

    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"}
    parser = DateDataParser(languages=[language], settings=settings)
    words = text.split()
    while words:  # "am 25. Oktober", "in May of 2012": dateparser reads what follows
        data = parser.get_date_data(" ".join(words))
        if data.date_obj is not None:
            return data.period or "day"
        words = words[1:]
    return "day"


def _widen(day: date, period: str) -> tuple[date, date]:
    if period == "week":
        monday = day - timedelta(days=day.weekday())
        return monday, monday + timedelta(days=6)
    if period == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last)
    return day, day


def _before(question: str, text: str) -> set[str]:
    """The word before ``text`` in the question and its first word, lower case."""
    at = question.find(text)
    previous = question[:at].split()[-1:] if at > 0 else []
    return {w.lower().strip(",.") for w in [*previous, *text.split()[:1]]}


def _since(question: str, text: str) -> bool:
    return bool(_before(question, text) & SINCE)


def date_window(question: str, language: str, as_of: date, filters: Filters) -> DateWindow | None:
    """The question's window intersected with the explicit date filters, with its label."""
    window = resolve(question, language, as_of)
    if window is None:
        return None
    if filters.published_from and filters.published_to:
        window = (filters.published_from, filters.published_to)
    start = _latest(window[0], filters.published_from)
    end = _earliest(window[1], filters.published_to)
    return DateWindow(start, end, window_label(start, end, language))


def _latest(a: date | None, b: date | None) -> date | None:
    return max(a, b) if a and b else a or b


def _earliest(a: date | None, b: date | None) -> date | None:
    return min(a, b) if a and b else a or b


def windowed(filters: Filters, window: DateWindow) -> Filters | None:
    """``filters`` restricted to ``window``; None when the window is empty."""
    if window.start and window.end and window.start > window.end:
        return None
    return replace(filters, published_from=window.start, published_to=window.end)


def format_day(day: date, language: str, year: bool = True, month: bool = True) -> str:
    """``25. Oktober 2024`` / ``25 October 2024`` (month and year can be left off)."""
    name = MONTH_NAMES[language][day.month - 1]
    text = f"{day.day}." if language == "de" else f"{day.day}"
    return text + (f" {name}" if month else "") + (f" {day.year}" if year else "")


def span_text(start: date | None, end: date | None, language: str) -> str:
    """``21.–27. Oktober 2024``, ``28. September – 27. Oktober 2024``, ``25 October 2024``."""
    language = language if language in MONTH_NAMES else "en"
    if start is None or end is None:
        return format_day(start or end or date.today(), language)
    if start == end:
        return format_day(start, language)
    same_year = start.year == end.year
    if same_year and start.month == end.month:
        return f"{format_day(start, language, False, False)}–{format_day(end, language)}"
    return f"{format_day(start, language, not same_year)} – {format_day(end, language)}"


def window_label(start: date | None, end: date | None, language: str) -> str:
    """What the answer shows: "Artikel vom 21.–27. Oktober 2024" / "Articles from ..."."""
    span = span_text(start, end, language)
    if language == "de":
        return f"Artikel bis {span}" if start is None else f"Artikel vom {span}"
    return f"Articles until {span}" if start is None else f"Articles from {span}"


def empty_text(window: DateWindow, language: str) -> str:
    """The decline when the window leaves no article that answers."""
    span = span_text(window.start, window.end, language)
    if language == "de":
        until = "bis " if window.start is None else ""
        return f"Im Zeitraum {until}{span} gibt es keine Artikel dazu."
    word = "until" if window.start is None else "on" if window.start == window.end else "between"
    return f"There are no articles on this {word} {span}."


def note_text(window: DateWindow, language: str, answered: bool = True) -> str:
    """The line under an answer: the window (a decline has named it already), and the
    undated articles it did not consider; "" when there is nothing to add."""
    undated = ""
    if window.undated:
        undated = (
            f"({window.undated} Artikel ohne Datum nicht berücksichtigt)"
            if language == "de"
            else f"({window.undated} undated articles not considered)"
        )
    if not answered:
        return undated
    return f"{window.text} {undated}".strip() + "."


def is_latest(question: str) -> bool:
    """Whether the question asks for the newest state of a story."""
    return bool(LATEST.search(question))


def prefer_latest(retrieval: Retrieval, margin: float = LATEST_MARGIN) -> Retrieval:
    """Leave out near-top candidates of articles older than the newest near-top article."""
    candidates = retrieval.candidates
    if not candidates:
        return retrieval
    best = max(c.similarity for c in candidates)
    near = [c for c in candidates if c.similarity >= best - margin]
    newest = max((c.chunk.published for c in near), default="")
    if not newest:
        return retrieval
    older = {c.chunk.id for c in near if c.chunk.published and c.chunk.published < newest}
    kept = tuple(c for c in candidates if c.chunk.id not in older)
    aside = tuple(c for c in candidates if c.chunk.id in older)
    return replace(retrieval, candidates=kept, set_aside=(*retrieval.set_aside, *aside))
