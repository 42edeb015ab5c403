"""The edits outlets make to a wire story, and the text helpers of bench/copy_pairs.py.

A story is a list of paragraphs, each a list of sentences; every edit takes one and a
seeded ``random.Random`` and returns the edited paragraphs (None when the story does not
suit the edit), so that the labelled set is the same for the same seed.
"""

from __future__ import annotations

import random
import re
import zlib
from datetime import date, timedelta

_WORD = re.compile(r"\w+")


def words(text: str) -> int:
    return len(_WORD.findall(text))


def half(article_id: str) -> str:
    """The half an article belongs to, by its id."""
    return "fit" if zlib.crc32(article_id.encode()) % 2 == 0 else "test"


def iso(day: str) -> str:
    parts = day.split()[0].replace("-", "/").split("/") if day.strip() else []
    return date(*map(int, parts)).isoformat() if len(parts) == 3 else ""


def later(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat() if day else ""


def group(sentences: list[str], rng: random.Random) -> list[list[str]]:
    """Sentences as paragraphs of 1-3 sentences."""
    paras, i = [], 0
    while i < len(sentences):
        n = rng.randint(1, 3)
        paras.append(sentences[i : i + n])
        i += n
    return paras


def shortened(sentences: list[str], rng: random.Random) -> list[str]:
    """The first sentences of a story, 40-120 words (one cut sentence when needed)."""
    target, kept = rng.randint(40, 120), list[str]()
    for s in sentences:
        if words(" ".join(kept)) >= target:
            break
        kept.append(s)
    return kept


def article(story: dict, paras: list[list[str]], **changes: str) -> dict:
    """An article record; ``headline`` in ``changes`` starts the text with a title line."""
    body = "\n\n".join(" ".join(p) for p in paras if p)
    title = changes.pop("title", story["title"])
    text = f"{title}\n\n{body}" if changes.pop("headline", "") else body
    keys = ("id", "title", "language", "source", "url", "published")
    record = {k: story.get(k, "") for k in keys} | {"title": title, "text": text}
    return record | changes


# --- the edits outlets make ------------------------------------------------------------
def trim(paras: list[list[str]], rng: random.Random, low: float = 0.5, high: float = 0.9):
    """The first ``low``-``high`` of the words, cut after a sentence; something is cut."""
    total = sum(words(s) for p in paras for s in p)
    goal, kept, count = rng.uniform(low, high) * total, [], 0
    for p in paras:
        part = []
        for s in p:
            if count >= goal:
                break
            part.append(s)
            count += words(s)
        if part:
            kept.append(part)
    if count == total:  # one sentence at least is cut
        kept[-1] = kept[-1][:-1] or kept[-1]
    return [p for p in kept if p]


def new_headline(story: dict, rng: random.Random) -> str:
    """A headline in other words: a run of 5-9 words from the story's second half."""
    pool = _WORD.findall(" ".join(story["sentences"][len(story["sentences"]) // 2 :]))
    start = rng.randrange(max(1, len(pool) - 9))
    return " ".join(pool[start : start + rng.randint(5, 9)]).capitalize()


def rewrite(sentence: str, rng: random.Random) -> str:
    """The sentence in an outlet's own words: the same words, regrouped in pairs."""
    tokens = sentence.rstrip(".").split()
    pairs = [tokens[i : i + 2] for i in range(0, len(tokens), 2)]
    rng.shuffle(pairs)
    text = " ".join(w for p in pairs for w in p)
    return f"Reports say {text[:1].lower()}{text[1:]}."


def lede(paras: list[list[str]], rng: random.Random) -> list[list[str]] | None:
    """The first sentence rewritten; None when it is over half of the text's words."""
    if 2 * words(paras[0][0]) > sum(words(s) for p in paras for s in p):
        return None
    return [[rewrite(paras[0][0], rng), *paras[0][1:]], *paras[1:]]


def change_words(paras: list[list[str]], rng: random.Random, vocab: list[str], n: int):
    """``n`` words (of three letters or more) replaced by others of the same language."""
    paras = [list(p) for p in paras]
    for _ in range(n):
        p = rng.randrange(len(paras))
        s = rng.randrange(len(paras[p]))
        tokens = paras[p][s].split(" ")
        spots = [i for i, t in enumerate(tokens) if t.isalpha() and len(t) >= 3]
        if spots:
            tokens[rng.choice(spots)] = rng.choice(vocab)
        paras[p][s] = " ".join(tokens)
    return paras


def add_paragraph(paras: list[list[str]], rng: random.Random, donor: dict, top: bool = False):
    start = rng.randrange(max(1, len(donor["sentences"]) - 2))
    extra = donor["sentences"][start : start + rng.randint(2, 3)]
    at = 0 if top else rng.randint(1, len(paras))
    return [*paras[:at], extra, *paras[at:]]


def reorder(paras: list[list[str]], rng: random.Random) -> list[list[str]]:
    """1-3 moves: two later paragraphs swapped, or a sentence moved to another paragraph."""
    paras = [list(p) for p in paras]
    for _ in range(rng.randint(1, 3)):
        if len(paras) >= 3 and rng.random() < 0.5:
            i, j = rng.sample(range(1, len(paras)), 2)
            paras[i], paras[j] = paras[j], paras[i]
        elif len(paras) >= 2:
            i, j = rng.sample(range(len(paras)), 2)
            if len(paras[i]) > 1:
                paras[j].insert(rng.randint(0, len(paras[j])), paras[i].pop())
    return paras


def vocab_of(story: dict) -> set[str]:
    return {w for w in _WORD.findall(story["text"]) if w.isalpha() and len(w) >= 3}


def days(one: dict, two: dict) -> int:
    if not one["published"] or not two["published"]:
        return 0
    return abs((date.fromisoformat(one["published"]) - date.fromisoformat(two["published"])).days)


def shingle_set(text: str) -> set[str]:
    w = _WORD.findall(text.lower())
    return {" ".join(w[i : i + 3]) for i in range(max(1, len(w) - 2))}


def shares_text(one: dict, two: dict) -> bool:
    """True when 30 % or more of the shorter text's 3-word shingles are in the other."""
    x, y = shingle_set(one["text"]), shingle_set(two["text"])
    return len(x & y) >= 0.3 * min(len(x), len(y))


def series_prefix(title: str) -> str:
    """ "Orly airport" of "Orly airport: ...", "TRIBE X" of "TRIBE X - Ep.73"; else ""."""
    for mark in (":", " - "):
        head = title.split(mark, 1)[0].strip()
        if mark in title and 1 <= len(head.split()) <= 4:
            return head.casefold()
    return ""


def neighbours(stories: list[dict], keep: int = 12) -> dict[str, list[tuple[str, float]]]:
    """Each story's nearest stories of its language by TF-IDF cosine, best first."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    near: dict[str, list[tuple[str, float]]] = {}
    for lang in ("en", "de"):
        group_ = [s for s in stories if s["language"] == lang]
        matrix = TfidfVectorizer(sublinear_tf=True, min_df=2).fit_transform(
            [s["title"] + " " + s["text"] for s in group_]
        )
        scores = (matrix @ matrix.T).toarray()
        np.fill_diagonal(scores, 0)
        for i, s in enumerate(group_):
            best = np.argsort(-scores[i])[:keep]
            near[s["id"]] = [(group_[j]["id"], float(scores[i, j])) for j in best]
    return near
