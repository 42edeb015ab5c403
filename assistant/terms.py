"""Search terms: lower-cased, stemmed words for the keyword index and the answer signals.

Snowball stemmers (PyStemmer, the C build of the maintained Snowball algorithms) for
German and English, so "Truppen"/"Trupp", "gefallen"/"gefall" and "troops"/"troop" meet.
German compounds are matched by containment of stems: the question's "Truppen" (stem
"trupp") is found in the article's "Truppenberichte" ("truppenbericht"). Stems shorter
than ``MIN_PART`` letters never match by containment ("rat" must not match "ratifiziert").
"""

from __future__ import annotations

from functools import lru_cache

from .text import STOP, WORD

MIN_PART = 5
_STEMMER_NAMES = {"de": "german", "en": "english"}


@lru_cache(maxsize=4)
def _stemmer(language: str):
    import Stemmer  # PyStemmer

    return Stemmer.Stemmer(_STEMMER_NAMES.get(language, "english"))


def stem(word: str, language: str) -> str:
    """The Snowball stem of one lower-cased word."""
    return _stemmer(language).stemWord(word)


def words(text: str) -> list[str]:
    """Lower-cased words that carry content: no function words, numbers kept."""
    return [w for w in WORD.findall(text.lower()) if w not in STOP and (len(w) > 1 or w.isdigit())]


def terms(text: str, language: str) -> list[str]:
    """The stems of ``text``'s content words, in order (repeats kept)."""
    return _stemmer(language).stemWords(words(text))


@lru_cache(maxsize=65536)
def bigrams(text: str, language: str) -> frozenset[tuple[str, str]]:
    """Pairs of neighbouring stems: "souverän entscheid" is a phrase, not two words."""
    stems = terms(text, language)
    return frozenset(zip(stems, stems[1:]))


@lru_cache(maxsize=65536)
def term_set(text: str, language: str) -> frozenset[str]:
    """The distinct stems of ``text`` (cached: the same sentences recur across questions)."""
    return frozenset(terms(text, language))


def matches(term: str, others: frozenset[str], compounds: bool = True) -> bool:
    """``term`` is among ``others``, or (with ``compounds``) part of a longer one."""
    if term in others:
        return True
    return (
        compounds and len(term) >= MIN_PART and any(term in o for o in others if len(o) > len(term))
    )


@lru_cache(maxsize=4096)
def term_weights(text: str, language: str) -> dict[str, float]:
    """How much each stem of ``text`` tells: 8 minus the word's Zipf frequency in the
    language (wordfreq), so "die" weighs ~0.5 and "kommandiert" ~5. Independent of the
    index, so a five-article index weighs a question as a million-article one does."""
    from wordfreq import zipf_frequency

    weights: dict[str, float] = {}
    stemmer = _stemmer(language)
    for word in words(text):
        stem = stemmer.stemWord(word)
        weights[stem] = max(weights.get(stem, 0.0), max(0.5, 8.0 - zipf_frequency(word, language)))
    return weights
