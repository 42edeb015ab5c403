"""One ingest at a time per index folder, across processes.

The server serialises its own ingests with a thread lock; a CLI ingest beside it (or two
CLI runs) would embed the same texts twice and interleave their writes. An advisory
``flock`` on ``<index_dir>/ingest.lock`` is released by the kernel when the process dies,
so a killed ingest never leaves a stale lock behind (a pid file would). The file also
says how the last ingest ended: the holder's pid while it runs, "done" after it; a pid
found there by the next holder means the last run was killed, and that run sweeps the
rows a kill can orphan. With a Chroma server the lock guards only ingests that share this
index folder.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError

DONE = "done"


@contextmanager
def ingest_lock(index_dir: Path) -> Iterator[bool]:
    """Hold the folder's ingest lock, or raise StoreError naming the process that has it.
    Yields True when the previous ingest was killed (it never wrote "done")."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / "ingest.lock"
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise StoreError(
                f"expected no other ingest on {index_dir}, got one running (pid {holder}); "
                "wait for it to finish"
            ) from None
        handle.seek(0)
        killed = handle.read().strip() not in ("", DONE)
        _say(handle, str(os.getpid()))
        try:
            yield killed
            _say(handle, DONE)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _say(handle, text: str) -> None:
    handle.seek(0)
    handle.truncate()
    handle.write(text)
    handle.flush()
