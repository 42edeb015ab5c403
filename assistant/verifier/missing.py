"""What the closest evidence does not speak to, in the reader's words ("gefallen").

A closest response names the question's words that no quoted sentence covers. A word is
covered when the sentence holds its stem or a compound with it (same language: the
Snowball stems and compound rule of ``terms.py``), or, across languages or for a synonym,
when the word's own e5 vector is near enough (``NEAR``) to the vector of one of the
sentence's words ("killed" ~ "getötet", "Soldaten" ~ "Truppen"). Question words, function
words and the words that only say what kind of value is asked ("viele", "much", "Jahr")
are never named. At most ``MOST`` words are named, the heaviest (least frequent) first.
"""

from __future__ import annotations

import re

import numpy as np

from ..terms import matches, stem, term_set
from ..text import STOP, WORD

NEAR = 0.9  # e5 cosine of two single words that mean the same (fit: evals/news-pairs)
MOST = 2
ASKING = frozenset(
    "wie viele viel wieviel wann wer wem wen wessen was wo wohin woher warum weshalb wieso "
    "welche welcher welches welchen welchem bisher genau insgesamt eigentlich denn "
    "how many much when who whom whose what where why which exactly total far long old "
    "often did does do was were is are has have had".split()
)


COMMON = 5.0  # wordfreq Zipf at which a word is too common to name ("wollte", "seinen")


def candidates(question: str, language: str) -> list[str]:
    """The question's content words in order, without question, function and very common
    words."""
    from wordfreq import zipf_frequency

    seen: dict[str, None] = {}
    for word in WORD.findall(question):
        low = word.lower()
        if low in STOP or low in ASKING or len(low) <= 2 or low.isdigit():
            continue
        if zipf_frequency(low, language) < COMMON:
            seen.setdefault(word, None)
    return list(seen)


def weight(word: str, language: str) -> float:
    from wordfreq import zipf_frequency

    return 8.0 - zipf_frequency(word.lower(), language)


def is_name(word: str, language: str) -> bool:
    """A proper name: capitalised and, in German (every noun is), no common noun."""
    if not word[:1].isupper():
        return False
    if language != "de":
        return True
    from ..evidence.types import german_lexicon

    return not german_lexicon().is_common(word)


def covers(stems: frozenset[str], term: str) -> bool:
    """The stem, a compound holding it, or a word it derives from ("nordkoreanisch" from
    "Nordkorea": a stem of at least five letters that starts it)."""
    return matches(term, stems) or any(len(o) >= 5 and term.startswith(o) for o in stems)


def askable(question: str, q_language: str, context: str) -> list[str]:
    """The question's candidate words less the names ``context`` (the quoted chunks) holds:
    such a name is who or what the question is about, not what it asks."""
    shown = context.lower()
    return [
        w
        for w in candidates(question, q_language)
        if not (shown and is_name(w, q_language) and w.lower() in shown)
    ]


def uncovered(
    question: str,
    q_language: str,
    sentences: list[tuple[str, str]],
    embedder,
    near: float = NEAR,
    context: str = "",
    most: int = MOST,
) -> tuple[str, ...]:
    """The question's words none of ``sentences`` ((text, language) pairs) speaks to; a name
    that ``context`` (the quoted chunks) holds is who or what the question is about, not
    what it asks, so it is not named."""
    words = askable(question, q_language, context)
    same = frozenset().union(*(term_set(t, lang) for t, lang in sentences if lang == q_language))
    left = [w for w in words if not covers(same, stem(w.lower(), q_language))]
    if not left:
        return ()
    others = sorted({w for t, lang in sentences for w in candidates(t, lang)})
    if others and embedder is not None:
        vectors = embedder.embed_queries(left + others)
        sims = vectors[: len(left)] @ vectors[len(left) :].T
        left = [w for w, row in zip(left, sims) if float(np.max(row)) < near]
    left.sort(key=lambda w: -weight(w, q_language))
    return tuple(left[:most])


def near_words(words: list[str], text: str) -> bool:
    """Any of ``words`` appears in ``text`` (case-insensitive, as a word start)."""
    return any(re.search(rf"\b{re.escape(w)}", text, re.IGNORECASE) for w in words)


def by_verifier(
    question: str, q_language: str, sentence: str, verifier, context: str = ""
) -> tuple[str, ...]:
    """The words whose removal from the question makes the verifier most sure that the
    sentence answers what is left: what the sentence does not speak to ("Wie viele Soldaten
    sind gefallen?" beside "12.000 Soldaten wurden geschickt": without "gefallen" it
    answers). One verifier call over the question without each candidate word."""
    words = askable(question, q_language, context)
    if not words:
        return ()
    variants = [re.sub(rf"\b{re.escape(w)}\b", "", question, count=1) for w in words]
    scores = verifier.verify_many([(v, sentence) for v in [question, *variants]])
    gains = scores[1:] - scores[0]
    best = int(np.argmax(gains))
    return (words[best],) if gains[best] > GAIN else ()


GAIN = 0.1  # the least rise of P(answers) that names a word (not tuned; see bench/missing_words.py)
