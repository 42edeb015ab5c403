"""Uploads with hostile or clashing names: never a 500, never a silent loss.

Every file of an upload is reported with its outcome (saved name and article ids, or why
it was skipped); a bad file never stops the good ones beside it, and no upload replaces an
article of another file (``assistant/server/uploads.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.server import build_app
from assistant.server.state import ServerState
from assistant.server.ui import ingest_files

from .conftest import make_assistant

pytestmark = pytest.mark.reliability

GOOD = b"Der Hafen von Kiel wurde am Montag wegen eines Sturms gesperrt."
OTHER = b"Die Stadt Rostock meldete am Dienstag einen neuen Rekord im Tourismus."
THIRD = "In Flensburg wurde am Mittwoch eine neue Schule eröffnet.".encode()


def multipart(*files: tuple[bytes, bytes]) -> dict:
    """Keyword arguments for a multipart POST with file names sent byte for byte (httpx
    would percent-encode a NUL)."""
    body = b"".join(
        b'--B\r\nContent-Disposition: form-data; name="files"; filename="'
        + name
        + b'"\r\nContent-Type: text/plain\r\n\r\n'
        + data
        + b"\r\n"
        for name, data in files
    )
    return {
        "content": body + b"--B--\r\n",
        "headers": {"content-type": "multipart/form-data; boundary=B"},
    }


def upload(client, *files: tuple[str | bytes, bytes]) -> dict:
    raw = [(n.encode() if isinstance(n, str) else n, d) for n, d in files]
    response = client.post("/api/ingest", **multipart(*raw))
    assert response.status_code == 200, response.text
    return response.json()


def held(assistant) -> set[str]:
    """The ids of the articles the index holds."""
    return set(assistant.index.manifest())


def by_name(data: dict) -> dict[str, dict]:
    return {f["name"]: f for f in data["files"]}


def test_a_nul_in_a_name_is_dropped_and_the_file_indexed(client, indexed):
    data = upload(client, (b"no\x00te.txt", GOOD), ("good.txt", OTHER))
    nul, good = data["files"]
    assert nul["name"] == "no\x00te.txt" and nul["status"] == "indexed"
    assert re.fullmatch(r"note-[0-9a-f]{8}\.txt", nul["saved_as"])
    assert nul["article_ids"] == [nul["saved_as"].removesuffix(".txt")]
    assert good["status"] == "indexed"
    assert {*nul["article_ids"], *good["article_ids"]} <= held(indexed)
    assert data["added"] == 2 and data["skipped"] == []


def test_a_300_byte_name_is_cut_keeping_its_suffix(client, indexed):
    long_name = "ä" * 150 + ".txt"  # 304 bytes of UTF-8; file systems allow 255
    data = upload(client, (long_name, GOOD), ("good.txt", OTHER))
    long, good = data["files"]
    assert long["status"] == "indexed" and long["saved_as"].endswith(".txt")
    assert len(long["saved_as"].encode()) <= 255
    assert long["saved_as"].startswith("ä" * 50 + "-")  # 100 bytes of the stem, then the hash
    assert {*long["article_ids"], *good["article_ids"]} <= held(indexed)


def test_a_path_as_name_stays_in_the_upload_folder(client, indexed, tmp_path):
    data = upload(
        client, ("../../etc/passwd", b"root:x:0:0"), ("../../evil.md", GOOD), ("ok.txt", OTHER)
    )
    passwd, evil, ok = data["files"]
    assert passwd["status"] == "skipped" and passwd["saved_as"] is None
    assert [s["where"] for s in passwd["skipped"]] == ["../../etc/passwd"]
    assert re.fullmatch(r"expected one of \.txt, .*got no suffix", passwd["skipped"][0]["reason"])
    assert evil["status"] == ok["status"] == "indexed"
    uploads = indexed.settings.index_dir / "uploads"
    assert [p.name for p in uploads.rglob("evil-*.md")] == [evil["saved_as"]]
    assert not list(tmp_path.rglob("passwd")) and not (tmp_path / "evil.md").exists()
    assert {*evil["article_ids"], *ok["article_ids"]} <= held(indexed)


def test_two_files_of_one_name_in_one_upload_are_two_articles(client, indexed):
    data = upload(client, ("notes.txt", GOOD), ("notes.txt", OTHER), ("notes.txt", GOOD))
    first, second, again = data["files"]
    assert first["status"] == second["status"] == "indexed"
    assert first["article_ids"] != second["article_ids"]
    assert {*first["article_ids"], *second["article_ids"]} <= held(indexed)
    assert again["status"] == "skipped"
    assert again["skipped"][0]["reason"] == "the same file as 'notes.txt' earlier in this upload"
    assert data["added"] == 2


def test_one_name_in_two_uploads_keeps_both_articles(client, indexed):
    first = upload(client, ("notes.txt", GOOD))["files"][0]
    later = upload(client, ("notes.txt", OTHER))
    assert (later["added"], later["updated"]) == (1, 0)  # not a replacement
    assert {*first["article_ids"], *later["files"][0]["article_ids"]} <= held(indexed)
    again = upload(client, ("notes.txt", GOOD))  # the identical file: recognised
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, 1)
    assert again["files"][0]["article_ids"] == first["article_ids"]
    assert client.get("/api/index").json()["articles"] == 4  # 2 before + 2 uploaded


def test_an_empty_file_is_reported_and_the_others_indexed(client, indexed):
    data = upload(client, ("empty.txt", b""), ("blank.md", b" \n\t "), ("good.txt", GOOD))
    files = by_name(data)
    for name in ("empty.txt", "blank.md"):
        assert files[name]["status"] == "skipped"
        assert files[name]["skipped"] == [
            {"where": name, "reason": "expected article text, got an empty file"}
        ]
    assert files["good.txt"]["status"] == "indexed"
    assert set(files["good.txt"]["article_ids"]) <= held(indexed)
    assert [s["where"] for s in data["skipped"]] == ["empty.txt", "blank.md"]


def test_a_file_the_disk_refuses_is_reported_not_a_500(client, indexed, monkeypatch):
    real = Path.write_bytes

    def refuse_one(path: Path, data: bytes):
        if path.name.startswith("refused-"):
            raise OSError(36, "File name too long")
        return real(path, data)

    monkeypatch.setattr(Path, "write_bytes", refuse_one)
    files = by_name(upload(client, ("refused.txt", GOOD), ("good.txt", OTHER)))
    assert files["refused.txt"]["status"] == "skipped"
    assert re.fullmatch(
        r"cannot save it as 'refused-[0-9a-f]{8}\.txt': \[Errno 36\] File name too long",
        files["refused.txt"]["skipped"][0]["reason"],
    )
    assert set(files["good.txt"]["article_ids"]) <= held(indexed)


def test_an_upload_over_the_limit_is_a_413_in_the_error_shape(tmp_path, corpus_dir):
    assistant = make_assistant(tmp_path, max_upload_bytes=2048)
    assistant.ingest(corpus_dir)
    with TestClient(build_app(assistant, with_ui=False)) as client:
        response = client.post("/api/ingest", **multipart((b"big.txt", b"Wort " * 1000)))
        assert response.status_code == 413
        assert response.json() == {
            "error": {
                "type": "invalid_request_error",
                "message": response.json()["error"]["message"],
            }
        }
        assert re.fullmatch(
            r"expected a request body of at most 2048 bytes, got \d+",
            response.json()["error"]["message"],
        )
        assert held(assistant) == {"troops", "weather"}  # nothing of it was indexed
        small = upload(client, ("small.txt", GOOD))  # the next upload still works
    assert set(small["files"][0]["article_ids"]) <= held(assistant)


def test_the_browser_upload_keeps_same_named_files_apart(indexed, tmp_path):
    paths = []
    for folder, text in (("one", GOOD), ("two", OTHER), ("three", THIRD)):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "notes.txt").write_bytes(text)  # Gradio keeps the client's name
        paths.append(str(tmp_path / folder / "notes.txt"))
    report, _ = ingest_files(ServerState(indexed), paths, lambda *a, **k: None)
    ids = re.findall(r"notes-[0-9a-f]{8}", report)
    assert report.startswith("✔ articles: 3 added") and len(set(ids)) == 3
    assert set(ids) <= held(indexed)
