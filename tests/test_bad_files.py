"""Bad article files: each is skipped with its reason, and a good article beside it is read.

Every input is generated here in tmp_path (PDFs by hand, DOCX by python-docx); through the
loader, the ingest pipeline and ``assistant ingest --strict`` nothing vanishes silently.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import random
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import unprivileged

from assistant.__main__ import main
from assistant.ingest.loaders import Skipped, iter_articles

pytestmark = pytest.mark.reliability

GOOD = "The city council approved the new harbour plan on Monday after a long debate. " * 3
GERMAN = "Die Bürger in Köln äußern sich über die Straßenbahn. Größere Änderungen sind geplant."


def make_pdf(lines: list[str], info: str = "") -> bytes:
    """A one-page PDF whose text is ``lines`` (Helvetica, WinAnsi), built by hand."""
    text = b" ".join(b"(" + line.encode("cp1252") + b") '" for line in lines)
    content = b"BT /F1 12 Tf 72 720 Td 14 TL " + text + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        *([info.encode("cp1252")] if info else []),
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b" /Info 6 0 R" if info else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\n" % (len(objects) + 1, trailer)
    return bytes(out + b"startxref\n%d\n%%%%EOF\n" % xref)


def make_docx(paragraphs: list[tuple[str, str]], **properties) -> bytes:
    """A Word document of (style, text) paragraphs with the given core properties."""
    import docx

    document = docx.Document()
    for style, text in paragraphs:
        document.add_paragraph(text, style=style)
    for key, value in properties.items():
        setattr(document.core_properties, key, value)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["Geheimer Bericht."]))))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def zip_of(**members: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it in a folder, where it is reported, and why (a regex)."""

    id: str
    make: Callable[[Path], object]
    where: str
    reason: str
    needs_non_root: bool = False


def file(name: str, data: bytes | str, reason: str, where: str = "") -> Case:
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    return Case(name, lambda folder: (folder / name).write_bytes(raw), where or name, reason)


def jsonl(name: str, line: object, reason: str) -> Case:
    text = line if isinstance(line, str) else json.dumps(line)
    return file(f"{name}.jsonl", text + "\n", reason, where=f"{name}.jsonl:1")


def link(name: str, target: str, reason: str) -> Case:
    return Case(name, lambda folder: (folder / name).symlink_to(target), name, reason)


def _hidden_folder(folder: Path) -> None:
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD.txt").write_text("ref: refs/heads/main")


def _loop_in_subfolder(folder: Path) -> None:
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..")


def _unreadable(folder: Path) -> None:
    (folder / "secret.txt").write_text(GOOD)
    (folder / "secret.txt").chmod(0)


def _unlistable(folder: Path) -> None:
    (folder / "locked").mkdir()
    (folder / "locked" / "inside.txt").write_text(GOOD)
    (folder / "locked").chmod(0)


UNSUPPORTED = r"unsupported file type {}, expected one of \.txt, \.md, .*\.pdf, \.docx$"
UNDECODABLE = r"cannot read as UTF-8 text or a known legacy encoding: expected "
RULE_ROW = {"id": "r", "title": "T", "text": "Some text here."}
HTML_NO_TEXT = r"expected text in <article>, <main> or <body>, got none"
HEADINGS = "expected body text below the headings, got only headings"
PDF_CORRUPT = r"expected a PDF document \(\.pdf\), got a corrupt file"
DOCX_CORRUPT = r"expected a Word document \(\.docx\), got a corrupt file"

BAD = [
    # what is not an article file, or not a file at all
    file("setup.exe", b"MZ\x90\x00" + bytes(64), UNSUPPORTED.format(r"\.exe")),
    file("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(32), UNSUPPORTED.format(r"\.png")),
    file("report.doc", b"\xd0\xcf\x11\xe0" + bytes(32), UNSUPPORTED.format(r"\.doc")),
    file("README", "A note without a suffix.", UNSUPPORTED.format(r"\(no suffix\)")),
    file(".draft.txt", GOOD, r"hidden file \(its name starts with '\.'\), not read"),
    Case(".git", _hidden_folder, ".git", r"hidden folder \(its name starts with '\.'\)"),
    link("loop", ".", r"symlink loop: leads back to .*, which is being read"),
    Case("sub-loop", _loop_in_subfolder, "sub/up", r"symlink loop: leads back to "),
    link("self.txt", "self.txt", r"symlink loop: expected a link to a file or folder"),
    link("gone.txt", "missing.txt", r"broken symlink: its target 'missing.txt' does not exist"),
    link("zz-again.txt", "good.txt", r"same file as .*good\.txt \(a link or hard link\)"),
    Case("fifo.txt", lambda f: os.mkfifo(f / "fifo.txt"), "fifo.txt", r"expected a regular file"),
    Case("secret", _unreadable, "secret.txt", r"cannot read file: Permission denied", True),
    Case("locked", _unlistable, "locked", r"cannot list folder: Permission denied", True),
    # bytes that are not text
    file("zero.txt", b"", r"expected article text, got an empty file \(0 bytes\)$"),
    file("blank.txt", " \n\t\n  \n", r"expected article text, got an empty text$"),
    file("noise.txt", random.Random(0).randbytes(4096), UNDECODABLE),
    file("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), UNDECODABLE),
    file("nuls.md", b"\x00" * 64, UNDECODABLE + r"text, got NUL bytes"),
    file("controls.txt", b"\x01\x02\x03\x04 ab " * 8, UNDECODABLE + r"text, got binary data \(con"),
    file("odd16.txt", b"\xff\xfe broken", UNDECODABLE + r"UTF-16 after its byte order mark"),
    file("one-byte.txt", b"\xff", r"expected article text with words, got 'ÿ'$"),
    file("numbers.txt", "12.000 / 3,5 % / 2024", r"expected article text with words, got '12"),
    # front matter
    file("unclosed.md", f"---\ntitle: T\n{GOOD}", r"front matter: expected a closing '---' line"),
    file("author.md", f"---\nauthor: me\n---\n{GOOD}", r"front matter line 2: unknown field 'au"),
    file("nocolon.txt", f"---\njust words\n---\n{GOOD}", r"front matter line 2: expected 'key: v"),
    file("twice.md", f"---\nid: a\nid: b\n---\n{GOOD}", r"front matter line 3: expected each fi"),
    file("date.txt", f"---\npublished: soon\n---\n{GOOD}", r"published: expected a date such a"),
    file("lang.txt", f"---\nlanguage: German\n---\n{GOOD}", r"language: expected an ISO 639-1"),
    file("no-body.md", "---\ntitle: Only a title\n---\n\n", r"expected article text, got an empty"),
    # Markdown and HTML without body text
    file("headings.md", "# Title\n## Part one\n### Part two\n---\n", HEADINGS),
    file("title-only.md", "# Just a title\n", HEADINGS),
    file("head.html", "<html><head><title>Only a title</title></head></html>", HTML_NO_TEXT),
    file(
        "empty-body.html", "<html><head><title>T</title></head><body> </body></html>", HTML_NO_TEXT
    ),
    file(
        "chrome.html",
        "<html><body><nav><a href='/'>Home</a> News</nav><script>var a = 1;</script>"
        "<footer>Imprint</footer></body></html>",
        HTML_NO_TEXT,
    ),
    file("h-only.htm", "<body><article><h1>Big</h1><h2>Small</h2></article></body>", HTML_NO_TEXT),
    # JSONL lines
    jsonl("invalid", "{not json", r"expected one JSON object per line, got invalid JSON"),
    jsonl("array", [RULE_ROW], r"expected a JSON object, got list$"),
    jsonl("string", '"text"', r"expected a JSON object, got str$"),
    jsonl("text-int", {**RULE_ROW, "text": 42}, r"text: expected a string, got int$"),
    jsonl("title-list", {**RULE_ROW, "title": ["a"]}, r"title: expected a string, got list$"),
    jsonl("id-null", {**RULE_ROW, "id": None}, r"id: expected a string or an integer, got null$"),
    jsonl(
        "id-bool", {**RULE_ROW, "id": True}, r"id: expected a string or an integer, got boolean$"
    ),
    jsonl("no-text", {"id": "n", "title": "T"}, r"missing required field\(s\): text$"),
    jsonl("empty-text", {**RULE_ROW, "text": " "}, r"text: expected a non-empty string, got ' '"),
    jsonl("source-int", {**RULE_ROW, "source": 7}, r"source: expected a string, got int$"),
    jsonl("bad-date", {**RULE_ROW, "published": "soon"}, r"published: expected a date such as"),
    file("blank.jsonl", "\n  \n\n", r"expected one JSON object per line, got only blank lines"),
    # documents
    file("scan.pdf", make_pdf([]), r"expected text in the PDF, got none on 1 page\(s\) \(a scan"),
    file("cut.pdf", make_pdf(["Ein Text."])[:150], PDF_CORRUPT),
    file("text.pdf", "not a PDF at all", PDF_CORRUPT),
    file("locked.pdf", encrypted_pdf(), r"expected a readable PDF, got one encrypted with a pas"),
    file("cut.docx", make_docx([("Normal", "Ein Text.")])[:300], DOCX_CORRUPT + r" \(File is not"),
    file("other.docx", zip_of(**{"hello.txt": b"hi"}), DOCX_CORRUPT + r" \(\"There is no item"),
    file("empty.docx", make_docx([]), r"expected article text, got an empty text$"),
    file("headings.docx", make_docx([("Title", "T"), ("Heading 1", "Only a heading")]), HEADINGS),
]
CASES = [pytest.param(c, id=c.id) for c in BAD]


def _load(folder: Path) -> tuple[list, list[Skipped]]:
    items = list(iter_articles(folder))
    return [i for i in items if not isinstance(i, Skipped)], [
        i for i in items if isinstance(i, Skipped)
    ]


def test_permissions_apply_where_the_unreadable_cases_run(tmp_path):
    """As root (CI) the cases below run without CAP_DAC_OVERRIDE (tests/unprivileged.py)."""
    secret = tmp_path / "secret.txt"
    secret.write_text(GOOD)
    secret.chmod(0)
    done = unprivileged.run(["cat", str(secret)])
    assert done.returncode == 1 and "Permission denied" in done.stderr


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir(parents=True)
    (folder / "good.txt").write_text(GOOD, encoding="utf-8")
    return folder


def test_there_are_at_least_forty_distinct_bad_inputs():
    assert len({c.id for c in BAD}) == len(BAD) >= 40
    assert len({c.where for c in BAD}) == len(BAD)


@pytest.mark.parametrize("case", CASES)
def test_a_bad_input_is_skipped_with_its_reason_and_the_good_article_still_read(tmp_path, case):
    folder = _folder(tmp_path)
    case.make(folder)
    if case.needs_non_root:  # read by a process that file modes apply to, even in CI as root
        rows = unprivileged.load(folder)
        ids = [key for kind, key, _ in rows if kind == "article"]
        skipped = [(key, reason) for kind, key, reason in rows if kind == "skipped"]
    else:
        articles, skips = _load(folder)
        ids, skipped = [a.id for a in articles], [(s.where, s.reason) for s in skips]
    assert ids == ["good"]
    assert [where for where, _ in skipped] == [str(folder / case.where)]
    assert re.match(case.reason, skipped[0][1]), skipped[0][1]


# --- real-world formats and encodings are read, not skipped ---------------------------

CP1252 = GERMAN + " Preis: 5 € – „Zitat“"
ENCODED = [  # (id, bytes, the text they hold, the encodings the guess may name)
    ("latin-1", GERMAN.encode("latin-1"), GERMAN, {"cp1252", "latin_1"}),
    ("cp1252", CP1252.encode("cp1252"), CP1252, {"cp1252"}),
    ("utf-16-le", GERMAN.encode("utf-16-le"), GERMAN, set()),  # no BOM: not guessed
    ("utf-16-bom", GERMAN.encode("utf-16"), GERMAN, {"utf-16"}),
    ("utf-16-be-bom", b"\xfe\xff" + GERMAN.encode("utf-16-be"), GERMAN, {"utf-16"}),
    ("utf-8-bom", GERMAN.encode("utf-8-sig"), GERMAN, {"utf-8-sig"}),
    ("utf-8", GERMAN.encode("utf-8"), GERMAN, {"utf-8"}),
    ("short-latin-1", "Grüße aus Köln".encode("latin-1"), "Grüße aus Köln", {"cp1252", "latin_1"}),
]


@pytest.mark.parametrize("data, text, encodings", [pytest.param(*c[1:], id=c[0]) for c in ENCODED])
def test_legacy_and_utf16_encodings_are_read_with_umlauts_intact(tmp_path, data, text, encodings):
    folder = _folder(tmp_path)
    (folder / "de.txt").write_bytes(data)
    articles, skipped = _load(folder)
    if not encodings:
        [reason] = [s.reason for s in skipped]
        assert re.match(UNDECODABLE + r"text, got NUL bytes \(binary data, or UTF-16 with", reason)
        return
    assert skipped == []
    [article] = [a for a in articles if a.id == "de"]
    assert (article.text, article.language) == (text, "de")
    assert article.encoding in encodings


def test_front_matter_is_found_after_a_byte_order_mark_and_in_utf16(tmp_path):
    folder = _folder(tmp_path)
    text = f"---\nid: köln\ntitle: Straßenbahn\nlanguage: de-DE\n---\n{GERMAN}\n"
    (folder / "a.md").write_bytes(text.encode("utf-16"))
    (folder / "b.md").write_bytes(text.replace("köln", "bonn").encode("utf-8-sig"))
    articles, skipped = _load(folder)
    assert skipped == []
    by_id = {a.id: a for a in articles}
    assert (by_id["köln"].title, by_id["köln"].language, by_id["köln"].text) == (
        "Straßenbahn",
        "de",
        GERMAN,
    )
    assert by_id["bonn"].encoding == "utf-8-sig"


def test_pdf_text_and_metadata_are_read(tmp_path):
    folder = _folder(tmp_path)
    info = "<< /Title (Kölner Bericht) /Author (Anna Muster) /CreationDate (D:20241026120000) >>"
    (folder / "bericht.pdf").write_bytes(make_pdf([GERMAN, "Zweite Zeile über Straßen."], info))
    articles, skipped = _load(folder)
    assert skipped == []
    pdf = next(a for a in articles if a.id == "bericht")
    assert (pdf.title, pdf.source, pdf.published, pdf.language) == (
        "Kölner Bericht",
        "Anna Muster",
        "2024-10-26",
        "de",
    )
    assert pdf.text == GERMAN + "\nZweite Zeile über Straßen."


def test_docx_paragraphs_and_core_properties_are_read(tmp_path):
    folder = _folder(tmp_path)
    created = datetime.datetime(2024, 10, 26, 8, 0)
    paragraphs = [("Title", "Straßenbahn"), ("Normal", GERMAN), ("Normal", "Zweiter Absatz.")]
    data = make_docx(paragraphs, title="Köln plant", author="Anna", created=created)
    (folder / "plan.docx").write_bytes(data)
    (folder / "untitled.docx").write_bytes(make_docx(paragraphs[:2], title=""))
    articles, skipped = _load(folder)
    assert skipped == []
    by_id = {a.id: a for a in articles}
    plan = by_id["plan"]
    assert (plan.title, plan.source, plan.published, plan.language) == (
        "Köln plant",
        "Anna",
        "2024-10-26",
        "de",
    )
    assert plan.text == GERMAN + "\nZweiter Absatz."
    assert (by_id["untitled"].title, by_id["untitled"].text) == ("Straßenbahn", GERMAN)


LANGUAGES = [
    (
        "fr",
        "Le gouvernement français a annoncé mardi une nouvelle réforme des retraites, "
        "très contestée par les syndicats et une grande partie de l'opposition.",
    ),
    (
        "ru",
        "Правительство России объявило во вторник о новых мерах поддержки экономики "
        "и малого бизнеса в регионах страны.",
    ),
    (
        "de",
        "Die Bundesregierung hat am Dienstag neue Maßnahmen zur Unterstützung der "
        "Wirtschaft beschlossen, die ab Januar gelten sollen.",
    ),
    (
        "en",
        "The government announced new measures on Tuesday to support the economy, "
        "which will take effect in January next year.",
    ),
    (
        "es",
        "El gobierno anunció el martes nuevas medidas para apoyar la economía, que "
        "entrarán en vigor en enero del próximo año.",
    ),
]


@pytest.mark.parametrize("code, text", LANGUAGES, ids=[c for c, _ in LANGUAGES])
@pytest.mark.parametrize("length", [60, 2000], ids=["short", "long"])
def test_article_language_is_identified_by_lingua(tmp_path, code, text, length):
    folder = _folder(tmp_path)
    body = (text + " ") * (length // len(text) + 1)
    (folder / "article.txt").write_text(body[:length].rsplit(" ", 1)[0], encoding="utf-8")
    articles, _ = _load(folder)
    assert {a.id: a.language for a in articles} == {"good": "en", "article": code}


def test_explicit_language_metadata_wins_over_detection(tmp_path):
    folder = _folder(tmp_path)
    (folder / "x.md").write_text(f"---\nlanguage: fr\n---\n{GERMAN}")
    row = {"id": 7, "title": "T", "text": LANGUAGES[1][1], "language": "uk"}
    (folder / "y.jsonl").write_text(json.dumps(row) + "\n")
    (folder / "z.html").write_text(f"<html lang='klingon'><body><p>{GERMAN}</p></body></html>")
    articles, skipped = _load(folder)
    assert skipped == []
    assert {a.id: a.language for a in articles} == {"good": "en", "x": "fr", "7": "uk", "z": "de"}


def test_a_link_to_a_folder_outside_is_read_once(tmp_path):
    folder = _folder(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "far.txt").write_text(GERMAN)
    (folder / "linked").symlink_to(outside)
    (folder / "linked-again").symlink_to(outside)
    articles, skipped = _load(folder)
    assert sorted(a.id for a in articles) == ["good", "linked/far"]
    assert [(s.where, s.reason) for s in skipped] == [
        (
            str(folder / "linked-again"),
            f"same folder as {folder / 'linked'} (a link or hard link), read there once",
        )
    ]


# --- through the pipeline and the CLI ----------------------------------------------------


def _all_bad(tmp_path: Path, unreadable: bool = True) -> tuple[Path, list[Case]]:
    folder = _folder(tmp_path)
    (folder / "also-good.md").write_text(f"# Köln\n{GERMAN}\n")
    (folder / "third.jsonl").write_text(json.dumps({"id": "j", "title": "T", "text": GOOD}))
    cases = [c for c in BAD if unreadable or not c.needs_non_root]
    for case in cases:
        case.make(folder)
    return folder, cases


def test_ingest_report_names_every_bad_file_once_and_the_counts_add_up(tmp_path, fake_assistant):
    """In process, so as root without the two unreadable cases: the strict CLI test below
    runs every case in a process that file modes apply to."""
    folder, cases = _all_bad(tmp_path, unreadable=os.geteuid() != 0)
    report = fake_assistant.ingest(folder)
    wheres = [s.where for s in report.skipped]
    assert sorted(wheres) == sorted(str(folder / c.where) for c in cases)
    for case in cases:
        [reason] = [s.reason for s in report.skipped if s.where == str(folder / case.where)]
        assert re.match(case.reason, reason), (case.id, reason)
    entries = set(os.listdir(folder)) - {"sub"} | {"sub/up"}  # sub/ is read; it holds one link
    assert report.added == 3
    assert len(entries) == report.added + len(report.skipped)


def test_strict_ingest_fails_when_anything_is_skipped(tmp_path, fake_model, monkeypatch, capsys):
    """Every bad input, the unreadable ones too, through ``assistant ingest`` run where file
    modes apply (tests/unprivileged.py): each named once with its reason, exit 1 when strict."""
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "fake")
    monkeypatch.setenv("ASSISTANT_ANSWER_MODEL", str(fake_model))
    clean = _folder(tmp_path / "clean")
    folder, cases = _all_bad(tmp_path)
    index = str(tmp_path / "index")
    assert main(["ingest", str(clean), "--index", index, "--strict"]) == 0
    cli = [str(Path(sys.executable).parent / "assistant"), "ingest", str(folder), "--index", index]
    done = unprivileged.run([*cli, "--strict"], env=dict(os.environ))
    assert done.returncode == 1, done.stderr[-2000:]
    skipped = dict(re.findall(r"^skipped (.+?): (.*)$", done.stderr, re.MULTILINE))
    assert sorted(skipped) == sorted(str(folder / c.where) for c in cases)
    for case in cases:
        assert re.match(case.reason, skipped[str(folder / case.where)]), case.id
    assert (
        f"2 added, 0 updated, 1 unchanged, 0 removed, 0 merged as copies, {len(cases)} skipped"
        in done.stdout
    )
    assert unprivileged.run(cli, env=dict(os.environ)).returncode == 0  # not strict: 0


def test_a_guessed_encoding_is_reported(tmp_path, fake_model, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_EMBEDDINGS", "fake")
    monkeypatch.setenv("ASSISTANT_ANSWER_MODEL", str(fake_model))
    folder = _folder(tmp_path / "in")
    legacy = folder / "legacy.txt"
    legacy.write_bytes("Die Straße nach Köln wurde am Montag gesperrt.".encode("cp1252"))
    assert main(["ingest", str(folder), "--index", str(tmp_path / "index")]) == 0
    captured = capsys.readouterr()
    assert f"read {legacy} as cp1252 (not UTF-8" in captured.err
    assert "1 files read in a guessed encoding" in captured.out
