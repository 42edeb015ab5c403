"""What the API and the UI share: the Assistant, an ingest lock, and upload handling.

Uploaded files are kept (one folder per upload under ``uploads_dir``, named by time and a
random id) before they are indexed, so a failed or interrupted ingest loses nothing and can
be repeated; how they are named and reported is in ``uploads.py``.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from ..chain import Assistant
from ..conversations import ConversationService, make_conversations
from ..errors import ConfigError
from ..feeds.refresh import Refresher
from ..feeds.store import FeedStore
from ..ingest.chunking import article_version
from ..ingest.loaders import Skipped, iter_articles
from ..ingest.pipeline import IngestReport, ProgressFactory
from ..records import Article
from ..stats import IndexStats, index_stats
from .uploads import FileOutcome, Upload, save, uploaded_where


@dataclass(frozen=True)
class UploadReport:
    """The ingest report of one upload (its ``skipped`` lists every file's problems) and
    what became of each file."""

    ingest: IngestReport
    files: tuple[FileOutcome, ...]

    @property
    def skipped(self) -> list[Skipped]:
        """Every file, or line of a file, that was not indexed, and why."""
        return self.ingest.skipped

    def summary(self) -> str:
        """One line for people."""
        return self.ingest.summary()

    def to_dict(self) -> dict:
        """The ingest report's JSON plus ``files``, one entry per uploaded file."""
        return {**self.ingest.to_dict(), "files": [f.to_dict() for f in self.files]}


@dataclass
class ServerState:
    """The one Assistant behind every route and UI event, plus ingest bookkeeping."""

    assistant: Assistant
    last_ingest: datetime | None = None
    ingest_lock: threading.Lock = field(default_factory=threading.Lock)
    feeds: Refresher | None = None  # the feed poller of ``serve --refresh``
    # asks through the assistant and keeps each answered turn (conversations/service.py)
    conversations: ConversationService = field(init=False)

    def __post_init__(self) -> None:
        self.conversations = make_conversations(self.assistant)

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

    def feeds_status(self) -> dict | None:
        """The feeds followed and the last refresh run (this process's, else the last one
        recorded in ``<index_dir>/feeds.sqlite3``); None when no feed was ever polled."""
        following = [s.url for s in self.feeds.sources] if self.feeds else []
        last = self.feeds.last_run if self.feeds else None
        run = last.to_dict() if last else FeedStore(self.feed_store_path).last_run()
        return {"following": following, "last_run": run} if following or run else None

    @property
    def feed_store_path(self) -> Path:
        return self.settings.index_dir / "feeds.sqlite3"

    def ingest_uploads(
        self, uploads: list[Upload], progress: ProgressFactory | None = None
    ) -> UploadReport:
        """Keep the files in a new folder, index them, and say what became of each."""
        folder = self._new_folder()
        names: dict[str, str] = {}  # saved name -> uploaded name
        files = [save(folder, upload, names) for upload in uploads]
        report, indexed = IngestReport(), {}
        if not names:
            folder.rmdir()  # nothing to keep
        with self.ingest_lock:  # two concurrent ingests would embed the same texts twice
            if names:
                report = self.assistant.ingest(folder, progress=progress or _silent)
                indexed = self._indexed(folder, names)
            self.last_ingest = datetime.now(UTC)
        return _upload_report(report, files, indexed, folder, names)

    def _new_folder(self) -> Path:
        """A new folder for one upload: ``<uploads_dir>/<UTC time>-<6 random hex>``."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        folder = self.uploads_dir / f"{stamp}-{uuid.uuid4().hex[:6]}"
        try:
            folder.mkdir(parents=True)
        except OSError as exc:
            raise ConfigError(
                f"expected a writable uploads folder at {self.uploads_dir}, got {exc}"
            ) from exc
        return folder

    def _indexed(self, folder: Path, names: dict[str, str]) -> dict[str, tuple[str, ...]]:
        """Saved name -> ids of the file's articles that the index now holds at exactly
        this file's version (one read of the index's manifest)."""
        held = self.assistant.index.manifest()
        found: dict[str, tuple[str, ...]] = {}
        for saved in names:
            articles = [a for a in iter_articles(folder / saved) if isinstance(a, Article)]
            found[saved] = tuple(
                dict.fromkeys(
                    a.id
                    for a in articles
                    if a.id in held and held[a.id].complete_for(article_version(a))
                )
            )
        return found


def _upload_report(
    report: IngestReport,
    files: list[FileOutcome],
    indexed: dict[str, tuple[str, ...]],
    folder: Path,
    names: dict[str, str],
) -> UploadReport:
    """Each file with its article ids and the loader's or pipeline's reasons for it; the
    report's ``skipped`` lists them all, by the uploaded names."""
    problems: dict[str, list[Skipped]] = {}
    for skipped in report.skipped:
        saved, where = uploaded_where(skipped.where, folder, names)
        problems.setdefault(saved, []).append(Skipped(where, skipped.reason))
    outcomes = tuple(
        replace(
            f,
            article_ids=indexed.get(f.saved_as, ()),
            skipped=f.skipped + tuple(problems.get(f.saved_as, ()) if f.saved_as else ()),
        )
        for f in files
    )
    report.skipped = [s for f in outcomes for s in f.skipped] + problems.get("", [])
    return UploadReport(report, outcomes)


class _Silent:
    def update(self, n: int = 1) -> None:
        """Discard progress."""

    def close(self) -> None:
        """Nothing to close."""


def _silent() -> _Silent:
    return _Silent()
