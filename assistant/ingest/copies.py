"""Wire copies: the same agency story printed by several outlets is indexed once.

An article's text becomes the set of its 5-word shingles (lower-cased words, ``\\w+``),
summarised by a 128-permutation MinHash (datasketch); a MinHashLSH at Jaccard 0.8 finds
the candidates and the estimated Jaccard of the signatures decides (>= 0.8: a copy).
Measured by bench/wire_copies.py on ../shared/data: of 3,788 English articles (news-en.csv),
3 groups with one copy each: a Trump speech transcript from CNN and Al Jazeera (estimated
0.88, exact 0.91) and two HuffPost stories printed twice the same day (1.00); the same 3
groups at 0.6, so nothing sits near the threshold. 0 groups among 1,028 German articles
(10kGNAD). Without ``MIN_WORDS`` three more "groups" were scraper placeholders ("-1",
"View Comments", a newsletter blurb) under different titles: short texts never merge.

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
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from ..records import Article
from .copystore import COPY, VERSION, Canon, Version

SHINGLE_WORDS = 5
NUM_PERM = 128
THRESHOLD = 0.8  # estimated Jaccard of the shingle sets
MIN_WORDS = 50  # shorter texts are never merged: "View Comments" is no story
_WORD = re.compile(r"\w+")


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[bytes]:
    """The ``size``-word shingles of ``text``, lower-cased (the whole text when shorter)."""
    words = _WORD.findall(text.lower())
    count = max(1, len(words) - size + 1)
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(count)}


def signature(text: str) -> LeanMinHash:
    """The MinHash of ``text``'s shingles."""
    minhash = MinHash(num_perm=NUM_PERM)
    minhash.update_batch(list(shingles(text)))
    return LeanMinHash(minhash)


def to_bytes(minhash: LeanMinHash) -> bytes:
    return np.asarray(minhash.hashvalues, dtype=np.uint64).tobytes()


def from_bytes(data: bytes) -> LeanMinHash:
    return LeanMinHash(seed=1, hashvalues=np.frombuffer(data, dtype=np.uint64))


@dataclass(frozen=True)
class Match:
    """The canonical article an article repeats, and how."""

    canon: Canon
    kind: str  # COPY (another outlet) or VERSION (same source or URL)
    similarity: float  # estimated Jaccard

    def replaced_by(self, article: Article) -> bool:
        """True when ``article`` is a later version of the canonical's story."""
        return self.kind == VERSION and article.published > self.canon.published


def same_story_source(article: Article, canon: Canon) -> bool:
    """Same source (case-insensitive) or same URL, both given."""
    same_source = bool(article.source) and article.source.casefold() == canon.source.casefold()
    return same_source or (bool(article.url) and article.url == canon.url)


def canon_of(article: Article, version: str, minhash: LeanMinHash) -> Canon:
    """``article`` as a canonical with a one-entry history."""
    own = Version(article.published, article.source, article.url)
    return Canon(
        article.id,
        version,
        to_bytes(minhash),
        article.source,
        article.url,
        article.published,
        article.title,
        (own,),
    )


class CopyDetector:
    """The canonical articles of one ingest run, in memory, searchable by MinHash."""

    def __init__(self, canons: list[Canon], threshold: float = THRESHOLD):
        self.threshold = threshold
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._canons: dict[str, Canon] = {}
        self._minhashes: dict[str, LeanMinHash] = {}
        for canon in canons:
            self.add(canon, from_bytes(canon.signature))

    def get(self, article_id: str) -> Canon | None:
        return self._canons.get(article_id)

    def add(self, canon: Canon, minhash: LeanMinHash) -> None:
        self.remove(canon.article_id)
        self._lsh.insert(canon.article_id, minhash)
        self._canons[canon.article_id] = canon
        self._minhashes[canon.article_id] = minhash

    def remove(self, article_id: str) -> Canon | None:
        if article_id in self._canons:
            self._lsh.remove(article_id)
            del self._minhashes[article_id]
        return self._canons.pop(article_id, None)

    def match(self, article: Article, minhash: LeanMinHash) -> Match | None:
        """The most similar other canonical at or above the threshold, or None (always for
        a text under ``MIN_WORDS`` words)."""
        best: tuple[float, str] | None = None
        if len(_WORD.findall(article.text)) < MIN_WORDS:
            return None
        for key in self._lsh.query(minhash):
            similarity = minhash.jaccard(self._minhashes[key])
            if key != article.id and similarity >= self.threshold:
                best = max(best or (similarity, key), (similarity, key))
        if best is None:
            return None
        canon = self._canons[best[1]]
        kind = VERSION if same_story_source(article, canon) else COPY
        return Match(canon, kind, best[0])
