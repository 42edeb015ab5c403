"""Extractive answer latency of one checkout's code on the 100k index, for before/after runs.

    git worktree add /tmp/before <commit>; ln -s "$PWD/.cache" /tmp/before/.cache
    python bench/answer_latency.py /tmp/before      # the code before
    python bench/answer_latency.py .                # the code now (alternate them: ABAB)

Times ``Assistant.ask`` (no conversation store) over the questions of
``bench/scale100k.py`` (news-dates, news, seed; 170) on ``.index/bench/scale100k`` (build
it with ``bench/scale100k.py build``), second of two passes; prints p50, p95 and the kinds
of response. The checkout's own ``assistant`` package and answer model are used; the
index, the questions and this script are this checkout's.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def main() -> int:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    code = Path(sys.argv[1] if len(sys.argv) > 1 else HERE).resolve()
    sys.path.insert(0, str(code))
    os.chdir(code)  # relative settings (answer model, encoder cache) are the checkout's
    from assistant import Assistant, load_settings
    from assistant.records import AskRequest

    questions = [
        json.loads(line)["question"]
        for name in ("news-dates", "news", "seed")
        for line in (HERE / "evals" / name / "items.jsonl").read_text().splitlines()
        if line.strip()
    ]
    settings = load_settings(
        index_dir=HERE / ".index" / "bench" / "scale100k", store_conversations=False
    )
    bot = Assistant.from_settings(settings)
    for _pass in range(2):
        times, kinds = [], {}
        for question in questions:
            started = time.perf_counter()
            answer = bot.ask(AskRequest(question=question))
            times.append((time.perf_counter() - started) * 1000)
            kinds[answer.answer_kind] = kinds.get(answer.answer_kind, 0) + 1
    times.sort()
    print(json.dumps({"code": str(code), "questions": len(times),
                      "p50": round(statistics.median(times), 1),
                      "p95": round(times[int(0.95 * (len(times) - 1))], 1), "kinds": kinds,
                      "load1": round(os.getloadavg()[0], 2)}))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
