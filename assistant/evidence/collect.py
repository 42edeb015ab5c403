"""Training data for the answer model: every eval item with what retrieval found for it.

``python -m assistant.evidence.fit collect --set xquad-de --set xquad-en --set news`` builds
(or reuses) the eval indexes of each set, exactly as ``assistant eval`` does, asks the
retriever once per item and pickles the items with their retrievals under ``INDEX_DIR/fit``.
Fitting then needs no embedder and no index, so trying features takes seconds.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

from ..condense import condense_rule
from ..config import Settings
from ..evaluation.command import cache_dir, resolve_set
from ..evaluation.runner import CachedEmbedder, vector_file
from ..evaluation.sets import EvalItem
from ..ingest.chunking import Chunker
from ..ingest.pipeline import Ingestor
from ..language import detect_language
from ..providers import make_embeddings
from ..records import Retrieval
from ..retrieve import Retriever
from ..stores import open_stores


@dataclass(frozen=True)
class Example:
    """One eval item, the article group it belongs to, and its retrieval."""

    set_name: str
    group: str  # items of one group are never split between fitting and scoring
    item: EvalItem
    retrieval: Retrieval


def group_of(set_name: str, item: EvalItem) -> str:
    """XQuAD: the Wikipedia article; other sets: the gold article (or the item itself)."""
    if set_name.startswith("xquad"):
        return f"xquad:{item.kind}"
    return f"{set_name}:{item.gold_articles[0] if item.gold_articles else item.id}"


def retrievers_for(
    set_name: str, settings: Settings, root: Path | None = None
) -> tuple[list[EvalItem], dict, str]:
    """The set's items and one Retriever per corpus variant (indexes built when needed,
    under ``root`` instead of ``INDEX_DIR/eval`` when given: e.g. for other chunk vectors)."""
    args = argparse.Namespace(
        set_name=set_name,
        distractors=None,
        no_removed=False,
        limit=None,
        index=None,
        full_corpus=True,  # fit on a news set's whole corpus, not the gate's fixed one
    )
    cache = cache_dir(args, settings)
    cache = root / cache.name if root else cache
    eval_set = resolve_set(args, settings, cache)
    inner = make_embeddings(settings)
    embedder = CachedEmbedder(inner, vector_file(cache, inner))
    out = {}
    for variant, paths in eval_set.corpora.items():
        variant_settings = settings.model_copy(update={"index_dir": cache / f"index-{variant}"})
        index, keywords = open_stores(variant_settings, embedder)
        chunker = Chunker(settings.chunk_tokens, settings.chunk_overlap)
        ingestor = Ingestor(
            index, keywords, embedder, chunker, chunk_vectors=settings.chunk_vectors
        )
        for path in paths:
            report = ingestor.run(path, prune=len(paths) == 1)
            print(f"[{set_name}/{variant}] {path}: {report.summary()}", file=sys.stderr)
        out[variant] = Retriever(index, keywords, embedder)
    embedder.save()
    return eval_set.items, out, embedder.name


def collect(
    set_names: list[str], settings: Settings, folder: Path, root: Path | None = None
) -> list[Path]:
    """Retrieve for every item of every set; one pickle per set under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in set_names:
        items, retrievers, embedder = retrievers_for(name, settings, root)
        examples = []
        for item in items:
            query = condense_rule(item.question, item.history) if item.history else item.question
            retrieval = retrievers[item.variant].retrieve(query, detect_language(item.question))
            examples.append(Example(name, group_of(name, item), item, retrieval))
        path = folder / f"{name}.pkl"
        path.write_bytes(pickle.dumps({"embedder": embedder, "examples": examples}))
        print(f"{name}: {len(examples)} items -> {path}", file=sys.stderr)
        written.append(path)
    return written


def load_examples(paths: list[Path]) -> tuple[str, list[Example]]:
    """The embedder and the examples of every pickle in ``paths`` (one embedder for all)."""
    loaded = [pickle.loads(Path(p).read_bytes()) for p in paths]
    embedders = {data["embedder"] for data in loaded}
    if len(embedders) != 1:
        raise ValueError(f"expected examples from one embedder, got {sorted(embedders)}")
    return embedders.pop(), [e for data in loaded for e in data["examples"]]
