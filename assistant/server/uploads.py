"""Uploaded files: safe names, names that keep articles apart, and what became of each file.

Why every saved file is named ``<stem>-<8 hex digits of the SHA-256 of its bytes><suffix>``:
an article without its own ``id`` takes its id from the file name (``loaders.py``), so two
different files both called ``notes.md``, in one upload or in two, would be one article and
the later would silently replace the earlier. With the content hash in the name different
texts stay different articles, while the identical file uploaded again gets the same id and
is reported ``unchanged``. An article that names its ``id`` (front matter, JSONL) keeps it:
uploading it with changed text updates it, as ``assistant ingest`` would.

Names come from the client, so they are cleaned before they touch the disk: only the last
path part is kept, control characters (NUL included) are dropped and the stem is cut to
``MAX_STEM_BYTES`` of UTF-8 (file systems allow 255 bytes). A name that is still unusable,
an empty file or an unsupported type is reported for that file; the others are indexed.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..ingest.loaders import SUFFIXES, Skipped

MAX_STEM_BYTES = 100
MAX_SUFFIX_BYTES = 16  # longer than any of SUFFIXES; keeps a refusal message short


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the client gave and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class FileOutcome:
    """What became of one uploaded file."""

    name: str  # as the client sent it
    saved_as: str = ""  # its name in the upload's folder; "" when it was not saved
    article_ids: tuple[str, ...] = ()  # the articles now indexed from it
    skipped: tuple[Skipped, ...] = ()  # why it, or a line of it, was not indexed

    @property
    def status(self) -> str:
        """``indexed``, ``partly indexed`` (some lines skipped) or ``skipped``."""
        if not self.article_ids:
            return "skipped"
        return "partly indexed" if self.skipped else "indexed"

    def to_dict(self) -> dict:
        """JSON form for ``/api/ingest``."""
        return {
            "name": self.name,
            "status": self.status,
            "saved_as": self.saved_as or None,
            "article_ids": list(self.article_ids),
            "skipped": [{"where": s.where, "reason": s.reason} for s in self.skipped],
        }


def clean_name(raw: str) -> str:
    """The last path part of ``raw``, without control characters or leading dots, its stem
    cut to ``MAX_STEM_BYTES`` bytes of UTF-8 (the suffix is kept)."""
    name = PurePosixPath(raw.replace("\\", "/")).name
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = name.strip().lstrip(".").strip()
    suffix = PurePosixPath(name).suffix
    stem = name[: len(name) - len(suffix)]
    return _cut(stem, MAX_STEM_BYTES).strip() + _cut(suffix, MAX_SUFFIX_BYTES)


def _cut(text: str, size: int) -> str:
    """At most ``size`` bytes of ``text`` in UTF-8, never half a character."""
    return text.encode()[:size].decode("utf-8", "ignore")


def saved_name(upload: Upload) -> tuple[str, str]:
    """(the name to save ``upload`` under, "") or ("", why it cannot be saved)."""
    name = clean_name(upload.name)
    stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
    if not stem:
        return "", f"expected a file name, got {upload.name!r}"
    if suffix.lower() not in SUFFIXES:
        return "", f"expected one of {', '.join(SUFFIXES)}, got {suffix or 'no suffix'}"
    if not upload.data.strip():
        return "", "expected article text, got an empty file"
    return f"{stem}-{hashlib.sha256(upload.data).hexdigest()[:8]}{suffix}", ""


def save(folder: Path, upload: Upload, taken: dict[str, str]) -> FileOutcome:
    """Write one upload into ``folder``; ``taken`` maps names saved so far to their upload."""
    name, problem = saved_name(upload)
    if name in taken:
        problem = f"the same file as {taken[name]!r} earlier in this upload"
    if not problem:
        try:
            (folder / name).write_bytes(upload.data)
        except (OSError, ValueError) as exc:  # a name the file system refuses after all
            problem = f"cannot save it as {name!r}: {exc}"
    if problem:
        return FileOutcome(upload.name, skipped=(Skipped(upload.name, problem),))
    taken[name] = upload.name
    return FileOutcome(upload.name, name)


def uploaded_where(where: str, folder: Path, names: dict[str, str]) -> tuple[str, str]:
    """(saved name, ``where`` with the uploaded file's name) for a loader's ``where``: a
    saved file's path, maybe with ``:line``."""
    relative = where.removeprefix(str(folder) + "/")
    for saved, uploaded in names.items():
        if relative == saved or relative.startswith(saved + ":"):
            return saved, uploaded + relative[len(saved) :]
    return "", relative
