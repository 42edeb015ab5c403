"""The verifier file (assistant/verifier/model.py) and the pair head the runtime computes
in numpy (runtime.pair_logits). No verifier ships (docs/evaluation.md, "The verifier"):
the decision with one is tested with a scripted verifier in tests/test_decide.py."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.errors import ConfigError
from assistant.verifier.model import FORMAT, FORMAT_VERSION, Verifier, load_verifier
from assistant.verifier.runtime import pair_logits

BASE = "ab" * 32
HIDDEN, INNER = 8, 4


def head_arrays(rng) -> dict[str, np.ndarray]:
    return {
        "head.w1": rng.normal(size=(INNER, 4 * HIDDEN)),
        "head.b1": rng.normal(size=INNER),
        "head.w2": rng.normal(size=INNER),
        "head.b2": rng.normal(size=1),
    }


def write(tmp_path, meta_change=None, arrays=None):
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "version": "t",
            "base_sha256": BASE, "frozen": 2, "rank": 1, "head": "pair"}  # fmt: skip
    meta.update(meta_change or {})
    rng = np.random.default_rng(0)
    if arrays is None:
        arrays = head_arrays(rng)
        for part in ("q", "k", "v", "ao", "fi", "fo"):
            cols = 4 * HIDDEN if part == "fo" else HIDDEN
            rows = 4 * HIDDEN if part == "fi" else HIDDEN
            arrays[f"l2.{part}_a"] = rng.normal(size=(1, cols))
            arrays[f"l2.{part}_b"] = rng.normal(size=(rows, 1))
    return Verifier(meta, arrays).save(tmp_path / "v.npz")


def test_a_well_formed_file_loads(tmp_path):
    verifier = load_verifier(write(tmp_path), BASE, layers=3, hidden=HIDDEN)
    assert verifier.frozen == 2 and verifier.delta(2, "fi").shape == (4 * HIDDEN, HIDDEN)


def test_the_head_alone_is_a_verifier(tmp_path):
    """frozen == layers: no adapters, the head reads e5's own states."""
    path = write(tmp_path, {"frozen": 3}, head_arrays(np.random.default_rng(1)))
    assert load_verifier(path, BASE, layers=3, hidden=HIDDEN).frozen == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format_version": 99}, "expected format"),
        ({"base_sha256": "cd" * 32}, "adapts other base weights"),
        ({"frozen": 4}, "expected 0 <= frozen <= 3"),
        ({"rank": 0}, "rank > 0"),
        ({"head": "deep"}, "expected a verifier head"),
        ({"frozen": 1}, "expected array l1.q_a"),
    ],
)
def test_a_wrong_file_is_refused_with_the_reason(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        load_verifier(write(tmp_path, change), BASE, layers=3, hidden=HIDDEN)
    with pytest.raises(ConfigError, match="expected a verifier file"):
        load_verifier(tmp_path / "missing.npz", BASE)


def test_the_pair_head_reads_the_question_and_the_sentence_apart():
    """runtime.pair_logits against the same arithmetic written out for one pair: <s> q q
    </s></s> s s s </s> pad; q = mean of the question's states, s = of the sentence's."""
    rng = np.random.default_rng(2)
    head = head_arrays(rng)
    states = rng.normal(size=(1, 10, HIDDEN))
    mask = np.array([[1] * 9 + [0]])
    q, s = states[0, 1:3].mean(0), states[0, 5:8].mean(0)
    x = np.concatenate([q, s, q * s, np.abs(q - s)]) @ head["head.w1"].T + head["head.b1"]
    from math import erf, sqrt

    hidden = np.array([0.5 * v * (1 + erf(v / sqrt(2))) for v in x])
    expected = hidden @ head["head.w2"] + head["head.b2"][0]
    got = pair_logits(states, mask, np.array([2]), head)
    assert got.shape == (1,) and got[0] == pytest.approx(expected)
    moved = states.copy()
    moved[0, 9] += 100.0  # padding never counts
    assert pair_logits(moved, mask, np.array([2]), head)[0] == pytest.approx(expected)


def test_a_question_its_mined_pairs_and_its_article_share_one_fold():
    """``article_keys``: the verifier's pairs, its mined pairs and the stacked decision
    key a question by the same article (a same-topic question by its twin's), so that
    ``fold_of`` never puts an article's sentences on both sides of a fold."""
    from assistant.evaluation.sets import EvalItem
    from assistant.evidence.collect import Example
    from assistant.records import Retrieval
    from assistant.verifier.pairs import Pair, article_keys

    def example(set_name: str, group: str, item_id: str, gold: tuple[str, ...]) -> Example:
        item = EvalItem(item_id, "q?", "en", bool(gold), ("a",) if gold else (), gold)
        return Example(set_name, group, item, Retrieval("q?", "en", ()))

    examples = [
        example("news-pairs", "news-pairs:en-7", "pair-en-001-answer", ("en-7",)),
        example("news-pairs", "news-pairs:pair-en-001-absent", "pair-en-001-absent", ()),
        example("news", "news:news-unans-003", "news-unans-003", ()),
        example("xquad-de", "xquad:Normannen", "56de0dae#removed", ()),
    ]
    known = [Pair("q?", "de", "s", "de", 1, "xquad:Normannen", "xquad-de", "56de0dae")]
    assert article_keys(examples, known) == ["en-7", "en-7", "news-unans-003", "xquad:Normannen"]
