"""A failing vector store is a StoreError naming the operation, and the API answers 503."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from chromadb.errors import InternalError

from assistant.errors import AssistantError, StoreError
from assistant.index import ChromaIndex
from assistant.stored import BuildRecord

from .conftest import TROOPS_QUESTION


@pytest.fixture
def fake_assistant(disk_assistant):
    """On disk: the failures are Chroma's own, on its default collection."""
    return disk_assistant


def fail_with(exc: Exception):
    """A stand-in for a collection method that always raises ``exc``."""

    def failing(*args, **kwargs):
        raise exc

    return failing


@pytest.mark.parametrize(
    "call, method, collection",
    [
        (lambda index: index.search_chunks(np.ones(256, dtype=np.float32), 3), "query", "articles"),
        (
            lambda index: index.search_sentences(np.ones(256, dtype=np.float32), 3),
            "query",
            "articles_sentences",
        ),
        (lambda index: index.get_chunks(["any-id"]), "get", "articles"),
        (lambda index: index.count(), "count", "articles"),
    ],
)
def test_a_failing_read_is_a_store_error_naming_the_operation(
    indexed, monkeypatch, call, method, collection
):
    disk = sqlite3.OperationalError("disk I/O error")
    target = indexed.index.sentences if collection.endswith("_sentences") else indexed.index.chunks
    monkeypatch.setattr(target, method, fail_with(disk))
    with pytest.raises(StoreError) as caught:
        call(indexed.index)
    assert str(caught.value) == (
        f"the vector store failed: expected to {method} in collection "
        f"{collection}, got OperationalError: disk I/O error"
    )
    assert caught.value.__cause__ is disk
    assert isinstance(caught.value, AssistantError)


def test_a_failing_write_is_a_store_error_naming_upsert(indexed, monkeypatch):
    monkeypatch.setattr(indexed.index.sentences, "upsert", fail_with(OSError(28, "No space left")))
    with pytest.raises(
        StoreError,
        match=r"^the vector store failed: expected to upsert in "
        r"collection articles_sentences, got OSError: "
        r"\[Errno 28\] No space left$",
    ):
        indexed.index.write([], np.zeros((0, 256)), {}, [_sentence_row()], np.ones((1, 256)))


def test_a_failing_delete_is_a_store_error_naming_delete(indexed, monkeypatch):
    monkeypatch.setattr(indexed.index.chunks, "delete", fail_with(InternalError("locked")))
    with pytest.raises(
        StoreError,
        match=r"^the vector store failed: expected to delete in "
        r"collection articles, got InternalError: locked$",
    ):
        indexed.index.delete_stale("troops", keep_hash=None)


def test_opening_a_failing_store_is_a_store_error():
    class BrokenClient:
        def get_or_create_collection(self, name, **kwargs):
            raise sqlite3.DatabaseError("file is not a database")

    with pytest.raises(
        StoreError,
        match=r"^the vector store failed: expected to "
        r"get_or_create_collection in collection news, got "
        r"DatabaseError: file is not a database$",
    ):
        ChromaIndex(BrokenClient(), "news", BuildRecord("fake/hashing-256", dimension=256))


def test_other_exceptions_keep_their_type(indexed, monkeypatch):
    monkeypatch.setattr(indexed.index.chunks, "count", fail_with(RuntimeError("a bug")))
    with pytest.raises(RuntimeError, match="^a bug$"):
        indexed.index.count()


@pytest.mark.parametrize("path", ["/api/ask", "/api/ask?stream=true"])
def test_ask_answers_503_store_error_when_the_store_fails(client, indexed, monkeypatch, path):
    monkeypatch.setattr(
        indexed.index.chunks, "query", fail_with(sqlite3.OperationalError("disk I/O error"))
    )
    response = client.post(path, json={"question": TROOPS_QUESTION})
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "type": "store_error",
            "message": "the vector store failed: expected to query in collection articles, "
            "got OperationalError: disk I/O error",
        }
    }


def _sentence_row():
    from assistant.stored import SentenceRow

    return SentenceRow(
        id="s1",
        article_id="a",
        article_hash="h",
        chunk_id="c",
        start=0,
        end=4,
        text="Text",
        language="de",
        source="",
        published_day=0,
    )
