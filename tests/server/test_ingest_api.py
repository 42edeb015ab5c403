"""POST /api/ingest: files and JSONL bodies, per-file errors, nothing lost."""

from __future__ import annotations

import json
import re

from .conftest import TROOPS_QUESTION

STORM = (
    "---\nid: storm2\ntitle: Second storm\nlanguage: en\nsource: Upload\n"
    "published: 2024-12-01\n---\nA second storm flooded the harbour of Kiel on Monday.\n"
)


def test_ingest_files_indexes_them_and_reports_bad_ones(client, indexed):
    files = [
        ("files", ("storm2.md", STORM.encode(), "text/markdown")),
        ("files", ("notes.pdf", b"%PDF-1.4", "application/pdf")),
        ("files", ("empty.txt", b"   ", "text/plain")),
        ("files", ("latin1.txt", "Grüße".encode("latin-1"), "text/plain")),
    ]
    response = client.post("/api/ingest", files=files)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["added"] == 2  # storm2.md, and latin1.txt read as cp1252
    reasons = {s["where"]: s["reason"] for s in data["skipped"]}
    assert set(reasons) == {"notes.pdf", "empty.txt"}
    assert ".pdf" in reasons["notes.pdf"] and "empty" in reasons["empty.txt"]
    assert data["index"]["articles"] == 4
    kept = list((indexed.settings.index_dir / "uploads").rglob("*"))
    saved = {f["name"]: f["saved_as"] for f in data["files"]}
    # every non-empty file is kept (a broken PDF too: its bytes are not lost), content-named
    assert {p.name for p in kept if p.is_file()} == {
        saved["storm2.md"],
        saved["latin1.txt"],
        saved["notes.pdf"],
    }
    assert re.fullmatch(r"storm2-[0-9a-f]{8}\.md", saved["storm2.md"])  # kept, content-named
    answer = client.post(
        "/api/ask", json={"question": "Which harbour did the second storm flood?"}
    ).json()
    assert answer["citations"][0]["article_id"] == "storm2"


def test_ingest_jsonl_body_with_one_broken_line(client):
    lines = [
        json.dumps(
            {
                "id": "j1",
                "title": "Wahl",
                "text": "Die Wahl in Sachsen fand am Sonntag statt.",
                "language": "de",
                "source": "JSONL",
            }
        ),
        "{not json",
        json.dumps({"id": "j2", "title": "no text"}),
    ]
    response = client.post(
        "/api/ingest",
        content="\n".join(lines).encode(),
        headers={"content-type": "application/x-ndjson"},
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["added"] == 1
    assert [s["where"] for s in data["skipped"]] == ["body.jsonl:2", "body.jsonl:3"]
    assert "missing required field(s): text" in data["skipped"][1]["reason"]
    assert client.get("/api/index").json()["articles_by_source"]["JSONL"] == 1


def test_ingesting_the_same_file_twice_is_unchanged(client):
    files = [("files", ("storm2.md", STORM.encode(), "text/markdown"))]
    assert client.post("/api/ingest", files=files).json()["added"] == 1
    again = client.post("/api/ingest", files=files).json()
    assert (again["added"], again["unchanged"]) == (0, 1)


def test_file_names_cannot_escape_the_uploads_folder(client, indexed, tmp_path):
    files = [("files", ("../../evil.txt", b"Ein Text ueber nichts.", "text/plain"))]
    assert client.post("/api/ingest", files=files).json()["added"] == 1
    assert not (tmp_path / "evil.txt").exists()
    assert list((indexed.settings.index_dir / "uploads").rglob("evil-*.txt"))


def test_ingest_errors_are_4xx(client):
    empty_jsonl = client.post(
        "/api/ingest", content=b"  ", headers={"content-type": "application/x-ndjson"}
    )
    assert empty_jsonl.status_code == 400 and "empty body" in empty_jsonl.json()["error"]["message"]
    no_files = client.post(
        "/api/ingest", data={"other": "x"}, files=[("other", ("a.txt", b"x", "text/plain"))]
    )
    assert no_files.status_code == 400 and "'files'" in no_files.json()["error"]["message"]
    wrong_type = client.post("/api/ingest", json={"id": "x"})
    assert wrong_type.status_code == 415 and "multipart" in wrong_type.json()["error"]["message"]


def test_ask_still_works_after_ingest(client):
    client.post("/api/ingest", files=[("files", ("storm2.md", STORM.encode(), "text/markdown"))])
    data = client.post("/api/ask", json={"question": TROOPS_QUESTION}).json()
    assert data["citations"][0]["article_id"] == "troops"
