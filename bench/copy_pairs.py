"""A labelled set of wire copies and look-alikes, made from the shared news (wire copies).

    python bench/copy_pairs.py [--per-kind 150] [--seed 11] [--out bench/results/copy_pairs.jsonl]

Every pair is (a, b): ``a`` is read first, ``b`` later; ``label`` 1: b is a copy or an
update of a and must merge; 0: a different story that must not. Made from the real
articles of ../shared/data (news-en.csv, 10kgnad-test.csv) by the edits outlets make:

copies (label 1): ``trim`` (first 50-90 % kept), ``headline`` (own headline),
``lede`` (own first sentence: its words regrouped), ``words`` (1-5 words replaced),
``paragraph`` (a paragraph of a related article added), ``reorder`` (sentences and
paragraphs moved), ``update`` (same source, new paragraphs on top, a later date),
``outlet`` (headline + lede + trim to 60-95 % + 1-3 words, half with a paragraph added;
at least half of the words kept verbatim). A rewritten first sentence is at most half
of a text (a one-sentence story rewritten is no copy).
different stories (label 0): ``followup`` (a same-source article of the same topic, days
apart, with a background paragraph of the first spliced in), ``reporters`` (the same
event by another outlet: TF-IDF neighbours from different sources within two days whose
texts, as used, share under 30 % of their 3-word shingles), ``press`` (one quoted paragraph put
into two different stories), ``series`` (same source, same headline prefix such as
"Orly airport:" or "TRIBE X - Ep."). A third of each kind is short (40-120 words).
``natural-*``: pairs as printed in the data, labelled by reading them (``NATURAL``).

The articles are split by id into two halves (``half``: fit or test; every article of a
pair from the same half) so that a rule fitted on one half is reported on the other.
Nothing of the set is committed: it goes to bench/results/ (gitignored), the same for
the same seed. The edits are in bench/copy_edits.py; paragraphs are runs of 1-3
sentences (the data has no line breaks).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from copy_edits import (  # noqa: E402
    add_paragraph,
    article,
    change_words,
    days,
    group,
    half,
    iso,
    later,
    lede,
    neighbours,
    new_headline,
    reorder,
    series_prefix,
    shares_text,
    shortened,
    trim,
    vocab_of,
    words,
)
from news import DATA, ROOT  # noqa: E402

from assistant.evaluation.sets import english_news, news_distractors  # noqa: E402

OUT = ROOT / "bench" / "results" / "copy_pairs.jsonl"
COPY_KINDS = ("trim", "headline", "lede", "words", "paragraph", "reorder", "update", "outlet")
OTHER_KINDS = ("followup", "reporters", "press", "series")
GERMAN_OUTLETS = ("Die Presse", "Kurier", "Salzburger Nachrichten", "Tiroler Tageszeitung")
NATURAL = [  # (a, b, label, kind): pairs as printed, read side by side
    ("en-2823", "en-2825", 1, "natural-copy"),  # HuffPost printed it twice, same day
    ("en-3093", "en-3098", 1, "natural-copy"),  # HuffPost printed it twice, same day
    ("en-1659", "en-1727", 1, "natural-copy"),  # speech transcript, CNN and Al Jazeera
    ("en-3082", "en-3235", 1, "natural-copy"),  # AP story, ABC, next day, new headline
    ("en-3519", "en-3574", 1, "natural-copy"),  # AP story, ABC and Al Jazeera (own lede)
    ("en-1833", "en-1859", 1, "natural-copy"),  # agency story, Al Jazeera and RTE, edited
    ("en-1604", "en-1631", 1, "natural-copy"),  # SpaceX: RTE's copy, Al Jazeera adds bios
    ("en-1788", "en-1861", 1, "natural-copy"),  # Snap IPO: Reuters text, RTE's own lede
    ("en-2250", "en-2308", 1, "natural-copy"),  # blizzard: Reuters text, RTE adds Irish flights
    ("en-3238", "en-3265", 1, "natural-copy"),  # Brexit date: one agency item, two outlets
    ("en-1349", "en-1369", 0, "natural-reporters"),  # Ranieri sacked: BBC's own, DW's; the
    ("en-2721", "en-2860", 0, "natural-reporters"),  # club's statement / Santorum's words quoted
    ("en-1385", "en-1488", 0, "natural-followup"),  # de Lima: arrest ordered / arrested
    ("en-783", "en-864", 0, "natural-followup"),  # TASS skiers: CAS hearing / deputy PM
    ("en-2972", "en-3057", 0, "natural-followup"),  # Orly: investigation / phoned father
    ("en-1378", "en-1396", 0, "natural-followup"),  # Mosul: airport taken / Ghazlani base
    ("en-175", "en-783", 0, "natural-followup"),  # TASS skiers: appeal / CAS hearing
    ("en-838", "en-849", 0, "natural-followup"),  # TASS Universiade: results / closing
    ("en-2378", "en-2487", 0, "natural-followup"),  # Dutch vote: under way / turnout
    ("en-2902", "en-2909", 0, "natural-followup"),  # TASS St Isaac protests, same day
    ("en-2389", "en-2395", 0, "natural-followup"),  # Haftar: ports captured / offensive
    ("en-223", "en-928", 0, "natural-series"),  # German Cup: one match / the round-up
    ("en-84", "en-108", 0, "natural-series"),  # BBC video blurb / the article around it
    ("en-1240", "en-1446", 0, "natural-series"),  # TRIBE X Ep.73 / Ep.74: same blurb
]
_SENTENCE = re.compile(r"(?<=[.!?])[\"'”“]?\s+(?=[\"'„“A-ZÄÖÜ0-9])")


def load() -> list[dict]:
    """The shared articles with sentences, ISO dates and a half each."""
    stories = english_news(DATA / "news-en.csv") + news_distractors(DATA / "10kgnad-test.csv")
    for s in stories:
        s["sentences"] = [x.strip() for x in _SENTENCE.split(s["text"]) if x.strip()]
        s["published"] = iso(s.get("published", ""))
        s["half"] = half(s["id"])
    return [s for s in stories if len(s["sentences"]) >= 2]


# --- the pairs ---------------------------------------------------------------------------
class Maker:
    """Builds pairs from the stories with one seeded random generator."""

    def __init__(self, stories: list[dict], seed: int):
        self.rng = random.Random(seed)
        self.stories = stories
        self.by_id = {s["id"]: s for s in stories}
        self.vocab = {
            lang: sorted({w for s in stories if s["language"] == lang for w in vocab_of(s)})
            for lang in ("en", "de")
        }
        self.outlets = sorted({s["source"] for s in stories if s["language"] == "en"})
        self.near = neighbours(stories)
        self.count = 0

    def pick(self, short: bool, language: str | None = None) -> dict:
        while True:
            s = self.rng.choice(self.stories)
            if (language is None or s["language"] == language) and words(s["text"]) >= (
                60 if short else 150
            ):
                return s

    def related(self, story: dict, test) -> dict | None:
        """The nearest same-half neighbour of ``story`` that passes ``test``."""
        for other_id, score in self.near[story["id"]]:
            other = self.by_id[other_id]
            if other["half"] == story["half"] and test(other, score):
                return other
        return None

    def outlet(self, story: dict) -> str:
        pool = self.outlets if story["language"] == "en" else GERMAN_OUTLETS
        return self.rng.choice([o for o in pool if o != story["source"]])

    def record(self, kind: str, label: int, a: dict, b: dict, origin: list[str]) -> dict:
        self.count += 1
        a, b = dict(a, id=f"p{self.count}-a"), dict(b, id=f"p{self.count}-b")
        shorter = min(words(a["text"]), words(b["text"]))
        return {
            "pair": self.count, "kind": kind, "label": label, "short": shorter <= 120,
            "half": self.by_id[origin[0]]["half"], "language": a["language"],
            "origin": origin, "a": a, "b": b,
        }  # fmt: skip

    def copy(self, kind: str, short: bool) -> dict | None:
        """One copy pair of ``kind`` (None when the story does not suit the edit)."""
        rng, story = self.rng, self.pick(short)
        sentences = shortened(story["sentences"], rng) if short else story["sentences"]
        paras, headline = group(sentences, rng), "yes" if rng.random() < 0.5 else ""
        donor = self.related(story, lambda o, s: True) or self.pick(False, story["language"])
        edited, title = self.edit(kind, story, paras, donor)
        if edited is None:
            return None
        same = kind == "update"
        b = article(
            story, edited, title=title, headline=headline,
            source=story["source"] if same else self.outlet(story),
            url=story.get("url", "") if same and rng.random() < 0.5 else f"https://copy.test/{self.count}",
            published=later(story["published"], rng.randint(0, 2)),
        )  # fmt: skip
        a = article(story, paras, headline=headline)
        if (
            min(words(a["text"]), words(b["text"])) < 40
            or a["text"] == b["text"]
            and (title == story["title"])
        ):
            return None
        first, second = (a, b) if same or rng.random() < 0.5 else (b, a)
        return self.record(kind, 1, first, second, [story["id"], donor["id"]])

    def edit(self, kind: str, story: dict, paras: list[list[str]], donor: dict):
        """``paras`` and the title after the edit ``kind``."""
        rng, vocab, title = self.rng, self.vocab[story["language"]], story["title"]
        if kind == "trim":
            return trim(paras, rng), title
        if kind == "headline":
            return paras, new_headline(story, rng)
        if kind == "lede":
            return lede(paras, rng), title
        if kind == "words":
            return change_words(paras, rng, vocab, rng.randint(1, 5)), title
        if kind == "paragraph":
            return add_paragraph(paras, rng, donor), title
        if kind == "reorder":
            return reorder(paras, rng), title
        if kind == "update":
            for _ in range(rng.randint(1, 3)):
                paras = add_paragraph(paras, rng, donor, top=True)
            return change_words(paras, rng, vocab, rng.randint(0, 2)), title
        rewritten = lede(paras, rng)
        if rewritten is None:
            return None, title
        edited = trim(rewritten, rng, 0.6, 0.95)
        kept = sum(words(s) for p in edited for s in p) - words(edited[0][0])
        if 2 * kept < sum(words(s) for p in paras for s in p):  # under half kept verbatim
            return None, title
        edited = change_words(edited, rng, vocab, rng.randint(1, 3))
        if rng.random() < 0.5:
            edited = add_paragraph(edited, rng, donor)
        return edited, new_headline(story, rng)

    def other(self, kind: str, short: bool) -> dict | None:
        """One pair of different stories of ``kind`` (None when none suits)."""
        rng = self.rng
        if kind == "series":
            return self.series(short)
        story = self.pick(short, "en" if kind == "reporters" else None)
        partner = self.partner(kind, story, short)
        if partner is None or partner["id"] == story["id"]:
            return None
        one, two = story["sentences"], partner["sentences"]
        if short:
            one, two = shortened(one, rng), shortened(two, rng)
        one_paras, two_paras = group(one, rng), group(two, rng)
        origin = [story["id"], partner["id"]]
        if kind == "followup":  # background from the first story's second half
            extra = self.passage(story["sentences"][len(story["sentences"]) // 2 :], short)
            if short:
                one_paras.append(extra)
            two_paras.insert(rng.randint(1, len(two_paras)), extra)
        elif kind == "press":  # a quoted paragraph of a third story in both
            source = self.pick(False, story["language"])
            extra = self.passage(source["sentences"], short)
            for paras in (one_paras, two_paras):
                paras.insert(rng.randint(0, len(paras)), extra)
            origin.append(source["id"])
        return self.pair(kind, story, one_paras, partner, two_paras, origin)

    def partner(self, kind: str, story: dict, short: bool) -> dict | None:
        """The second story of a pair of ``kind`` with ``story``."""
        if kind == "followup":  # the same source, later, on the same topic
            return self.related(
                story,
                lambda o, s: (
                    o["source"] == story["source"]
                    and (o["published"] > story["published"] or not o["published"])
                    and s >= 0.25
                ),
            )
        if kind == "reporters":  # another outlet, within two days, in other words
            return self.related(
                story,
                lambda o, s: (
                    o["source"] != story["source"]
                    and s >= 0.35
                    and days(o, story) <= 2
                    and not shares_text(o, story)
                ),
            )
        return self.pick(short, story["language"])

    def passage(self, sentences: list[str], short: bool) -> list[str]:
        """1-3 consecutive sentences of 20-70 words, preferring one with a quote."""
        for _ in range(20):
            start = self.rng.randrange(len(sentences))
            run = sentences[start : start + self.rng.randint(1, 2 if short else 3)]
            if 20 <= words(" ".join(run)) <= 70 and ('"' in " ".join(run) or _ > 10):
                return run
        return sentences[:1]

    def series(self, short: bool) -> dict | None:
        groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for s in self.stories:
            prefix = series_prefix(s["title"])
            if prefix:
                groups[(s["source"], prefix)].append(s)
        members = [g for g in groups.values() if len(g) >= 2]
        if not members:
            return None
        chosen = sorted(self.rng.choice(members), key=lambda s: (s["published"], s["id"]))
        i = self.rng.randrange(len(chosen) - 1)
        one, two = chosen[i], chosen[i + 1]
        if one["half"] != two["half"]:
            return None
        cut = (lambda x: shortened(x, self.rng)) if short else (lambda x: x)
        one_paras, two_paras = (
            group(cut(one["sentences"]), self.rng),
            group(cut(two["sentences"]), self.rng),
        )
        return self.pair("series", one, one_paras, two, two_paras, [one["id"], two["id"]])

    def pair(self, kind, one, one_paras, two, two_paras, origin) -> dict | None:
        headline = "yes" if self.rng.random() < 0.5 else ""
        a = article(one, one_paras, headline=headline)
        b = article(two, two_paras, headline=headline)
        if min(words(a["text"]), words(b["text"])) < 40:
            return None
        if kind in ("reporters", "series") and shares_text(a, b):  # as printed, not shortened
            return None
        return self.record(kind, 0, a, b, origin)


def natural(maker: Maker) -> list[dict]:
    """The ``NATURAL`` pairs as printed, titles as lines of their own when half say so."""
    pairs = []
    for one_id, two_id, label, kind in NATURAL:
        one, two = maker.by_id[one_id], maker.by_id[two_id]
        a, b = article(one, [one["sentences"]]), article(two, [two["sentences"]])
        pairs.append(maker.record(kind, label, a, b, [one_id, two_id]))
    return pairs


def build(per_kind: int, seed: int) -> list[dict]:
    """``per_kind`` pairs of every kind (a third short), then the natural pairs."""
    maker = Maker(load(), seed)
    pairs: list[dict] = []
    seen: set[tuple] = set()  # a pair of stories once per kind and length
    for kind in (*COPY_KINDS, *OTHER_KINDS):
        made, tries = 0, 0
        while made < per_kind and tries < per_kind * 40:
            tries += 1
            short = made % 3 == 0
            pair = maker.copy(kind, short) if kind in COPY_KINDS else maker.other(kind, short)
            if pair is None or pair["short"] != short:
                continue
            key = (kind, pair["short"], *pair["origin"][:2])
            if key not in seen:
                seen.add(key)
                pairs.append(pair)
                made += 1
    pairs += natural(maker)
    for n, pair in enumerate(pairs, 1):  # numbered in order, whatever was tried
        pair["pair"] = n
        pair["a"]["id"], pair["b"]["id"] = f"p{n}-a", f"p{n}-b"
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-kind", type=int, default=150)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if not (DATA / "news-en.csv").exists():
        sys.exit(f"expected the shared news at {DATA}, got no news-en.csv there")
    pairs = build(args.per_kind, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        for pair in pairs:
            handle.write(json.dumps(pair, ensure_ascii=False) + "\n")
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in pairs:
        counts[p["kind"]][p["short"]] += 1
    print(f"{len(pairs)} pairs -> {args.out}")
    for kind, (long_, short_) in counts.items():
        print(f"  {kind:18} {long_ + short_:4} ({short_} short)")


if __name__ == "__main__":
    main()
