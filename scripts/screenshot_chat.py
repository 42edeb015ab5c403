"""The screenshot in docs/feedback.md: the chat with an answer, its thumbs and the
conversation list, on the real default embedder and corpus/ (a throwaway index).

    .venv/bin/python scripts/screenshot_chat.py [--out docs/img/chat-feedback.png]

Needs Chromium (/usr/bin/chromium, which test.sh installs) and playwright (dev dependency).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import Assistant, load_settings  # noqa: E402
from assistant.server import build_app  # noqa: E402
from tests.server.conftest import SEED_QUESTION, running  # noqa: E402
from tests.server.test_browser import ARGS, CHROMIUM  # noqa: E402


def shoot(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as where:
        assistant = Assistant.from_settings(load_settings(index_dir=Path(where) / "index"))
        assistant.ingest(ROOT / "corpus")
        app = build_app(assistant)
        with running(app) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.set_default_timeout(60_000)
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#question textarea").fill(SEED_QUESTION)
            page.locator("#ask").click()
            page.locator("#chat sup").first.wait_for()
            page.locator("#chat").get_by_label("Dislike").first.click()
            page.locator("#feedback-note").get_by_text("your rating is stored").wait_for()
            page.locator("#history-panel").get_by_text("Conversations").click()
            page.locator("#history input").click()
            page.get_by_role("option").first.click()
            page.wait_for_timeout(500)
            page.screenshot(path=str(out))
            browser.close()
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "chat-feedback.png")
    shoot(parser.parse_args().out)


if __name__ == "__main__":
    main()
