"""The fitted answer model: three logistic regressions in one versioned JSON file.

``chunk`` ranks candidate chunks, ``sentence`` ranks the sentences of the ranked chunks,
``answer`` decides whether the articles answer at all, with a threshold per question
language. The file names the embedder it was fitted with (its cosines are the model's
inputs) and the features in order; a file that does not match the code or the configured
embedder is refused with the reason, never replaced by a built-in rule. Fitted by
``python -m assistant.evidence.fit`` (docs/evaluation.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..config import ANSWER_MODEL
from ..errors import ConfigError
from .decide import VerifyModel
from .features import ANSWER_FEATURES, CHUNK_FEATURES, SENTENCE_FEATURES
from .linear import LinearModel

FORMAT = "news-assistant/answer-model"
DEFAULT_PATH = ANSWER_MODEL


@dataclass(frozen=True)
class AnswerModel:
    """The three fitted models, the answerable thresholds and what they were fitted on."""

    version: str
    embedder: str
    chunk: LinearModel
    sentence: LinearModel
    answer: LinearModel
    thresholds: dict[str, float]  # question language -> minimum answer probability
    second_margin: float  # a second sentence is quoted within this probability of the best
    fitted: dict  # data, folds and cross-validated figures, for people
    verify: VerifyModel | None = None  # the decision over the verifier's scores (decide.py)
    verify_fitted: dict | None = None  # its cross-validated figures

    def threshold(self, language: str) -> float:
        return self.thresholds.get(language, self.thresholds["en"])

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": self.version,
            "embedder": self.embedder,
            "chunk": self.chunk.to_dict(),
            "sentence": self.sentence.to_dict(),
            "answer": self.answer.to_dict(),
            "thresholds": self.thresholds,
            "second_margin": self.second_margin,
            "fitted": self.fitted,
            **(
                {"verify": {**self.verify.to_dict(), "cross_validated": self.verify_fitted}}
                if self.verify
                else {}
            ),  # fmt: skip
        }

    def save(self, path: Path) -> None:
        Path(path).write_text(
            json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def load_answer_model(path: Path, embedder: str) -> AnswerModel:
    """The model in ``path``, checked against the code's features and the embedder."""
    where = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"expected an answer model (JSON) at {where}, got {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ConfigError(
            f"{where}: expected format {FORMAT!r}, got "
            f"{data.get('format') if isinstance(data, dict) else type(data).__name__!r}"
        )
    if data.get("embedder") != embedder:
        raise ConfigError(
            f"{where} was fitted for embedder {data.get('embedder')!r}, but the "
            f"configured embedder is {embedder!r}: fit one for it with "
            f"`python -m assistant.evidence.fit` and set ASSISTANT_ANSWER_MODEL"
        )
    try:
        thresholds = {str(k): float(v) for k, v in data["thresholds"].items()}
        if "en" not in thresholds:
            raise KeyError("thresholds.en")
        return AnswerModel(
            str(data["version"]),
            embedder,
            LinearModel.from_dict(data["chunk"], CHUNK_FEATURES, f"{where} chunk"),
            LinearModel.from_dict(data["sentence"], SENTENCE_FEATURES, f"{where} sentence"),
            LinearModel.from_dict(data["answer"], ANSWER_FEATURES, f"{where} answer"),
            thresholds,
            float(data["second_margin"]),
            dict(data.get("fitted", {})),
            VerifyModel.from_dict(data["verify"], where) if "verify" in data else None,
            dict(data["verify"].get("cross_validated") or {}) if "verify" in data else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(
            f"{where}: expected chunk, sentence and answer models with "
            f"thresholds, got a problem with {exc}"
        ) from None
