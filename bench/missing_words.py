"""Which words does a closest response say the articles lack? Two ways, against hand labels.

    python bench/missing_words.py [--limit N]

On the same-topic half of ``evals/news-pairs`` (each item names the words its article does
not speak to, ``missing``, and the sentence a careless reader would quote, ``near_sentence``):

- ``words``: the question's content words the quote does not cover by stem, compound or
  derivation, nor by a single-word e5 vector near enough (``verifier/missing.uncovered``; the
  names the quoted chunk holds are left out);
- ``verifier``: the word whose removal from the question makes the verifier most sure the
  quote answers (``verifier/missing.by_verifier``), scored by the verifier of the fold that
  never saw the article (``INDEX_DIR/verifier/fold-K.verifier.npz``, see
  ``python -m assistant.verifier.stack``).

A guess is a hit when one of its words overlaps a labelled word (either contains the other,
case-folded); precision is the share of named words that do. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.config import load_settings  # noqa: E402
from assistant.verifier.missing import by_verifier, uncovered  # noqa: E402
from assistant.verifier.pairs import fold_of, shared_articles  # noqa: E402


def overlaps(word: str, labels: list[str]) -> bool:
    w = word.casefold()
    return any(w in g.casefold() or g.casefold() in w for g in labels)


def main() -> int:
    from assistant.encoder import OnnxEmbedder
    from assistant.verifier.runtime import VerifierRuntime

    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    settings = load_settings()
    items = [json.loads(line) for line in (ROOT / "evals/news-pairs/items.jsonl").open()]
    absent = [i for i in items if not i["answerable"]][: args.limit or None]
    articles = shared_articles(settings.eval_data_dir)
    work = settings.index_dir / "verifier"
    verifiers = [VerifierRuntime(work / f"fold-{k}.verifier.npz") for k in range(3)]
    embedder = OnnxEmbedder()
    rows: dict[str, list[tuple[bool, float, int]]] = {"words": [], "verifier": []}
    for item in absent:
        article = articles[item["topic_article"]]
        near, lang = item["near_sentence"], article["language"]
        guesses = {
            "words": uncovered(
                item["question"],
                item["language"],
                [(near, lang)],
                embedder,
                context=article["text"],
            ),  # fmt: skip
            "verifier": by_verifier(
                item["question"],
                item["language"],
                near,
                verifiers[fold_of(item["topic_article"], 3)],
                context=article["text"],
            ),  # fmt: skip
        }
        for name, words in guesses.items():
            right = [overlaps(w, item["missing"]) for w in words]
            rows[name].append((any(right), float(np.mean(right)) if right else np.nan, len(words)))
    print("| method | items | hit | precision | named none |")
    print("|---|---:|---:|---:|---:|")
    for name, found in rows.items():
        r = np.array(found, dtype=float)
        print(f"| {name} | {len(r)} | {r[:, 0].mean():.3f} | {np.nanmean(r[:, 1]):.3f} | "
              f"{(r[:, 2] == 0).mean():.3f} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
