"""Shared fixtures: a clean environment, a socket guard, fakes, small corpora.

Every test runs with the environment cleared of ASSISTANT_* / OPENAI_* variables and
with a guard that fails any connection to a non-loopback address (nothing phones home).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, load_settings
from assistant.providers import HashingEmbedder

ROOT = Path(__file__).resolve().parent.parent
ATTEMPTED: list[object] = []  # outside addresses something tried to reach, for test_offline


def _is_loopback(address) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        return host in ("localhost", "::1") or host.startswith("127.") or host == "0.0.0.0"
    return isinstance(address, (str, bytes))  # unix sockets


@pytest.fixture(autouse=True)
def _offline_guard(monkeypatch):
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self, address):
        if not _is_loopback(address):
            ATTEMPTED.append(address)
            raise ConnectionRefusedError(f"test guard: outside connection to {address!r} refused")
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _is_loopback(address):
            ATTEMPTED.append(address)
            return 111
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith(("ASSISTANT_", "OPENAI_")) and key != "ASSISTANT_EVAL_DATA_DIR":
            monkeypatch.delenv(key)
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


ARTICLES = {
    "troops.txt": (
        "---\nid: troops\ntitle: Truppen in Russland\nlanguage: de\nsource: Testquelle\n"
        "published: 2024-10-26\n---\n"
        "Nordkorea hat nach Berichten fast 12.000 Soldaten nach Russland geschickt. "
        "Pjöngjang wies die Berichte als grundlose Gerüchte zurück.\n"
        "Die Welt schaut mit angehaltenem Atem zu."
    ),
    "weather.md": (
        "---\nid: weather\nsource: Test Source\npublished: 2024-11-02\n---\n"
        "# Storm hits the coast\n"
        "A strong storm with winds of 140 km/h hit the northern coast on Saturday. "
        "Thousands of homes lost power.\n"
    ),
}


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def drained(stream):
    """The value a generator returns (an answerer's Draft), its yields read and dropped."""
    while True:
        try:
            next(stream)
        except StopIteration as done:
            return done.value


def write_fake_model(
    path: Path, embedder: str = "fake/hashing-256", threshold: float = 0.3
) -> Path:
    """A hand-set answer model for the hashing embedder (unit tests only): chunks and
    sentences rank by cosine, sentences also by covered question stems, and a question
    is answerable when its best sentence cosine reaches ``threshold``."""
    from assistant.evidence.features import ANSWER_FEATURES, CHUNK_FEATURES, SENTENCE_FEATURES
    from assistant.evidence.model import AnswerModel, LinearModel

    def linear(features, weights, bias=0.0):
        n = len(features)
        return LinearModel(
            features,
            np.zeros(n),
            np.ones(n),
            np.array([weights.get(f, 0.0) for f in features]),
            bias,
        )

    AnswerModel(
        "test",
        embedder,
        linear(CHUNK_FEATURES, {"similarity": 1.0, "best_sentence": 1.0}),
        linear(SENTENCE_FEATURES, {"similarity": 4.0, "coverage_same": 1.0}),
        linear(ANSWER_FEATURES, {"best_similarity": 20.0}, -20.0 * threshold),
        {"de": 0.5, "en": 0.5},
        0.1,
        {},
    ).save(path)
    return path


@pytest.fixture
def fake_model(tmp_path: Path) -> Path:
    return write_fake_model(tmp_path / "answer-model.json")


@pytest.fixture
def fake_settings(tmp_path: Path, fake_model: Path):
    """Settings for unit tests: hashing embedder, a hand-set answer model on its scale."""
    return load_settings(index_dir=tmp_path / "index", embeddings="fake", answer_model=fake_model)


@pytest.fixture
def fake_assistant(fake_settings):
    """An Assistant on the hashing embedder, with Chroma in memory (half the time of an
    on-disk index per test, measured): this test's own collection in the process's one
    in-memory Chroma, deleted after. The keyword index stays in ``fake_settings.index_dir``.
    Tests of what Chroma keeps on disk build their Assistant from ``fake_settings``."""
    import uuid

    import chromadb

    client = chromadb.EphemeralClient()
    name = f"test-{uuid.uuid4().hex[:12]}"
    settings = fake_settings.model_copy(update={"collection": name})
    with Assistant.from_settings(settings, embedder=HashingEmbedder(), client=client) as bot:
        yield bot
    existing = {c.name for c in client.list_collections()}
    for collection in {name, f"{name}_sentences"} & existing:
        client.delete_collection(collection)


@pytest.fixture
def disk_assistant(fake_settings):
    """The fake assistant on real on-disk Chroma in a temp dir, for tests that reopen the
    index (the CLI, a restart) or read what Chroma wrote (a module overrides
    ``fake_assistant`` with it)."""
    return Assistant.from_settings(fake_settings, embedder=HashingEmbedder())


def shared_data() -> Path:
    """Where the shared data is, found the one way ``assistant eval`` finds it: the setting
    ``eval_data_dir`` (``ASSISTANT_EVAL_DATA_DIR``, default ../shared/data)."""
    return load_settings().eval_data_dir


def shared_file(name: str) -> Path:
    """A file of the shared data, or skip the test when the data is absent (CI has it)."""
    path = shared_data() / name
    if not path.is_file():
        pytest.skip(f"shared data {path} is absent")
    return path


@pytest.fixture
def site():
    """A local HTTP server for the feed tests (``tests/test_feeds.py`` ``Site``)."""
    from tests.test_feeds import Site

    with Site() as served:
        yield served


@pytest.fixture
def web_assistant(tmp_path, fake_model):
    """The fake assistant, allowed to fetch from the loopback test site without waiting."""
    settings = load_settings(
        index_dir=tmp_path / "index",
        embeddings="fake",
        answer_model=fake_model,
        fetch_allow_private=True,  # the test site is on loopback
        fetch_min_interval_s=0,
    )
    return Assistant.from_settings(settings, embedder=HashingEmbedder())


@pytest.fixture(scope="session")
def e5():
    """The embedded e5 model on the default engine (ONNX Runtime, assistant/encoder), loaded
    once per test session: tests whose subject is not the loading share it (through
    ``Assistant.from_settings(embedder=)`` and ``main(embedder=)``). The graph is built into
    the model cache on the first run of a clone (about 15 s) and reused after."""
    from assistant.encoder import OnnxEmbedder

    return OnnxEmbedder()
