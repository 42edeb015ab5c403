"""Walk an ingest path so that every entry under it is either a file to read or a Skipped.

``Path.rglob`` (the walker before) dropped what it could not read without a word: a
symlink loop, a broken link, a folder it may not list. This walk stats every entry,
follows links to folders once (a folder already read, found again through a link, is
reported, so a loop ends at the first repeat), and reports hidden entries (dot-names)
instead of reading them: a hidden folder is one line, not one per file inside it.
Entries are visited in sorted order, which equals the old sorted-paths order.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Skipped:
    """A file or line that could not become an Article, and why."""

    where: str
    reason: str


def iter_files(path: Path) -> Iterator[Path | Skipped]:
    """Every regular file under ``path`` (itself when it is a file), sorted, or why not."""
    yield from _Walk().entry(Path(path), top=True)


@dataclass
class _Walk:
    """One walk's memory of the folders (and files) already reached, by device and inode."""

    seen: dict[tuple[int, int], Path] = field(default_factory=dict)

    def entry(self, path: Path, top: bool = False) -> Iterator[Path | Skipped]:
        if not top and path.name.startswith("."):
            kind = "folder" if path.is_dir() else "file"
            yield Skipped(str(path), f"hidden {kind} (its name starts with '.'), not read")
            return
        try:
            info = path.stat()
        except OSError as exc:
            yield Skipped(str(path), _stat_problem(path, exc, top))
            return
        first = self.seen.setdefault((info.st_dev, info.st_ino), path)
        if first != path:
            yield Skipped(str(path), _repeat(path, first, stat.S_ISDIR(info.st_mode)))
        elif stat.S_ISDIR(info.st_mode):
            yield from self.folder(path)
        elif stat.S_ISREG(info.st_mode):
            yield path
        else:
            yield Skipped(str(path), "expected a regular file or a folder, got a device or pipe")

    def folder(self, path: Path) -> Iterator[Path | Skipped]:
        try:
            with os.scandir(path) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError as exc:
            yield Skipped(str(path), f"cannot list folder: {exc.strerror or exc}")
            return
        for name in names:
            yield from self.entry(path / name)


def _stat_problem(path: Path, exc: OSError, top: bool) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop: expected a link to a file or folder, got links that never end"
    if path.is_symlink():
        return f"broken symlink: its target {os.readlink(path)!r} does not exist"
    if isinstance(exc, FileNotFoundError) and top:
        return "no such file or folder"
    return f"cannot read: {exc.strerror or exc}"


def _repeat(path: Path, first: Path, is_folder: bool) -> str:
    if is_folder and path.is_symlink() and first in path.parents:
        return f"symlink loop: leads back to {first}, which is being read"
    kind = "folder" if is_folder else "file"
    return f"same {kind} as {first} (a link or hard link), read there once"
