"""Judge check: agreement of each judge with hand labels on sentence/passage pairs.

``evals/judge-check.jsonl`` holds ``{"id", "sentence", "passage", "label": "supported" |
"unsupported", "kind"}``; kinds name the trap (wrong_number, swapped_name, negation,
reported_claim, ...). Agreement per kind shows what a judge misses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .judges import Judge, make_judge
from .sets import EvalSetError


@dataclass(frozen=True)
class LabelledPair:
    """A sentence, a passage, and whether the passage supports the sentence."""

    id: str
    sentence: str
    passage: str
    supported: bool
    kind: str = ""


@dataclass
class Agreement:
    """How often a judge agreed with the labels, overall and per kind."""

    judge: str
    agreed: int = 0
    total: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [agreed, total]
    disagreements: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Share of pairs where the judge's verdict equals the label."""
        return self.agreed / self.total if self.total else 0.0


def load_pairs(path: Path) -> list[LabelledPair]:
    """Read the labelled pairs; labels must be 'supported' or 'unsupported'."""
    pairs = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        if record.get("label") not in ("supported", "unsupported"):
            raise EvalSetError(f"{path}:{number}: label must be supported or unsupported")
        pairs.append(
            LabelledPair(
                str(record["id"]),
                record["sentence"],
                record["passage"],
                record["label"] == "supported",
                record.get("kind", ""),
            )
        )
    return pairs


def agreement(judge: Judge, pairs: list[LabelledPair]) -> Agreement:
    """Judge every pair and count agreement with its label."""
    result = Agreement(judge.name)
    for pair in pairs:
        verdict = judge.verdict(pair.sentence, [pair.passage])
        ok = verdict.supported == pair.supported
        counts = result.by_kind.setdefault(pair.kind, [0, 0])
        counts[0] += ok
        counts[1] += 1
        result.agreed += ok
        result.total += 1
        if not ok:
            result.disagreements.append(
                f"{pair.id} ({pair.kind}): judge said "
                f"{'supported' if verdict.supported else verdict.reason}"
            )
    return result


def run_judge_check(path: Path, settings, judge_name: str | None = None) -> int:
    """Print each judge's agreement; the offline judge runs with and without embeddings."""
    from ..providers import make_embeddings

    pairs = load_pairs(path)
    judges = {
        "offline (lexical only)": make_judge("offline", settings),
        "offline (+ embeddings)": make_judge("offline", settings, make_embeddings(settings)),
    }
    if judge_name == "llm":
        judges["llm"] = make_judge("llm", settings)
    for label, judge in judges.items():
        result = agreement(judge, pairs)
        kinds = ", ".join(f"{k} {a}/{t}" for k, (a, t) in sorted(result.by_kind.items()))
        print(f"{label}: agreement {result.agreed}/{result.total} = {result.rate:.2f} ({kinds})")
        for line in result.disagreements:
            print(f"  - {line}")
    return 0
