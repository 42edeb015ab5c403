"""The measure a question asks for, and whether a value span is of that measure.

A lead value is only shown when it is of the type asked for (issue: a clock time given for a
weight, an age for "how many times", a preposition for "who"). ``question_type`` (types.py)
says number / date / person / place / name / money; here a number question is narrowed to
the measure its words ask for (wie schwer / how heavy: a mass; wie lange / how long: a
duration; wie weit / how far: a length; wie alt / how old: an age; wie oft / how often / how
many times: a count of times; wie schnell / how fast: a speed; what percentage: a share), and
a span is given the measure of the unit after its number. Units are resolved by **pint**
(a maintained unit registry: "kg", "km/h", "hours", "tonnes" -> their dimensionality); the
German unit words pint does not know are mapped to its names by ``GERMAN_UNITS``. A span
with no unit is a plain count (or amount), which answers "wie viele / how many" and nothing
narrower.
"""

from __future__ import annotations

import re
from functools import lru_cache

MASS, DURATION, LENGTH, AGE, TIMES, SPEED, SHARE, TEMPERATURE, AREA, CLOCK = (
    "mass", "duration", "length", "age", "times", "speed", "share", "temperature", "area",
    "clock",
)  # fmt: skip

_ASKS = [
    (AGE, r"\b(wie alt|how old|what age|at what age|in welchem alter|im alter von wie)"),
    (TIMES, r"\b(wie oft|wie häufig|wievielmal|how often|how many times|how frequently)\b"),
    (MASS, r"\b(wie schwer|wie viel wog|how heavy|how much did .* weigh|what weight|"
           r"welches gewicht)\b"),
    (SPEED, r"\b(wie schnell|how fast|at what speed|mit welcher geschwindigkeit)\b"),
    (DURATION, r"\b(wie lange|how long (did|does|do|will|was|were|has|have|had|is|are|would)\b|"
               r"for how long|wie viele (jahre|monate|wochen|tage|stunden|minuten)|how many "
               r"(years|months|weeks|days|hours|minutes))"),
    (LENGTH, r"\b(wie weit|wie lang\b|wie tief|wie breit|how far|how long is|"
             r"how tall|how deep|how wide|what distance|welche (entfernung|strecke|länge))"),
    (SHARE, r"\b(wie viel prozent|welche[rn]? (anteil|prozentsatz)|what (percentage|percent|"
            r"share|proportion))"),
    (TEMPERATURE, r"\b(wie (warm|kalt|heiß)|how (warm|cold|hot)|what temperature)\b"),
]  # fmt: skip

GERMAN_UNITS = {
    "tonne": "tonne", "tonnen": "tonne", "kilogramm": "kilogram", "kilo": "kilogram",
    "kilos": "kilogram",  # pint reads "kilos" as kilo-seconds
    "gramm": "gram", "pfund": "pound", "kilometer": "kilometer", "meter": "meter",
    "zentimeter": "centimeter", "millimeter": "millimeter", "meilen": "mile",
    "stunde": "hour", "stunden": "hour", "minute": "minute", "minuten": "minute",
    "sekunde": "second", "sekunden": "second", "tag": "day", "tage": "day", "tagen": "day",
    "woche": "week", "wochen": "week", "monat": "month", "monate": "month",
    "monaten": "month", "jahr": "year", "jahre": "year", "jahren": "year",
    "jahrzehnte": "decade", "jahrzehnten": "decade", "prozent": "percent",
    "grad": "degree", "quadratkilometer": "km**2", "quadratmeter": "m**2", "hektar": "hectare",
    "stundenkilometer": "km/h", "knoten": "knot",
}  # fmt: skip
_UNIT_AFTER = re.compile(r"\s*(?:-\s*)?([%°]|[^\W\d_][\w/²]*(?:\s*(?:pro|per|je|/)\s*\w+)?)")
_AGE_WORDS = re.compile(r"(jährig|jährige[nmrs]?|years? old|year-old|jahre alt|alter von|"
                        r"aged|im alter|\bmit\s+\d+\s+jahren)", re.IGNORECASE)  # fmt: skip
# a sentence that is only an age ("He was 88.", "Sie wurde 92."): the age of who the
# sentence before names, as obituaries put it
_BARE_AGE = re.compile(
    r"\s*(he|she|er|sie)\s+(was|is|turned|would have been|war|ist|wurde|wäre)\s+(\d{1,3})"
    r"(\s+(jahre|years))?\s*[.!]?\s*",
    re.IGNORECASE,
)
# number words that scale the number before the unit ("1.8 billion light years")
_SCALE = re.compile(r"\s*(thousand|million|billion|trillion|tausend|millionen|"
                    r"milliarden|milliarde|mio\.?|mrd\.?)\b", re.IGNORECASE)  # fmt: skip
_DIGITS = re.compile(r"\d[\d.,']*")
_RANGE = re.compile(r"\s*(?:to|bis|-|–|and|und|or|oder)\s*\d[\d.,']*", re.IGNORECASE)
_WORD_NUMBER = re.compile(r"\b[^\W\d_]+\b")
_CLOCK = re.compile(r"^\s*(uhr|a\.?m\.?|p\.?m\.?|o'clock)\b|^:\d\d", re.IGNORECASE)
_TIMES_WORDS = re.compile(r"\b(mal|male|times|once|twice)\b|\w+mal\b", re.IGNORECASE)


def asked_measure(question: str) -> str:
    """The measure the question's words ask for ("" when it asks for no particular one)."""
    lowered = question.lower()
    return next((m for m, pattern in _ASKS if re.search(pattern, lowered)), "")


_COUNTED = re.compile(r"\b(?:how many|wie ?viele?)\s+([^\W\d_][\w²]*)", re.IGNORECASE)


def counted_measure(question: str) -> str:
    """The measure of the unit a "how many" question counts ("How many hectares ...?": an
    area; "Wie viele Minuten ...?": a duration), "" when it counts things ("how many
    people"). Looser than ``asked_measure``: a value with no unit may still answer it
    ("4.9 Milliarden" minutes); only a value of another measure does not ("250 kilos")."""
    match = _COUNTED.search(question)
    if not match:
        return ""
    return _DIMENSIONS.get(unit_dimension(match.group(1)), "")


@lru_cache(maxsize=1)
def _registry():
    import pint

    return pint.UnitRegistry()


# words pint reads as units that in news text are something else ("12 in Berlin": inch)
NOT_UNITS = frozenset(
    "a an at in are is as be by point points bar pi dozen percent_ count counts b c d e f "
    "k l n p q r u v w x y z".split()
)


@lru_cache(maxsize=4096)
def unit_dimension(word: str) -> str:
    """pint's dimensionality of a unit word ("kg" -> "[mass]"), "" when it is no unit."""
    if word.lower() in NOT_UNITS:
        return ""
    name = GERMAN_UNITS.get(word.lower(), word)
    if name in ("%",):
        name = "percent"
    try:
        units = _registry().parse_units(name)
    except Exception:  # pint raises several types for a word that is no unit
        return ""
    dims = str(units.dimensionality)
    return "dimensionless" if dims == "dimensionless" and name == "percent" else dims


_DIMENSIONS = {
    "[mass]": MASS, "[time]": DURATION, "[length]": LENGTH, "[length] / [time]": SPEED,
    "[temperature]": TEMPERATURE, "[length] ** 2": AREA, "dimensionless": SHARE,
}  # fmt: skip


def span_measure(sentence: str, start: int, end: int) -> str:
    """The measure of the value at ``sentence[start:end]`` from the unit after its number
    (a scale word such as "billion" skipped), or words around it (an age, a count of times);
    "" for a plain number. The number is the span's first digits ("Rund 45 Prozent", "up to
    15 years"), else its first word ("two days")."""
    span, around = sentence[start:end], sentence[max(0, start - 12) : end + 14]
    if _AGE_WORDS.search(around) or _BARE_AGE.fullmatch(sentence):
        return AGE
    if _TIMES_WORDS.search(span) or re.match(r"\s*-?\s*(mal|times)\b", sentence[end:]):
        return TIMES
    number = _DIGITS.search(span) or _WORD_NUMBER.search(span)
    rest = (span[number.end() :] if number else span) + sentence[end : end + 40]
    if _CLOCK.match(rest):
        return CLOCK
    upper = _RANGE.match(rest)  # "250 to 300 kilos": the unit after the range's end
    rest = rest[upper.end() :] if upper else rest
    scale = _SCALE.match(rest)
    unit = _UNIT_AFTER.match(rest[scale.end() :] if scale else rest)
    if not unit:
        return ""
    word = unit.group(1).strip()
    if word in ("%",) or word.lower() in ("prozent", "percent", "per cent"):
        return SHARE
    measure = _DIMENSIONS.get(unit_dimension(word), "")
    if measure == SHARE and re.search(r"\s(pro|per|je)\s", word):  # "days per week": days
        measure = _DIMENSIONS.get(unit_dimension(word.split()[0]), "")
    return measure


def fits(asked: str, measure: str) -> bool:
    """A value of ``measure`` answers a question asking for ``asked``."""
    return not asked or asked == measure
