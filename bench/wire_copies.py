"""Wire copies measured: the labelled pairs, the shared news as printed, the cost at 10k.

    python bench/copy_pairs.py                  # writes the labelled set first
    python bench/wire_copies.py pairs           # merged per kind: old rule, new rule, fit
    python bench/wire_copies.py groups          # what merges among the shared news
    python bench/wire_copies.py cost [--articles 10000] [--repeats 5]

``pairs``: every pair (a, b) as the ingest sees it: a detector holding ``a``, asked about
``b`` (``CopyDetector.match``), beside the rule before (5-word shingles, a 128-permutation
MinHash, estimated Jaccard >= 0.8, texts under 50 words never merged). The rule's numbers
are chosen on the ``fit`` half and the natural different stories (most copies merged, no
different story merged even at thresholds ``MARGIN`` lower, then the strictest values)
and reported on the ``test`` half; the natural copies are not fitted.
``groups``: the shared articles in file order through one detector (first seen stays).
``cost``: the check per article (fingerprint, candidates, comparison, holding it) while
the detector holds up to 10,000 articles: the 4,816 shared ones and, for the rest,
articles of sentences drawn from them; the median over repeats.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import replace
from itertools import product
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from copy_pairs import OUT  # noqa: E402
from news import DATA  # noqa: E402
from run import record  # noqa: E402

from assistant.evaluation.sets import english_news, news_distractors  # noqa: E402
from assistant.ingest.copies import (  # noqa: E402
    RULE,
    CopyDetector,
    Rule,
    canon_of,
    fingerprint,
    overlap,
    same_source,
    same_story_source,
    same_url,
)
from assistant.ingest.normalize import normalize_text  # noqa: E402
from assistant.records import Article  # noqa: E402

_WORD = re.compile(r"\w+")
MARGIN = 0.05  # no different story within this much coverage of a threshold
GRID = {  # the values tried on the fit half
    "copy": (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9),
    "version": (0.8, 0.85, 0.9, 0.95),
    "min_shared": (20, 25, 30, 40),
    "min_ratio": (0.1, 0.2, 0.3, 0.4, 0.5),
}


def as_article(record_: dict) -> Article:
    keys = ("id", "title", "text", "language", "source", "url", "published")
    return Article(*(record_.get(k, "") for k in keys))


class OldRule:
    """The check before: 5-word shingles, MinHash LSH at Jaccard 0.8, 50 words at least."""

    def __init__(self):
        from datasketch import MinHashLSH

        self.lsh, self.signatures = MinHashLSH(threshold=0.8, num_perm=128), {}

    @staticmethod
    def signature(text: str):
        from datasketch import MinHash

        words = _WORD.findall(text.lower())
        minhash = MinHash(num_perm=128)
        minhash.update_batch(
            [" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))]
        )
        return minhash

    def decide(self, article: Article) -> str | None:
        """The article ``article`` repeats (None: it is new and now held)."""
        minhash = self.signature(article.text)
        if len(_WORD.findall(article.text)) >= 50:
            for key in self.lsh.query(minhash):
                if minhash.jaccard(self.signatures[key]) >= 0.8:
                    return key
        self.lsh.insert(article.id, minhash)
        self.signatures[article.id] = minhash
        return None


def features(pair: dict) -> dict:
    """What the rule reads of a pair, and the old rule's decision."""
    a, b = as_article(pair["a"]), as_article(pair["b"])
    new, held = fingerprint(b.text), fingerprint(a.text)
    canon = canon_of(a, "", held)
    probe = CopyDetector([], Rule(0, 0, 0, 0, 0))
    probe.add(canon, held)
    old = OldRule()
    old.decide(a)
    return {
        "found": a.id in probe.candidates(new),
        "overlap": overlap(new, held),
        "strict": same_source(b, canon) and not same_url(b, canon),
        "replaces": same_story_source(b, canon) and b.published > canon.published,
        "old": old.decide(b) is not None,
    }


def merged(rule: Rule, feature: dict) -> bool:
    """``CopyDetector.match``'s decision for one pair, from its features."""
    return feature["found"] and rule.merges(
        feature["overlap"], feature["strict"], feature["replaces"]
    )


def score(rule: Rule, rows: list[tuple[dict, dict]]) -> tuple[float, int]:
    """(copies merged / copies, different stories merged)."""
    copies = [f for p, f in rows if p["label"] == 1]
    wrong = sum(merged(rule, f) for p, f in rows if p["label"] == 0)
    return sum(merged(rule, f) for f in copies) / max(1, len(copies)), wrong


def fit(rows: list[tuple[dict, dict]], margin: float = MARGIN) -> Rule:
    """The rule of the grid that merges most copies of ``rows`` and no different story of
    ``rows`` or of the natural pairs, not even with both coverage thresholds ``margin``
    lower; among equals the strictest."""
    best: tuple[float, tuple, Rule] | None = None
    for values in product(*GRID.values()):
        rule = replace(RULE, **dict(zip(GRID, values, strict=True)))  # type: ignore[arg-type]
        recall, wrong = score(rule, rows)
        looser = replace(rule, copy=rule.copy - margin, version=rule.version - margin)
        if (
            wrong == 0
            and score(looser, [r for r in rows if r[0]["label"] == 0])[1] == 0
            and (best is None or (recall, values) > best[:2])
        ):
            best = (recall, values, rule)
    if best is None:
        raise SystemExit("expected a rule of the grid without false merges, got none")
    return best[2]


def table(rows: list[tuple[dict, dict]], rules: dict[str, Rule]) -> None:
    """Merged / pairs per kind and half: the old rule, then each of ``rules``."""
    groups: dict[tuple, list] = defaultdict(list)
    for pair, feature in rows:
        for half in (pair["half"], "all"):
            groups[(pair["label"], pair["kind"], half)].append((pair, feature))
    print(f"{'kind':17} {'label':5} {'half':5} {'pairs':>5} {'short':>5} {'old':>5}", end="")
    print("".join(f" {name:>9}" for name in rules))
    for (label, kind, half), group in sorted(groups.items(), key=lambda x: (-x[0][0], x[0][1:])):
        short = sum(p["short"] for p, _ in group)
        old = sum(f["old"] for _, f in group)
        cells = [sum(merged(r, f) for _, f in group) for r in rules.values()]
        print(f"{kind:17} {label:5} {half:5} {len(group):5} {short:5} {old:5}", end="")
        print("".join(f" {c:9}" for c in cells))


def blocked(rule: Rule, feature: dict) -> str:
    """What keeps a pair apart besides its coverage ("" when nothing does)."""
    o = feature["overlap"]
    if o.shorter < rule.min_words:
        return f"under {rule.min_words} words"
    if o.distinct < rule.min_shared:
        return f"{o.distinct} distinct shingles shared"
    if o.ratio < rule.min_ratio and not feature["replaces"]:
        return f"length ratio {o.ratio:.2f}"
    return "not a candidate" if not feature["found"] else ""


def closest(rows: list[tuple[dict, dict]], rule: Rule, count: int = 10) -> None:
    """The different stories nearest to merging: threshold - coverage, and what else
    keeps them apart."""
    gap = [
        ((rule.version if f["strict"] else rule.copy) - f["overlap"].coverage, p, f)
        for p, f in rows
        if p["label"] == 0
    ]
    for margin, pair, feature in sorted(gap, key=lambda x: x[0])[:count]:
        o, why = feature["overlap"], blocked(rule, feature)
        print(
            f"  {margin:+.2f} {pair['kind']:17} {'same source' if feature['strict'] else 'other'}"
            f" coverage {o.coverage:.2f} ({o.shared} of {o.shorter} words)"
            f"{', kept apart: ' + why if why else ''}; {pair['origin']}"
            f" {pair['a']['title'][:36]!r} | {pair['b']['title'][:36]!r}"
        )


def pairs_command(path: Path) -> None:
    if not path.exists():
        sys.exit(f"expected the labelled set at {path}, got nothing: run bench/copy_pairs.py")
    pairs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    rows = [(p, features(p)) for p in pairs]
    made = [r for r in rows if not r[0]["kind"].startswith("natural")]
    read = [r for r in rows if r[0]["kind"].startswith("natural") and r[0]["label"] == 0]
    fitted = {h: fit([r for r in made if r[0]["half"] == h] + read) for h in ("fit", "test")}
    bare = fit([r for r in made if r[0]["half"] == "fit"] + read, margin=0.0)
    print(f"rule in copies.py: {RULE}\nfitted on fit:  {fitted['fit']}")
    print(f"fitted on test: {fitted['test']}  (the other way round, for comparison)")
    print(f"fitted on fit without the {MARGIN} margin: {bare}")
    for name, rule in (("copies.py", RULE), ("fit", fitted["fit"]), ("no margin", bare)):
        for half in ("fit", "test"):
            recall, wrong = score(rule, [r for r in made if r[0]["half"] == half])
            print(f"  {name} rule on the {half} half: recall {recall:.3f}, false merges {wrong}")
    for half in ("fit", "test"):
        part = [f for p, f in made if p["half"] == half]
        copies = [f for p, f in made if p["half"] == half and p["label"]]
        print(f"  rule before on the {half} half: recall "
              f"{sum(f['old'] for f in copies) / len(copies):.3f}, false merges "
              f"{sum(f['old'] for f in part) - sum(f['old'] for f in copies)} "
              f"({len(copies)} copies, {len(part) - len(copies)} different stories)")  # fmt: skip
    table(rows, {"new": RULE, "fitted": fitted["fit"]})
    print("different stories nearest to merging (threshold - coverage):")
    closest(rows, RULE)
    print("generated ones:")
    closest([r for r in made if r[0]["label"] == 0], RULE, 5)
    print("copies not merged, nearest first:")
    missed = [(p, f) for p, f in rows if p["label"] and not merged(RULE, f)]
    for pair, feature in sorted(missed, key=lambda x: -x[1]["overlap"].coverage)[:12]:
        why = blocked(RULE, feature) or "coverage"
        print(f"  #{pair['pair']} {pair['kind']:13} {'short' if pair['short'] else 'long '}"
              f" coverage {feature['overlap'].coverage:.2f}: {why}")  # fmt: skip
    print(f"  ({len(missed)} in all)")


def shared_articles() -> list[dict]:
    return english_news(DATA / "news-en.csv") + news_distractors(DATA / "10kgnad-test.csv")


def groups_command() -> None:
    """Every merge among the shared articles in file order, for a person to check."""
    detector = CopyDetector([])
    for r in shared_articles():
        article = replace(as_article(r), text=normalize_text(r["text"]))
        new = fingerprint(article.text)
        match = detector.match(article, new)
        if match is None:
            detector.add(canon_of(article, "", new), new)
            continue
        c = match.canon
        print(f"{match.similarity:.2f} {match.kind:7} {c.article_id} {c.published} {c.source}"
              f" | {article.id} {article.published} {article.source}")  # fmt: skip
        print(f"    {c.title[:60]!r} | {article.title[:60]!r}")


def corpus(size: int, seed: int = 3) -> list[Article]:
    """The shared articles, then articles of 8-25 sentences drawn from them, ``size`` in
    all, shuffled with ``seed`` (no two drawn articles share a story)."""
    real = shared_articles()
    rng = random.Random(seed)
    pool = {lang: [s for r in real if r["language"] == lang for s in re.split(r"(?<=[.!?])\s+",
            r["text"])] for lang in ("en", "de")}  # fmt: skip
    made = [replace(as_article(r), text=normalize_text(r["text"])) for r in real]
    while len(made) < size:
        lang = "en" if rng.random() < 0.8 else "de"
        text = " ".join(rng.choice(pool[lang]) for _ in range(rng.randint(8, 25)))
        made.append(Article(f"drawn-{len(made)}", "", text, lang, f"outlet-{len(made) % 40}"))
    made = made[:size]
    rng.shuffle(made)
    return made


def timed_stream(articles: list[Article], check) -> tuple[list[float], float]:
    """Seconds ``check`` took for each article, in order, and the CPU seconds of the last
    1,000 (the machine is shared: wall time counts other work too)."""
    times, cpu = [], 0.0
    for n, article in enumerate(articles):
        if n == len(articles) - 1000:
            cpu = time.process_time()
        started = time.perf_counter()
        check(article)
        times.append(time.perf_counter() - started)
    return times, time.process_time() - cpu


def new_check():
    detector = CopyDetector([])

    def check(article: Article) -> None:
        new = fingerprint(article.text)
        if detector.match(article, new) is None:
            detector.add(canon_of(article, "", new), new)

    return check, detector


def cost_command(size: int, repeats: int) -> None:
    """Per-article time of the check at ``size`` articles, the new rule beside the old."""
    articles = corpus(size)
    result: dict[str, dict] = {}
    for name in ("new", "old"):
        runs, cpu = [], []
        for _ in range(repeats):
            check, _held = new_check() if name == "new" else (OldRule().decide, None)
            times, seconds = timed_stream(articles, check)
            runs.append(times)
            cpu.append(seconds)  # per 1,000 articles: seconds = ms per article
        last = [statistics.median(t[-1000:]) * 1000 for t in runs]
        result[name] = {
            "median_ms_last_1000": round(statistics.median(last), 3),
            "cpu_ms_last_1000": round(statistics.median(cpu), 3),
            "mean_ms_all": round(statistics.median(statistics.mean(t) * 1000 for t in runs), 3),
            "runs_median_ms_last_1000": [round(x, 3) for x in last],
        }
    check, detector = new_check()
    timed_stream(articles, check)
    canons = [detector.get(key) for key in list(detector._canons)]
    started = time.perf_counter()
    CopyDetector([c for c in canons if c is not None])
    blob = statistics.mean(len(c.signature) for c in canons if c is not None)
    record(
        "wire_copies_cost",
        {"articles": size, "repeats": repeats, **result, "canonicals": len(canons),
         "load_10k_s": round(time.perf_counter() - started, 3),
         "signature_bytes_mean": round(blob), "note": "2-core machine shared with other work"},
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("pairs", "groups", "cost"), nargs="?", default="pairs")
    parser.add_argument("--set", type=Path, default=OUT, help="the labelled pairs (JSONL)")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.command == "pairs":
        pairs_command(args.set)
    elif args.command == "groups":
        groups_command()
    else:
        cost_command(args.articles, args.repeats)


if __name__ == "__main__":
    main()
