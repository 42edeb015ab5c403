"""What a question asks for, and the spans of that kind a sentence holds.

Question words decide the expected answer type (wie viele / how many -> number, wann /
when -> date, wer / who -> person, wo / where -> place). Spans are found by patterns
(numbers, number words, dates with German and English month names, years) and, for names,
by capitalisation; in German, where every noun is capitalised, the Wiktionary noun list of
the ``german-nouns`` package tells common nouns ("Truppen") from places ("Pjöngjang",
toponyms) and people (first and last names). No NER model ships with its weights on PyPI
(MEASUREMENTS.md), so names stay a heuristic; the fitted answer model weighs them.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache

from ..text import STOP

NUMBER, DATE, PERSON, PLACE, NAME, OTHER = "number", "date", "person", "place", "name", "other"
MONEY = "money"
KINDS = (NUMBER, DATE, PERSON, PLACE, NAME, MONEY)

_QUESTION_PATTERNS = [
    (
        MONEY,
        r"\b(wie ?viel (geld|kostet|kosten|kostete|zahlt|zahlen|zahlte|bezahlt|verdient|erhält|"
        r"bekommt)|wie teuer|welche[rn]? (summe|betrag|preis)|how much (money|does|did|do|is|"
        r"was|are|were)\b.*\b(cost|pay|paid|earn|charge|worth|spend|spent|raise|receive)|"
        r"what (price|sum|amount of money))",
    ),
    (
        DATE,
        r"\b(wann|seit wann|bis wann|in welche[mn]? (jahr|jahrhundert|monat|jahrzehnt)|"
        r"welche[ms]? (jahr|datum|jahrhundert)|an welchem tag|when|what (year|date|century|day|"
        r"decade|month)|which (year|date|century|day)|in what (year|century|decade))\b",
    ),
    (
        NUMBER,
        r"\b(wie ?viele?|wie (hoch|groß|gross|lang|lange|alt|weit|oft|schwer|stark|breit|"
        r"tief|schnell)|welche[rn]? (anzahl|prozentsatz|betrag)|how (many|much|long|old|far|"
        r"large|big|high|often|tall|heavy|fast|deep|wide)|what (percentage|percent|number|"
        r"amount|proportion))\b",
    ),
    (
        PERSON,
        r"^(\W*)(wer|wem|wen|wessen|who|whom|whose)\b|\b(wer|wem|wen|wessen|who|whom|whose)\b",
    ),
    (
        PLACE,
        r"\b(wo|wohin|woher|in welche[mrn]? (land|stadt|staat|region|ort|gegend|provinz)|"
        r"where|what (country|city|state|region|town|place)|which (country|city|state|region|"
        r"town|place))\b",
    ),
    (
        NAME,
        r"\b(wie (heißt|hieß|heißen|hießen|lautet|lautete|nennt|nannte|nennen)|welche[rsmn]? "
        r"(spieler\w*|unternehmen|firma|team|mannschaft|band|partei|verein|zeitung|sender|"
        r"organisation|gruppe|marke|schule|universität)|(what|which) (company|team|player|"
        r"group|band|party|organization|network|station|club|newspaper|brand|school|"
        r"university)|what (is|was|were|are) the names?)\b",
    ),
]
_MONTHS = (
    "januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|"
    "dezember|january|february|march|may|june|july|october|december|jan|feb|mar|apr|jun|"
    "jul|aug|sept?|oct|okt|nov|dec|dez"
)
# A weekday is never a name: "Monday" answered "which company" and "Sunday" "where" as
# names on the news sets (2026-12-07). Nor is it a date span: typed as dates, weekdays
# turned "The Independent on Sunday" into a date and gave "Monday" leads for "when will
# the book be out" (docs/evaluation.md).
_WEEKDAYS = (
    "(?:montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonnabend|sonntag)"
    "(?:abend|morgen|nachmittag|vormittag|mittag|nacht)?|monday|tuesday|wednesday|thursday|"
    "friday|saturday|sunday"
)
# Every month name ends at a word boundary ("Januar" is not "19 Januar" of "19 January") and
# so does every day ("April 20" is not a date of "April 2015").
_DATE = re.compile(
    rf"\b(\d{{1,2}}\.?\s*(-|–|bis)\s*)?\d{{1,2}}\.\s*({_MONTHS})\b(\s+\d{{4}})?"
    rf"|\b({_MONTHS})\.?\s+\d{{1,2}}(st|nd|rd|th)?\b(,?\s+\d{{4}})?"
    rf"|\b({_MONTHS})\s+\d{{4}}\b|\b\d{{1,2}}(st|nd|rd|th)?\s+(of\s+)?({_MONTHS})\b(\s+\d{{4}})?"
    r"|\b(1[0-9]{3}|20[0-9]{2})(er|s)?\b|\b\d{1,2}\.\s*(jahrhundert|jh\.)|\b\d{1,2}(st|nd|rd|th)\s+century",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    "zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|"
    "hundert|tausend|dutzend|dutzende|hunderte|tausende|million|millionen|milliarde|"
    "milliarden|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
    "thirty|forty|fifty|hundred|hundreds|thousand|thousands|dozen|dozens|million|"
    "millions|billion|billions"
)
_QUALIFIER = (
    r"(?:fast|knapp|rund|etwa|circa|ca\.|über|mehr als|weniger als|bis zu|mindestens|"
    r"höchstens|nearly|almost|about|around|roughly|over|more than|less than|up to|"
    r"at least|some)\s+"
)
_NUMBER = re.compile(
    rf"(?:\b{_QUALIFIER})?(?P<value>\b\d+(?:[.,'’ ]\d{{3}})*(?:[.,]\d+)?\b|\b(?:{_NUMBER_WORDS})\b)"
    r"(?:\s*(?:%|prozent|percent|mio\.?|mrd\.?|million(?:en)?|milliarden?|billion|thousand|"
    r"tausend|hundert|hundred)\b)?",
    re.IGNORECASE,
)
_CAPITAL = re.compile(
    r"\b[A-ZÄÖÜ][\w’'-]*(?:\s+(?:(?:von|van|de|der|del|da|bin|al|el|of|the|le|la)\s+)?"
    r"[A-ZÄÖÜ][\w’'-]*)*"
)
_CURRENCY_SIGNS = "$€£¥"
_CURRENCY = re.compile(
    r"[$€£¥]|\b(euro|euros|dollar|dollars|us-dollar|rubel|rubles?|pfund|pounds?|"
    r"franken|francs?|yuan|won|yen|cent|cents|eur|usd|chf|gbp)\b",
    re.IGNORECASE,
)
_NEXT_WORD = re.compile(r"\s+([^\W\d_][\w-]*)")
_PLACE_BEFORE = re.compile(
    r"\b(in|im|nach|aus|bei|von|vor|at|near|from|to|into)\s+$", re.IGNORECASE
)
_PERSON_BEFORE = re.compile(
    r"\b(präsident|präsidentin|minister|ministerin|kanzler|kanzlerin|"
    r"herr|frau|dr\.|president|minister|chancellor|mr\.?|mrs\.?|ms\.?|"
    r"sir|king|queen|könig|königin|papst|pope)\s+$",
    re.IGNORECASE,
)


# A capitalised adjective is an inflected one ("Russische", "Wichtigen"): uninflected, the
# ending is a surname's as often ("Schaunig", "Ludwig") and sentence starts are handled apart.
_ADJECTIVE = re.compile(r"(isch|lich|ig|ern|sam|bar)(e|er|en|es|em)$|^[A-Z]{2,}-[a-zäöü]")


@dataclass(frozen=True)
class TypedSpan:
    """A span of ``text`` holding a value of one kind (number, date, person, place, name)."""

    kind: str
    start: int
    end: int
    text: str


_VERIFICATION = re.compile(
    r"\b(erwiesen|bewiesen|belegt|bestätigt|gesichert|ist es wahr|stimmt es|"
    r"confirmed|proven|verified|is it true|true that)\b",
    re.IGNORECASE,
)


def asks_verification(question: str) -> bool:
    """A question whether a claim is established ("Ist erwiesen, dass ...?")."""
    return bool(_VERIFICATION.search(question))


def question_type(question: str) -> str:
    """The kind of value the question asks for, or "other": the kind whose question phrase
    comes first ("How old was Breslin when he died?" asks for an age, not a date; "Which
    band was on stage when ...?" for a name), the pattern order breaking a tie."""
    lowered = question.lower()
    found = [
        (m.start(), n, kind)
        for n, (kind, pattern) in enumerate(_QUESTION_PATTERNS)
        if (m := re.search(pattern, lowered))
    ]
    return min(found)[2] if found else OTHER


@lru_cache(maxsize=32768)
def typed_spans(text: str, language: str) -> tuple[TypedSpan, ...]:
    """Dates, numbers and names in ``text``; a number inside a date is not also a number."""
    spans = [TypedSpan(DATE, m.start(), m.end(), m.group()) for m in _DATE.finditer(text)]
    taken = [(s.start, s.end) for s in spans]
    for m in _NUMBER.finditer(text):
        if not _inside(m.start("value"), m.end("value"), taken):
            start, end = m.start(), _counted_noun_end(text, m.end(), language)
            before = text[:start].rstrip(" ")
            if before and before[-1] in _CURRENCY_SIGNS:
                start = len(before) - 1
            kind = MONEY if _CURRENCY.search(text[start:end]) else NUMBER
            spans.append(TypedSpan(kind, start, end, text[start:end]))
    spans.extend(_names(text, language, taken))
    return tuple(sorted(spans, key=lambda s: s.start))


def _counted_noun_end(text: str, end: int, language: str) -> int:
    """Where "12.000" + "Truppen" / "12,000" + "troops" ends: the number with what it counts."""
    m = _NEXT_WORD.match(text, end)
    if not m:
        return end
    word = m.group(1)
    counted = word[0].isupper() if language == "de" else word.islower() and word not in STOP
    return m.end() if counted else end


def _inside(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(a <= start and end <= b for a, b in taken)


def _names(text: str, language: str, taken: list[tuple[int, int]]) -> list[TypedSpan]:
    lexicon = german_lexicon()
    out = []
    for m in _CAPITAL.finditer(text):
        for start, end in _name_runs(text, m, language, lexicon):
            if _inside(start, end, taken) or re.fullmatch(_MONTHS, text[start:end].lower()):
                continue
            if re.fullmatch(_WEEKDAYS, text[start:end].lower()) or _credit(text, start, end):
                continue
            tokens = text[start:end].split()
            if len(tokens) == 1 and tokens[0].lower() in STOP:  # "Am 19. Januar", "The"
                continue
            if _sentence_start(text, start) and len(tokens) == 1 and not lexicon.known(tokens[0]):
                continue
            out.append(
                TypedSpan(_name_kind(text, start, tokens, lexicon), start, end, text[start:end])
            )
    return out


# news agencies credited in a dateline: "MOSCOW, March 28. /TASS/.", "WIEN (APA) -"
_AGENCIES = frozenset("ap afp apa dpa kna reuters sda tass ria xinhua ansa efe epd".split())


def _credit(text: str, start: int, end: int) -> bool:
    """A news agency's credit, not a name the sentence reports on: a word in slashes
    ("/TASS/"), or a known agency in parentheses ("(APA)")."""
    before, after = text[start - 1 : start], text[end : end + 1]
    if before == after == "/":
        return True
    return before == "(" and after == ")" and text[start:end].lower() in _AGENCIES


def _name_runs(text: str, m: re.Match, language: str, lexicon: GermanLexicon):
    """The parts of a capitalised run that are names; in German, common nouns split runs."""
    if language != "de":
        yield m.start(), m.end()
        return
    run: list[tuple[int, int]] = []
    for t in re.finditer(r"\S+", m.group()):
        word = t.group()
        if word[0].isupper() and not lexicon.is_common(word):
            run.append((m.start() + t.start(), m.start() + t.end()))
        elif word[0].isupper() or not run:
            if run:
                yield run[0][0], run[-1][1]
            run = []
    if run:
        yield run[0][0], run[-1][1]


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?:;„“\"'(«»"


def _name_kind(text: str, start: int, tokens: list[str], lexicon: GermanLexicon) -> str:
    before = text[:start]
    if _PERSON_BEFORE.search(before) or (len(tokens) >= 2 and tokens[0] in lexicon.people):
        return PERSON
    if any(t in lexicon.places for t in tokens) or _PLACE_BEFORE.search(before):
        return PLACE
    if any(t in lexicon.people for t in tokens) or len(tokens) >= 2:
        return PERSON
    return NAME


@dataclass(frozen=True)
class GermanLexicon:
    """Word forms from Wiktionary's German nouns: common nouns, places, people's names."""

    common: frozenset[str]
    places: frozenset[str]
    people: frozenset[str]

    def is_common(self, word: str) -> bool:
        """A common noun, an adjective form, or a compound ending in a common noun."""
        word = word.strip(".,;:!?\"'„“()")
        if self.known(word):
            return False
        if word in self.common or _ADJECTIVE.search(word):
            return True
        return any(word[i:].capitalize() in self.common for i in range(3, len(word) - 3))

    def known(self, word: str) -> bool:
        """A place or a person's name."""
        return word in self.places or word in self.people


@lru_cache(maxsize=1)
def german_lexicon() -> GermanLexicon:
    """Loaded once per process from the ``german-nouns`` package (about 1 s)."""
    from importlib.resources import files

    common: set[str] = set()
    places: set[str] = set()
    people: set[str] = set()
    with files("german_nouns").joinpath("nouns.csv").open(encoding="utf-8") as handle:
        rows = csv.reader(handle)
        next(rows)
        for row in rows:
            forms = {f for f in row[7:] if f} | {row[0]}
            pos = row[1]
            target = (
                places
                if "Toponym" in pos
                else people
                if ("Vorname" in pos or "Nachname" in pos)
                else common
                if "Eigenname" not in pos
                else None
            )
            if target is not None:
                target.update(forms)
    return GermanLexicon(frozenset(common), frozenset(places - common), frozenset(people - common))
