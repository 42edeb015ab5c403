"""Binary documents -> Article: PDF (pypdf) and DOCX (python-docx), with their metadata.

Both are maintained pure-Python readers (pypdf needs no poppler, python-docx only lxml);
importing either costs ~0.12-0.14 s, paid on the first such file only. The title, author
and creation date come from the document properties; the author becomes ``source`` (who
the article is attributed to), the creation date ``published``. A PDF without a text
layer (a scan) is refused with its reason: text recognition is not attempted. Corrupt
files raise assorted errors inside the readers (measured: pypdf's PdfReadError family;
python-docx's BadZipFile, KeyError for a missing part, lxml's XMLSyntaxError, ValueError
for another Office type), so each reader maps exactly those to an ArticleError.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from ..errors import ArticleError
from ..records import Article
from .articles import make_article

_DOCX_TITLE_STYLES = ("Title", "Heading 1")


def from_pdf(raw: bytes, default_id: str, path: str) -> Article:
    """The text of every page and the title, author and creation date of a PDF."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            _decrypt(reader)
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        info = reader.metadata
        meta = {
            "title": (info.title if info else "") or "",
            "source": (info.author if info else "") or "",
            "published": _pdf_date(info),
        }
    except (PyPdfError, ValueError, KeyError) as exc:
        raise ArticleError(f"expected a PDF document (.pdf), got a corrupt file ({exc})") from None
    if not text.strip():
        raise ArticleError(
            f"expected text in the PDF, got none on {len(reader.pages)} page(s) "
            "(a scan without a text layer?)"
        )
    return make_article(meta, default_id, path, body=text)


def _decrypt(reader) -> None:
    from pypdf.errors import PyPdfError

    try:
        opened = reader.decrypt("")  # many PDFs are encrypted with an empty user password
    except PyPdfError:  # e.g. AES without the optional cryptography package
        opened = False
    if not opened:
        raise ArticleError("expected a readable PDF, got one encrypted with a password")


def _pdf_date(info) -> datetime | None:
    try:
        return info.creation_date if info else None
    except ValueError:  # a date pypdf cannot parse is no date, not a broken article
        return None


def from_docx(raw: bytes, default_id: str, path: str) -> Article:
    """The paragraphs and the title, author and creation date of a Word document."""
    from docx import Document
    from lxml.etree import LxmlError

    try:
        document = Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError, LxmlError) as exc:
        raise ArticleError(
            f"expected a Word document (.docx), got a corrupt file ({exc})"
        ) from None
    paragraphs = [(_style(p), p.text) for p in document.paragraphs if p.text.strip()]
    props = document.core_properties
    meta = {"title": props.title, "source": props.author, "published": props.created}
    if paragraphs and paragraphs[0][0] in _DOCX_TITLE_STYLES:
        heading = paragraphs.pop(0)[1]  # the title paragraph is no body text
        meta["title"] = props.title or heading
    if paragraphs and all(style.startswith("Heading") for style, _ in paragraphs):
        raise ArticleError("expected body text below the headings, got only headings")
    return make_article(meta, default_id, path, body="\n".join(t for _, t in paragraphs))


def _style(paragraph) -> str:
    return paragraph.style.name if paragraph.style is not None else ""
