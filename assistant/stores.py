"""Opening the two stores for the settings: the vector store (``index.py``) and the keyword
index beside it (``keywords.py``), both tied to the record of how the index is built."""

from __future__ import annotations

from .config import Settings
from .index import ChromaIndex, make_chroma_client
from .ingest.chunking import CHUNKER_VERSION
from .keywords import KeywordIndex
from .stored import BuildRecord


def build_record(settings: Settings, embedder) -> BuildRecord:
    """What an ingest with these settings and this embedder writes (``BuildRecord``)."""
    return BuildRecord(
        embedder=embedder.name,
        embedder_version=str(getattr(embedder, "version", "")),
        dimension=embedder.dim,
        chunk_tokens=settings.chunk_tokens,
        chunk_overlap=settings.chunk_overlap,
        chunk_vectors=settings.chunk_vectors,
        sentence_vectors=settings.sentence_vectors,
        chunker=CHUNKER_VERSION,
    )


def open_stores(settings: Settings, embedder, client=None) -> tuple[ChromaIndex, KeywordIndex]:
    """The vector store and the keyword index beside it, for the configured collection."""
    index = ChromaIndex(
        client or make_chroma_client(settings),
        settings.collection,
        build_record(settings, embedder),
    )
    return index, KeywordIndex(settings.index_dir / f"{settings.collection}.keywords.sqlite3")


def discard(settings: Settings) -> None:
    """Empty the configured collection's stores, for a cached index that must be built
    anew (``assistant eval``). Through the client, not by deleting the folder: Chroma keeps
    an open on-disk index per path for the whole process."""
    client = make_chroma_client(settings)
    name = settings.collection
    existing = {c.name for c in client.list_collections()}
    for collection in (name, f"{name}_sentences"):
        if collection in existing:
            client.delete_collection(collection)
    for suffix in ("keywords", "copies"):
        (settings.index_dir / f"{name}.{suffix}.sqlite3").unlink(missing_ok=True)
