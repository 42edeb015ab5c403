"""The ingest's side of wire copies: decide per article, store in the right order.

``Ingestor`` asks ``CopyKeeper`` for every article it reads whether the article is new to
the copy store, a copy of a canonical (stored now, its chunks dropped), or canonical
(indexed as before; stored by ``finish`` once Chroma holds it completely). A canonical
whose stored fingerprint is of an older scheme is matched by nothing until its article is
read again unchanged, which signs it anew (no embedding). The rules and the measured
reason for them are in ``copies.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ..records import Article
from .copies import CopyDetector, canon_of, fingerprint, to_bytes
from .copystore import Canon, CopyRow, CopyStore


@dataclass(frozen=True)
class Canonical:
    """The decision to index an article: its canon row and the canonicals it replaces."""

    canon: Canon
    demoted: tuple[Canon, ...] = ()


class CopyKeeper:
    """Canonicals and copies of one ingest run; ``drop`` deletes articles' chunks."""

    def __init__(self, store: CopyStore, drop: Callable[[list[str]], None]):
        self.store, self.drop = store, drop
        self.merged: set[str] = set()  # articles recorded as copies in this run
        self.detector = CopyDetector([])
        self._copies: dict[str, CopyRow] = {}

    def start(self, indexed: set[str]) -> list[str]:
        """Agree with the vector store's ``indexed`` articles (after a crash); returns the
        copies whose leftover chunks were dropped."""
        stale = self.store.reconcile(indexed)
        self.drop(stale)
        self.detector = CopyDetector(self.store.canonicals())
        self._copies = {c.article_id: c for c in self.store.copies()}
        return stale

    def is_copy(self, article_id: str) -> bool:
        return article_id in self._copies

    def unchanged(self, article: Article, version: str, complete: bool) -> bool:
        """True when ``article`` is stored as it is: a copy at this version of a live
        canonical, or a canonical at this version that Chroma holds completely."""
        copy = self._copies.get(article.id)
        if copy is not None:
            return copy.version == version and self.detector.get(copy.canonical_id) is not None
        canon = self.detector.get(article.id)
        if not (complete and canon is not None and canon.version == version):
            return False
        if self.detector.stale(article.id):  # signed by an older scheme: sign it again
            signed = fingerprint(article.text)
            canon = replace(canon, signature=to_bytes(signed))
            self.store.set_signature(article.id, canon.signature)
            self.detector.add(canon, signed)
        return True

    def decide(self, article: Article, version: str) -> Canonical | CopyRow:
        """Index ``article`` (canonical) or record it as a copy of the canonical it repeats."""
        new = fingerprint(article.text)
        self.detector.remove(article.id)
        match = self.detector.match(article, new)
        if match is not None and not match.replaced_by(article):
            return CopyRow(
                article.id, match.canon.article_id, version, match.kind, article.source,
                article.url, article.published, article.title,
            )  # fmt: skip
        canon = canon_of(article, version, new)
        self.detector.add(canon, new)
        if match is None:
            return Canonical(canon)
        self.detector.remove(match.canon.article_id)
        return Canonical(canon, (match.canon,))

    def keep_copy(self, row: CopyRow, indexed: bool) -> None:
        """Store ``row``, then drop the copy's chunks when the index holds any."""
        self.store.set_copy(row)
        self._copies[row.article_id] = row
        self.merged.add(row.article_id)
        if indexed:
            self.drop([row.article_id])

    def finish(self, decision: Canonical) -> None:
        """Store a canonical that Chroma now holds completely; drop the texts it replaces."""
        self.store.set_canonical(decision.canon, decision.demoted)
        self._copies.pop(decision.canon.article_id, None)
        old = [c.article_id for c in decision.demoted]
        self.merged.update(old)
        self.drop(old)

    def prune(self, seen: set[str], gone: list[str]) -> tuple[int, list[str]]:
        """Forget copies and canonicals not ``seen``: (copies removed, copies orphaned)."""
        copies = sorted(set(self._copies) - seen)
        for article_id in gone:
            self.detector.remove(article_id)
        orphans = self.store.forget([*copies, *gone])
        for article_id in [*copies, *orphans]:
            self._copies.pop(article_id, None)
        return len(copies), orphans
