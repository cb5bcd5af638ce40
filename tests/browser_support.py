"""The dashboard in a real browser, for the tests: `streamlit run` on a folder, and Debian's Chromium."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CURATION_CHROMIUM", "/usr/bin/chromium"))
# The browser may reach only this machine: every host name, and every address but 127.0.0.1 (IP literals
# go through the same rules), fails to resolve at once, so the documents' image URLs on the internet fail
# as dead links do. Not request interception (page.route): that pauses every request of the page for
# Playwright and cost about 0.5 s per page load (as in curation/bench/browser.py).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1500, "height": 1000}
# Who may configure the dashboard: a test's server starts without the operator's settings.
OPERATOR_SETTINGS = ("CURATION_READ_ONLY", "CURATION_PASSWORD", "CURATION_EDITORS")


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for servers that cannot be asked for port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def widget_class(key: str) -> str:
    """The CSS class Streamlit gives a keyed widget's container (as its frontend spells it)."""
    return "st-key-" + "".join(char if char.isascii() and (char.isalnum() or char in "_-") else "-" for char in key)


@contextmanager
def serve_dashboard(docs: Path | str, log_path: Path, *, timeout: float = 120) -> Iterator[str]:
    """The URL of `streamlit run app.py` serving `docs` on a free loopback port, once it answers its health
    check; the server's process group is stopped after, also when the test failed."""
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
        "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    environment = {name: value for name, value in os.environ.items() if name not in OPERATOR_SETTINGS}
    environment["CURATION_DOCS"] = str(docs)
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_until_healthy(url, process, log_path, time.monotonic() + timeout)
            yield url
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_until_healthy(url: str, process: subprocess.Popen, log_path: Path, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {log_path.read_text()}") from None
            time.sleep(0.1)  # polling a server that is starting: there is no event to wait on


def local_page(context: Any) -> Any:
    """A new tab of a browser launched with CHROMIUM_ARGS: it may only reach 127.0.0.1 (the documents' image
    URLs point at the internet)."""
    return context.new_page()
