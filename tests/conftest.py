"""Shared fixtures: a clean environment, a socket guard, fakes, small corpora.

Every test runs with the environment cleared of ASSISTANT_* / OPENAI_* variables and
with a guard that fails any connection to a non-loopback address (nothing phones home).
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from assistant import Assistant, load_settings
from assistant.providers import HashingEmbedder

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("ASSISTANT_TEST_DATA", ROOT.parent / "shared" / "data"))
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
        if key.startswith(("ASSISTANT_", "OPENAI_")) and key != "ASSISTANT_TEST_DATA":
            monkeypatch.delenv(key)
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "False")
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


ARTICLES = {
    "troops.txt": (
        "---\nid: troops\ntitle: Truppen in Russland\nlanguage: de\nsource: Testquelle\n"
        "published: 2024-10-26\n---\n"
        "Nordkorea hat nach Berichten fast 12.000 Soldaten nach Russland geschickt. "
        "Pjöngjang wies die Berichte als grundlose Gerüchte zurück.\n"
        "Die Welt schaut mit angehaltenem Atem zu."),
    "weather.md": (
        "---\nid: weather\nsource: Test Source\npublished: 2024-11-02\n---\n"
        "# Storm hits the coast\n"
        "A strong storm with winds of 140 km/h hit the northern coast on Saturday. "
        "Thousands of homes lost power.\n"),
}


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name, text in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def fake_settings(tmp_path: Path):
    """Settings for unit tests: hashing embedder, thresholds on its scale."""
    return load_settings(index_dir=tmp_path / "index", embeddings="fake",
                         decline_threshold_de=0.3, decline_threshold_en=0.3)


@pytest.fixture
def fake_assistant(fake_settings):
    """An Assistant on the hashing embedder and real on-disk Chroma in a temp dir."""
    return Assistant.from_settings(fake_settings, embedder=HashingEmbedder())


def shared_file(name: str) -> Path:
    """A file from ../shared/data, or skip the test when the data is absent."""
    path = SHARED_DATA / name
    if not path.is_file():
        pytest.skip(f"shared data {path} is absent")
    return path
