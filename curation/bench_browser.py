"""`curation bench --browser`: the dashboard measured as an editor meets it, in a real browser.

It generates N documents (or takes a folder), warms the parse cache, starts a
real `streamlit run app.py` on a free 127.0.0.1 port and drives Debian's
Chromium through Playwright. Each step is timed inside the page, from the
click's event to the first animation frame that shows the expected state, and
reported as a median. Nothing here asserts: it reports.

The steps are a list of (name, function) pairs, so more can be added (a
header sort, an undo, several sessions at once) without touching the rest.
Playwright is imported only when a benchmark or a test drives a browser;
this module never imports Streamlit (the server is a child process).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.bench import machine_line
from curation.collection import load_collection
from curation.demo import write_demo_collection

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CURATION_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run",
]  # fmt: skip
VIEWPORT = {"width": 1500, "height": 1000}
TICK_VIEW = "/?published=unpublished"
# Goals of the editing-loop issue, per corpus size (seconds, medians).
TICK_GOALS = ((10_000, 0.200), (100_000, 0.300))
HEADER = '[data-testid="stMarkdownContainer"]'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

# JavaScript run in the page. A capturing listener notes when the click happened; a condition is
# then polled on every animation frame and notes when it first held.
_NOTE_CLICKS = "() => document.addEventListener('click', () => { window.__clickAt = performance.now(); }, true)"
_IDLE_JS = (
    "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'"
    " && !document.querySelector('[data-stale=\"true\"]')"
)
_TICK_SHOWN_JS = """([key, title]) => {
  const box = document.querySelector('.' + key + ' input');
  const row = box && box.closest('[data-testid="stHorizontalBlock"]');
  const toasts = [...document.querySelectorAll('[data-testid="stToast"]')];
  const shown = box && box.checked && row.innerText.includes('changed')
    && toasts.some((toast) => toast.innerText.includes(title));
  if (shown) { window.__shownAt = performance.now(); }
  return shown;
}"""
_HEADER_SAYS_JS = """(text) => {
  const header = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
    .find((element) => element.innerText.includes(' shown · '));
  const shown = Boolean(header && header.innerText.includes(text));
  if (shown) { window.__shownAt = performance.now(); }
  return shown;
}"""
_OTHER_FIRST_ROW_JS = """(key) => {
  const first = document.querySelector('[class*="st-key-published-"]');
  const shown = Boolean(first && !first.classList.contains(key));
  if (shown) { window.__shownAt = performance.now(); }
  return shown;
}"""


def widget_class(key: str) -> str:
    """The CSS class Streamlit gives a keyed widget's container (as its frontend spells it)."""
    return "st-key-" + "".join(char if char.isascii() and (char.isalnum() or char in "_-") else "-" for char in key)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve_dashboard(docs: Path, log_path: Path, *, timeout: float = 600) -> Iterator[str]:
    """`streamlit run app.py` headless on a free loopback port serving `docs`; stopped with its process group.

    Yields the URL once `/_stcore/health` answers.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
        "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    environment = {**os.environ, "CURATION_DOCS": str(docs)}
    for variable in ("CURATION_READ_ONLY", "CURATION_PASSWORD", "CURATION_EDITORS"):
        environment.pop(variable, None)
    url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"streamlit did not start: {log_path.read_text()}") from None
                    time.sleep(0.2)
            yield url
        finally:
            os.killpg(process.pid, signal.SIGTERM)  # the whole group, also when the caller failed
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def is_local(url: str) -> bool:
    return url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:", "about:"))


def local_page(context: Any) -> Any:
    """A new tab that may only reach this machine (the documents' image URLs point at the internet)."""
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_() if is_local(route.request.url) else route.abort())
    return page


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright (imported here: only browser runs need it)."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set CURATION_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_idle(page: Any, timeout_ms: float = 120_000) -> None:
    """Until the script run is over and nothing on the page is stale (call it once the expected state shows)."""
    page.wait_for_function(_IDLE_JS, timeout=timeout_ms)


def _timed_in_page(page: Any, act: Callable[[], None], condition: str, argument: Any, timeout_ms: float) -> float:
    """Seconds from the click `act` makes to the first frame where `condition` holds."""
    page.evaluate("() => { window.__clickAt = null; window.__shownAt = null; }")
    act()
    page.wait_for_function(condition, arg=argument, polling="raf", timeout=timeout_ms)
    clicked, shown = page.evaluate("() => [window.__clickAt, window.__shownAt]")
    return (shown - clicked) / 1000


@dataclass
class Step:
    name: str
    runs: list[float] = field(default_factory=list)
    note: str = ""
    goal: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None


def open_articles(page: Any, url: str, timeout_ms: float = 600_000) -> float:
    """Seconds from navigation until the header and the first table row are drawn and the run is over."""
    start = time.perf_counter()
    page.goto(url)
    page.locator(HEADER, has_text=" shown · ").first.wait_for(timeout=timeout_ms)
    page.locator('[class*="st-key-published-"] input').first.wait_for(state="attached", timeout=timeout_ms)
    wait_idle(page, timeout_ms)
    return time.perf_counter() - start


def tick_latencies(page: Any, count: int) -> list[float]:
    """Tick Published on the first `count` rows of the unpublished view, one at a time."""
    page.evaluate(_NOTE_CLICKS)
    boxes = page.locator('[class*="st-key-published-"]')
    times = []
    for number in range(count):
        box = boxes.nth(number)
        key = next(name for name in box.get_attribute("class").split() if name.startswith("st-key-published-"))
        row = box.locator("xpath=ancestor::*[@data-testid='stHorizontalBlock'][1]")
        title_text = row.locator("a").first.inner_text().strip()
        times.append(
            _timed_in_page(
                page, lambda box=box: box.locator("label").click(), _TICK_SHOWN_JS, [key, title_text], 60_000
            )
        )
        wait_idle(page)
    return times


def filter_latencies(page: Any, count: int) -> list[float]:
    """Switch the Published filter between all and unpublished until the header's sentence follows."""
    page.evaluate(_NOTE_CLICKS)
    control = page.get_by_role("radiogroup", name="Published")
    times = []
    for number in range(count):
        state, sentence = ("all", "— all articles") if number % 2 == 0 else ("unpublished", "— unpublished")
        button = control.get_by_role("radio", name=state, exact=True)
        times.append(_timed_in_page(page, button.click, _HEADER_SAYS_JS, sentence, 60_000))
        wait_idle(page)
    return times


def page_turn_latencies(page: Any, count: int) -> list[float]:
    """Turn to the next page of the table and back until its first row is another article."""
    page.evaluate(_NOTE_CLICKS)
    times = []
    for number in range(count):
        first = page.locator('[class*="st-key-published-"]').first.get_attribute("class")
        key_now = next(name for name in first.split() if name.startswith("st-key-published-"))
        target = "2" if number % 2 == 0 else "1"
        button = page.get_by_role("button", name=f"Page {target}", exact=True)
        times.append(_timed_in_page(page, button.click, _OTHER_FIRST_ROW_JS, key_now, 60_000))
        wait_idle(page)
    return times


def tick_goal(count: int) -> str:
    for size, seconds in TICK_GOALS:
        if count <= size:
            return f"<= {seconds * 1000:.0f} ms"
    return f"<= {TICK_GOALS[-1][1] * 1000:.0f} ms"


def run_browser_benchmark(
    count: int,
    runs: int,
    seed: int = 0,
    *,
    corpus: Path | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measure the dashboard in Chromium on `count` generated documents (or on `corpus`, which it writes to)."""
    workdir = Path(tempfile.mkdtemp(prefix="curation-bench-browser-"))
    steps: list[Step] = []
    load_before = os.getloadavg()[0]
    try:
        folder = corpus
        if folder is None:
            folder = workdir / "docs"
            log(f"generating {count:,} documents…")
            write_demo_collection(folder, count, seed)
        log("warming the parse cache…")
        documents = len(load_collection(folder).frame)
        ticks = max(3, min(runs, 25))  # rows of the first page (25 a page by default)
        log(f"starting streamlit run on {documents:,} documents…")
        with serve_dashboard(folder, workdir / "streamlit.log") as url, chromium() as browser:
            context = browser.new_context(viewport=VIEWPORT)
            page = local_page(context)
            log("first open")
            steps.append(Step("first open (parse cache warm, new server)", [open_articles(page, url + TICK_VIEW)]))
            log(f"{ticks} Published ticks")
            steps.append(
                Step(
                    "Published tick until the row and the toast show it", tick_latencies(page, ticks),
                    note="unpublished view, one row after another", goal=tick_goal(documents),
                )
            )  # fmt: skip
            log("filter changes")
            steps.append(Step("filter change until the header follows", filter_latencies(page, max(4, ticks // 2))))
            log("page turns")
            steps.append(Step("next page of the table", page_turn_latencies(page, max(4, ticks // 2))))
            context.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report = browser_report(documents, runs, seed, steps)
    report["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]  # other work on the cores
    return report


def browser_report(documents: int, runs: int, seed: int, steps: list[Step]) -> dict[str, Any]:
    rows = []
    for step in steps:
        row: dict[str, Any] = {"step": step.name, "median": step.median, "runs": step.runs, "note": step.note}
        if step.goal:
            limit = float(step.goal.split()[1]) / 1000
            row["goal"] = step.goal
            row["goal_met"] = step.median is not None and step.median <= limit
        rows.append(row)
    return {"documents": documents, "runs": runs, "seed": seed, "machine": machine_line(), "browser": True,
            "results": rows}  # fmt: skip


def format_browser_report(report: dict[str, Any]) -> str:
    """The report as a Markdown table."""
    lines = [
        f"{report['documents']:,} documents, in Chromium against `streamlit run`; medians",
        f"machine: {report['machine']}"
        + (
            f"; 1-minute load average {report['load_average'][0]} before, {report['load_average'][1]} after"
            if "load_average" in report
            else ""
        ),
        "",
        "| step | median | runs | min – max | goal |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for row in report["results"]:
        runs = row["runs"]
        median = row["median"]
        shown = "—" if median is None else (f"{median * 1000:,.0f} ms" if median < 1 else f"{median:,.2f} s")
        spread = f"{min(runs) * 1000:,.0f} – {max(runs) * 1000:,.0f} ms" if len(runs) > 1 else ""
        goal = row.get("goal", "")
        if goal:
            goal += " ✓" if row.get("goal_met") else " ✗"
        name = row["step"] + (f" ({row['note']})" if row["note"] else "")
        lines.append(f"| {name} | {shown} | {len(runs)} | {spread} | {goal} |")
    return "\n".join(lines)
