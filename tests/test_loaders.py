import json

from assistant.ingest.loaders import Skipped, iter_articles
from assistant.ingest.normalize import normalize_text


def _load(path):
    items = list(iter_articles(path))
    return [i for i in items if not isinstance(i, Skipped)], [
        i for i in items if isinstance(i, Skipped)
    ]


def test_txt_with_front_matter_keeps_metadata_and_normalises(tmp_path):
    (tmp_path / "a.txt").write_text(
        "---\nid: a1\ntitle: Titel\nsource: Quelle\npublished: 2024/10/26\n---\n"
        "Erste  Zeile\u00a0mit Abstand.\r\n\r\n\u200bZweite Zeile ist die.\n",
        encoding="utf-8",
    )
    [article], skipped = _load(tmp_path)
    assert skipped == []
    assert (article.id, article.title, article.source, article.published) == (
        "a1",
        "Titel",
        "Quelle",
        "2024-10-26",
    )
    assert article.text == "Erste Zeile mit Abstand.\nZweite Zeile ist die."
    assert article.language == "de"


def test_markdown_heading_becomes_title_and_markup_is_dropped(tmp_path):
    (tmp_path / "n.md").write_text("# Storm hits\nThe **storm** hit the [coast](http://x).\n")
    [article], _ = _load(tmp_path)
    assert article.id == "n"
    assert article.title == "Storm hits"
    assert article.text == "The storm hit the coast."
    assert article.language == "en"


def test_html_text_is_extracted_without_boilerplate(tmp_path):
    (tmp_path / "p.html").write_text(
        "<html lang='en'><head><title>Site | Big news</title>"
        "<meta property='article:published_time' content='2024-10-25T08:00:00+02:00'>"
        "<meta property='og:site_name' content='Example Times'></head><body>"
        "<nav>Home | World | Sports</nav><article><h1>Big news</h1>"
        "<p>The council approved the plan on Monday.</p><script>var x=1;</script>"
        "<p>It takes effect in May.</p></article><footer>Imprint</footer></body></html>"
    )
    [article], _ = _load(tmp_path)
    assert article.title == "Big news"
    assert article.text == "The council approved the plan on Monday.\nIt takes effect in May."
    assert (article.published, article.source) == ("2024-10-25", "Example Times")


def test_jsonl_reports_each_bad_line_and_keeps_the_good_ones(tmp_path):
    lines = [
        json.dumps({"id": "ok", "title": "T", "text": "Text one.", "language": "en"}),
        "{not json",
        json.dumps({"id": "x", "title": "T"}),
        json.dumps({"id": "y", "title": ["list"], "text": "t"}),
        json.dumps({"id": "z", "title": "T", "text": "t", "published": "soon"}),
    ]
    (tmp_path / "b.jsonl").write_text("\n".join(lines) + "\n")
    articles, skipped = _load(tmp_path)
    assert [a.id for a in articles] == ["ok"]
    reasons = {s.where.rsplit(":", 1)[1]: s.reason for s in skipped}
    assert reasons["2"].startswith("expected one JSON object per line")
    assert reasons["3"] == "missing required field(s): text"
    assert reasons["4"] == "title: expected a string, got list"
    assert reasons["5"] == "published: expected a date such as 2024-10-25, got 'soon'"


def test_unreadable_and_empty_files_are_skipped_with_reasons(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02bad\xff")
    (tmp_path / "empty.md").write_text("---\ntitle: x\n---\n   \n")
    (tmp_path / "bad.md").write_text("---\nauthor: me\n---\ntext")
    (tmp_path / "fake.pdf").write_text("not an article")
    articles, skipped = _load(tmp_path)
    assert articles == []
    by_file = {s.where.rsplit("/", 1)[1]: s.reason for s in skipped}
    assert set(by_file) == {"bin.txt", "empty.md", "bad.md", "fake.pdf"}
    assert by_file["bin.txt"].startswith("cannot read as UTF-8 text")
    assert by_file["fake.pdf"].startswith("expected a PDF document (.pdf), got a corrupt file")
    assert by_file["empty.md"] == "expected article text, got an empty text"
    assert "unknown field 'author'" in by_file["bad.md"]


def test_missing_path_is_reported():
    [skipped] = list(iter_articles("/nonexistent/folder"))
    assert skipped.reason == "no such file or folder"


def test_normalize_text_is_nfc():
    assert normalize_text("Pjo\u0308ngjang") == "Pjöngjang"
