"""Run a command without the privilege to ignore file permissions.

CI runs the suite as root, and root reads a mode-000 file and lists a mode-000 folder
anyway, so the unreadable-file cases would prove nothing there (they used to skip). As
root, commands run under ``setpriv`` with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
dropped from the bounding set: still uid 0 (the interpreter under /root stays reachable),
but file modes apply, as for any user. Not root: permissions apply already.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

DROPPED = "-dac_override,-dac_read_search"


def prefix() -> list[str]:
    """The words to put before a command so that file permissions apply to it."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:  # util-linux is on every Debian; a failure, never a skip
        raise AssertionError("expected setpriv (util-linux) to test permissions as root")
    return [setpriv, f"--bounding-set={DROPPED}", f"--inh-caps={DROPPED}", "--"]


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    """``argv`` run with file permissions applying (text output captured)."""
    return subprocess.run([*prefix(), *argv], capture_output=True, text=True, timeout=120, **kwargs)


LOAD = """
import json, sys
from assistant.ingest.loaders import Skipped, iter_articles
rows = [["skipped", i.where, i.reason] if isinstance(i, Skipped) else ["article", i.id, ""]
        for i in iter_articles(sys.argv[1])]
print(json.dumps(rows))
"""


def load(folder: Path) -> list[list[str]]:
    """``iter_articles(folder)`` in an unprivileged interpreter: [kind, id or where, reason]."""
    done = run([sys.executable, "-c", LOAD, str(folder)])
    if done.returncode:
        raise AssertionError(f"the unprivileged loader failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)
