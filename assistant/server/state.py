"""What the API and the UI share: the Assistant, an ingest lock, and upload handling.

Uploaded files are kept (one folder per upload under ``uploads_dir``) before they are
indexed, so a failed or interrupted ingest loses nothing and can be repeated.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath

from ..chain import Assistant
from ..ingest.loaders import SUFFIXES, Skipped
from ..ingest.pipeline import IngestReport, ProgressFactory
from ..stats import IndexStats, index_stats


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the client gave and its bytes."""

    name: str
    data: bytes


@dataclass
class ServerState:
    """The one Assistant behind every route and UI event, plus ingest bookkeeping."""

    assistant: Assistant
    last_ingest: datetime | None = None
    ingest_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def settings(self):
        """The assistant's settings (host, limits, auth live there too)."""
        return self.assistant.settings

    @property
    def uploads_dir(self) -> Path:
        """Where uploads are kept: ``uploads_dir`` or ``<index_dir>/uploads``."""
        return self.settings.uploads_dir or self.settings.index_dir / "uploads"

    def stats(self) -> IndexStats:
        """Counts of the index (see ``assistant.stats``)."""
        return index_stats(self.assistant.index, self.settings.index_dir, self.last_ingest)

    def ingest_uploads(
        self, uploads: list[Upload], progress: ProgressFactory | None = None
    ) -> IngestReport:
        """Keep the files, index them, and report per-file problems as ``skipped``."""
        folder = self.uploads_dir / (
            datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        )
        folder.mkdir(parents=True, exist_ok=True)
        rejected: list[Skipped] = []
        for upload in uploads:
            problem = self._save(folder, upload)
            if problem:
                rejected.append(Skipped(upload.name, problem))
        with self.ingest_lock:  # two concurrent ingests would embed the same texts twice
            report = self.assistant.ingest(folder, progress=progress or _silent)
            self.last_ingest = datetime.now(UTC)
        report.skipped = rejected + [_relative(s, folder) for s in report.skipped]
        return report

    @staticmethod
    def _save(folder: Path, upload: Upload) -> str:
        """Write one upload; the reason it was refused, or "" when saved."""
        name = PurePath(upload.name.replace("\\", "/")).name  # never a path from the client
        if not name or name.startswith("."):
            return f"expected a file name, got {upload.name!r}"
        if PurePath(name).suffix.lower() not in SUFFIXES:
            return (
                f"expected one of {', '.join(SUFFIXES)}, got {PurePath(name).suffix or 'no suffix'}"
            )
        if not upload.data.strip():
            return "expected article text, got an empty file"
        (folder / name).write_bytes(upload.data)
        return ""


def _relative(skipped: Skipped, folder: Path) -> Skipped:
    """Show skipped files by their uploaded name, not the server path."""
    where = skipped.where.replace(str(folder) + "/", "")
    return Skipped(where, skipped.reason)


class _Silent:
    def update(self, n: int = 1) -> None:
        """Discard progress."""

    def close(self) -> None:
        """Nothing to close."""


def _silent() -> _Silent:
    return _Silent()
