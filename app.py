"""Start the browser chat and the HTTP API: ``python app.py [--host H] [--port P] [--index DIR]``.

The same as ``assistant serve``; prints the URL to open.
"""

import os
import sys

if __name__ == "__main__":
    # no outside calls from Gradio, Chroma or the hub, whatever the shell exported
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.__main__ import main

    sys.exit(main(["serve", *sys.argv[1:]]))
