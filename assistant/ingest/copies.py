"""Wire copies: the same agency story printed by several outlets is indexed once.

Outlets don't print verbatim: they trim the end, write their own headline and first
sentence, change a word or two, add a paragraph. A text is read as its 3-word shingles
(lower-cased ``\\w+`` words; a first line that looks like a headline left out), each hashed
to 32 bits in text order (``fingerprint``). Candidates are the canonicals sharing 2 of
their 16 smallest shingle hashes with the text (``ANCHORS``: the same shingles in every
copy, found whichever text is longer). A candidate is compared word by word
(``overlap``): its *coverage* is the share of the shorter text's words that lie in runs of
two or more shingles the longer has too, so a trimmed copy covers 1.0, a replaced word
costs one word (not three shingles) and a lone common phrase ("one of the") counts for
nothing. ``Rule``: coverage >= 0.65 from another source, >= 0.95 from the same source under
another URL (its follow-ups repeat up to 0.82 of the older story, and a merge would
replace the older text); >= 30 distinct shingles shared, texts of 40 words or more, the
shorter at least 0.3 of the longer unless it is replaced by a later version.

Measured (bench/copy_pairs.py, bench/wire_copies.py, 2026-12-07): 1,714 labelled pairs
from the shared news (8 edits outlets make, 4 kinds of different story, a third of
40-120 words; 24 pairs as printed, read by hand). Fitted on the half of the articles
whose ids hash even (most copies merged, no different story within 0.05 of a threshold),
reported on the other half: copies merged 0.977 (the rule before, 5-word MinHash Jaccard
>= 0.8: 0.496), different stories merged 0 of 254 (0 of 504 in all). Closest: two
outlets quoting one statement (Ranieri's sacking, BBC and DW; Santorum on CNN and in
HuffPost) at 0.59; counting lone shared shingles put the Ranieri pair at 0.64. Leaving
the headline line out changes nothing on the set, and takes a 55-word reprint by the same
source under a new <h1> from 0.95 to 1.00. Dates and titles were read and not used: the
natural follow-ups are 0-1 days apart like the copies, and copies carry their own
headlines; article vectors exist only after embedding. The check costs 1.0 ms per
article with 10,000 held (the rule before: 1.8 ms, same run).

Which copy keeps the text: the *first seen* (the first indexed, then the first in file
order within a run), not the earliest published, so a late-arriving older copy never
re-embeds a story or changes the article id that answers already cite. One exception:
an *update* (same source or same URL as the canonical, later date, near-duplicate text)
replaces the older text, and the older one is kept as a dated version (``history``).
Copies are not embedded or indexed; they are the canonical's "also reported by".

Order of writes (``Ingestor``): a copy's row is stored before its chunks are deleted; a
canonical's row is stored only after its chunks are complete in Chroma. ``reconcile`` at
the start of every run then repairs any crash: a canonical Chroma lacks is dropped with
its copy rows (those articles are decided again when read), and a copy whose chunks are
still in Chroma loses them.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..records import Article
from .copystore import COPY, VERSION, Canon, Version

SHINGLE_WORDS = 3
ANCHORS = 16  # a canonical's smallest shingle hashes, by which candidates are found
ANCHOR_HITS = 2  # anchors a text must share with a canonical to be compared with it
HEADLINE_WORDS = 20  # a first line this short without a sentence's end is a headline
_WORD = re.compile(r"\w+")
_MAGIC = b"cpy3"  # fingerprints of this scheme; older ones (MinHash) are signed again
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B1))


@dataclass(frozen=True)
class Rule:
    """When a text repeats a canonical; fitted on one half of bench/copy_pairs.py's set."""

    copy: float = 0.65  # coverage of the shorter text, another source (or the same URL)
    version: float = 0.95  # coverage when the same source prints it under another URL
    min_words: int = 40  # shorter texts never merge ("View Comments" is no story)
    min_shared: int = 30  # distinct shingles the two share (a repeated sentence counts once)
    min_ratio: float = 0.3  # the shorter text's words / the longer's (unless it replaces)

    def merges(self, overlap: Overlap, strict: bool, replaces: bool = False) -> bool:
        """True when ``overlap`` makes two texts one story. ``strict``: the same source
        under another URL; ``replaces``: the new text is a later version of the same source
        or URL, so the longer text stays indexed whatever the lengths' ratio."""
        return (
            overlap.shorter >= self.min_words
            and overlap.distinct >= self.min_shared
            and (replaces or overlap.ratio >= self.min_ratio)
            and overlap.coverage >= (self.version if strict else self.copy)
        )


RULE = Rule()


def body(text: str) -> str:
    """``text`` without a headline line: a first line of at most ``HEADLINE_WORDS`` words
    that does not end like a sentence, followed by more text (feeds keep the page's <h1>)."""
    first, _, rest = text.strip().partition("\n")
    line = first.strip()
    if (
        rest.strip()
        and len(_WORD.findall(line)) <= HEADLINE_WORDS
        and not line.endswith((".", "!", "?", '"', "”", "“", "»", "«", ":", ";", "…"))
    ):
        return rest
    return text


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """The ``size``-word shingles of ``text``, lower-cased (the whole text when shorter)."""
    words = _WORD.findall(text.lower())
    count = max(1, len(words) - size + 1)
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(count)}


_ID: dict[str, int] = {}  # word -> its CRC-32 (+1, never 0), for the words seen last


def _word_id(word: str) -> int:
    if len(_ID) >= 500_000:  # a few times a news vocabulary; then start again
        _ID.clear()
    value = _ID[word] = zlib.crc32(word.encode()) + 1
    return value


def _hashes(words: list[str], size: int = SHINGLE_WORDS) -> np.ndarray:
    """A 32-bit hash of every ``size``-word shingle, in text order (one for a shorter text)."""
    ids = np.array([_ID.get(w) or _word_id(w) for w in words], np.uint64)
    if len(ids) < size:
        ids = np.concatenate([ids, np.zeros(size - len(ids), np.uint64)])
    count = len(ids) - size + 1
    mixed = sum((ids[i : i + count] * _MIX[i] for i in range(size)), np.zeros(count, np.uint64))
    for shift, factor in ((33, 0xFF51AFD7ED558CCD), (33, 0xC4CEB9FE1A85EC53)):
        mixed = (mixed ^ (mixed >> np.uint64(shift))) * np.uint64(factor)
    return ((mixed ^ (mixed >> np.uint64(33))) >> np.uint64(32)).astype(np.uint32)


@dataclass(frozen=True)
class Fingerprint:
    """A text as the check reads it (and the copy store keeps a canonical): its word
    count and the hash of each of its shingles, in text order."""

    words: int
    hashes: np.ndarray  # uint32

    @cached_property
    def distinct(self) -> np.ndarray:
        """The hashes sorted, each once (kept once asked for: a compared canonical)."""
        return np.unique(self.hashes)

    def anchors(self) -> list[int]:
        """The ``ANCHORS`` smallest distinct hashes: the same shingles in every copy."""
        return np.unique(self.hashes)[:ANCHORS].tolist()

    def holds(self, hashes: np.ndarray) -> np.ndarray:
        """Which of ``hashes`` are shingles of this text."""
        at = np.minimum(np.searchsorted(self.distinct, hashes), len(self.distinct) - 1)
        return self.distinct[at] == hashes


def fingerprint(text: str) -> Fingerprint:
    """The shingle hashes of ``text`` without its headline line."""
    words = _WORD.findall(body(text).lower())
    return Fingerprint(len(words), _hashes(words))


def to_bytes(fingerprint: Fingerprint) -> bytes:
    return _MAGIC + np.uint32(fingerprint.words).tobytes() + fingerprint.hashes.tobytes()


def from_bytes(data: bytes) -> Fingerprint | None:
    """The stored fingerprint, or None for one of an older scheme (to be signed again)."""
    if not data.startswith(_MAGIC):
        return None
    words = int(np.frombuffer(data, np.uint32, 1, len(_MAGIC))[0])
    return Fingerprint(words, np.frombuffer(data, np.uint32, offset=len(_MAGIC) + 4))


@dataclass(frozen=True)
class Overlap:
    """How much of the shorter of two texts the longer repeats, in words."""

    shared: int  # words of the shorter text inside runs of shingles the longer has
    shorter: int  # words of the shorter text
    longer: int
    distinct: int = 0  # distinct shingles of those runs (a repeated sentence counts once)

    @property
    def coverage(self) -> float:
        return min(1.0, self.shared / self.shorter) if self.shorter else 0.0

    @property
    def ratio(self) -> float:
        return self.shorter / self.longer if self.longer else 0.0


def overlap(one: Fingerprint, other: Fingerprint) -> Overlap:
    """The words of the shorter text inside a run of shingles that the longer has too:
    a replaced word costs one word, not the three shingles it is part of."""
    short, long_ = (one, other) if one.words <= other.words else (other, one)
    if not short.words:
        return Overlap(0, 0, long_.words)
    hit = long_.holds(short.hashes).astype(np.int8)
    hit &= np.convolve(hit, np.ones(3, np.int8), "same") >= 2  # lone: "one of the"
    window = np.ones(min(SHINGLE_WORDS, short.words), np.int8)
    shared = min(int(np.count_nonzero(np.convolve(hit, window))), short.words)
    distinct = len(set(short.hashes[hit.astype(bool)].tolist()))
    return Overlap(shared, short.words, long_.words, distinct)


@dataclass(frozen=True)
class Match:
    """The canonical article an article repeats, and how."""

    canon: Canon
    kind: str  # COPY (another outlet) or VERSION (same source or URL)
    similarity: float  # coverage of the shorter text

    def replaced_by(self, article: Article) -> bool:
        """True when ``article`` is a later version of the canonical's story."""
        return self.kind == VERSION and article.published > self.canon.published


def same_story_source(article: Article, canon: Canon) -> bool:
    """Same source (case-insensitive) or same URL, both given."""
    return same_source(article, canon) or same_url(article, canon)


def same_source(article: Article, canon: Canon) -> bool:
    return bool(article.source) and article.source.casefold() == canon.source.casefold()


def same_url(article: Article, canon: Canon) -> bool:
    return bool(article.url) and article.url == canon.url


def canon_of(article: Article, version: str, fingerprint: Fingerprint) -> Canon:
    """``article`` as a canonical with a one-entry history."""
    own = Version(article.published, article.source, article.url)
    return Canon(
        article.id,
        version,
        to_bytes(fingerprint),
        article.source,
        article.url,
        article.published,
        article.title,
        (own,),
    )


class CopyDetector:
    """The canonical articles of one ingest run, in memory, found by their smallest
    shingle hashes (``ANCHORS``) and compared word by word (``overlap``, ``Rule``)."""

    def __init__(self, canons: list[Canon], rule: Rule = RULE):
        self.rule = rule
        self._canons: dict[str, Canon] = {}
        self._prints: dict[str, Fingerprint] = {}
        self._anchored: dict[str, list[int]] = {}
        self._anchors: dict[int, list[str]] = {}
        for canon in canons:
            self.add(canon, from_bytes(canon.signature))

    def get(self, article_id: str) -> Canon | None:
        return self._canons.get(article_id)

    def stale(self, article_id: str) -> bool:
        """True for a canonical whose stored signature is of an older scheme."""
        return article_id in self._canons and article_id not in self._prints

    def add(self, canon: Canon, fingerprint: Fingerprint | None) -> None:
        """Hold ``canon``; without a ``fingerprint`` (an older scheme) it is never matched."""
        self.remove(canon.article_id)
        self._canons[canon.article_id] = canon
        if fingerprint is None:
            return
        fingerprint = Fingerprint(fingerprint.words, fingerprint.hashes)  # not its sorted copy
        self._prints[canon.article_id] = fingerprint
        if fingerprint.words >= self.rule.min_words:  # shorter ones never merge
            anchors = self._anchored[canon.article_id] = fingerprint.anchors()
            for anchor in anchors:
                self._anchors.setdefault(anchor, []).append(canon.article_id)

    def remove(self, article_id: str) -> Canon | None:
        self._prints.pop(article_id, None)
        for anchor in self._anchored.pop(article_id, []):
            holders = self._anchors[anchor]
            holders.remove(article_id)
            if not holders:
                del self._anchors[anchor]
        return self._canons.pop(article_id, None)

    def candidates(self, new: Fingerprint) -> list[str]:
        """Canonicals that share ``ANCHOR_HITS`` of their anchors with ``new``."""
        hits: Counter[str] = Counter()
        for value in self._anchors.keys() & set(new.distinct.tolist()):
            hits.update(self._anchors[value])
        return [key for key, count in hits.items() if count >= ANCHOR_HITS]

    def match(self, article: Article, new: Fingerprint) -> Match | None:
        """The canonical ``article`` repeats most (``Rule``), or None."""
        if new.words < self.rule.min_words:
            return None
        best: tuple[float, int, str] | None = None
        for key in self.candidates(new):
            canon, held = self._canons[key], self._prints[key]
            replaces = same_story_source(article, canon) and article.published > canon.published
            sizes = sorted((new.words, held.words))
            if key == article.id or (sizes[0] < self.rule.min_ratio * sizes[1] and not replaces):
                continue  # the lengths alone rule it out
            found = overlap(new, held)
            strict = same_source(article, canon) and not same_url(article, canon)
            if self.rule.merges(found, strict, replaces):
                best = max(best or (0.0, 0, key), (found.coverage, found.shared, key))
        if best is None:
            return None
        canon = self._canons[best[2]]
        kind = VERSION if same_story_source(article, canon) else COPY
        return Match(canon, kind, best[0])
