"""Language detection: questions by function words (de/en), articles by lingua.

Questions are short and German or English; a stop-word vote is deterministic, needs no
model and is right for every German/English sentence with a few function words.

Articles may be in any language an archive holds, so they are labelled by lingua
(offline models in its wheel) restricted to 12 languages. Measured here (2 cores) on 2,240
German and English news texts (10kGNAD, news-en, XQuAD):

- all 75 languages, lazily loaded: 8.2 s and 1.1 GB on the first French text;
- the 12, low accuracy (trigrams only), preloaded: 0.16 s and ~40 MB to build; 0 wrong on
  samples of 300, 500, 1,000 and 2,000 characters (0.5, 0.9, 1.6, 2.8 ms each); on 1,240
  texts cut to 120 characters 3 wrong, to 40 characters 66;
- the 12, high accuracy: 1.9 s and ~260 MB on the first English text (every Latin-script
  model loads); cut to 120 characters 2 wrong, to 40 characters 22.

So an article is judged on its first 1,000 characters (linear: the loader's warm time
per .txt file went from 0.6 to 1.6 ms) by the low-accuracy detector; one shorter than 120
characters by the high-accuracy one, which therefore only loads when such an article comes.
"""

from __future__ import annotations

import re
from functools import lru_cache

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


ARTICLE_LANGUAGES = ("de", "en", "fr", "es", "it", "nl", "pl", "ru", "uk", "tr", "ar", "pt")
SAMPLE_CHARS = 1000  # an article is judged on its beginning: linear and cheap
SHORT_TEXT = 120  # below this, lingua's low-accuracy mode errs (see above)


def detect_article_language(text: str, default: str = "en") -> str:
    """The ISO 639-1 code of an article's language; the question rule when lingua abstains."""
    sample = text[:SAMPLE_CHARS]
    found = _article_detector(len(sample.strip()) < SHORT_TEXT).detect_language_of(sample)
    if found is None:  # no letters of the 12 languages (numbers, another script)
        return detect_language(sample, default)
    return found.iso_code_639_1.name.lower()


@lru_cache(maxsize=2)
def _article_detector(short: bool):
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in ARTICLE_LANGUAGES]
    builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
    if short:
        return builder.build()  # high accuracy; loads the models it needs when it needs them
    return builder.with_low_accuracy_mode().with_preloaded_language_models().build()
