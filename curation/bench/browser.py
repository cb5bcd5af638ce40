"""`curation bench --browser`: the dashboard measured as an editor meets it, in a real browser.

It generates N documents (or takes a folder) and drives Debian's Chromium
through Playwright against real `streamlit run app.py` servers on free
127.0.0.1 ports:

1. by turns, `curation validate` and a new server's first open, each on a
   cold parse cache (the cold open's goal is a multiple of validate's time);
2. with the cache warm, one new server for the rest: the first open in a
   fresh browser profile, reopening in a new tab of that browser, then one
   editor's Published ticks, filter changes, page turns, Charts, Gallery,
   sorts by a column header, undos and Triage's keys, then five editors at
   once, each in its own browser, ticking distinct rows and changing the
   filter, checked against the audit log; the server's memory is polled
   throughout.

Each interaction is timed inside the page, from the click's event to the
first animation frame that shows the expected state, and reported as a
median with its goal. Nothing here asserts: it reports. Playwright is
imported only when a benchmark or a test drives a browser; this module
never imports Streamlit (the server is a child process).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from curation.bench.library import machine_line
from curation.bench.measured_command import REPO, run_curation
from curation.bench.server import PeakMemory, audit_entry_count, check_writes
from curation.demo import write_demo_collection
from curation.editing.publish import load_history
from curation.loading.cache import cache_folder
from curation.loading.collection import load_collection

CHROMIUM = Path(os.environ.get("CURATION_CHROMIUM", "/usr/bin/chromium"))
# Every host name fails to resolve, so the documents' image URLs (on the internet) fail at once and the page
# reaches only this machine's server, at 127.0.0.1. Not request interception (page.route): that pauses every
# request of the page for Playwright, and added about 0.55 s to opening the dashboard (0.70 s against 1.25 s,
# measured by turns).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]  # fmt: skip
VIEWPORT = {"width": 1500, "height": 1000}
TICK_VIEW = "/?published=unpublished"
ROWS_PER_PAGE = 25  # the table's default page size
CHARTS = 6  # the altair charts curation/views/charts.py draws
CARDS_PER_PAGE = 24  # curation/views/gallery.py
SESSIONS = 5
COLD_PAIRS = 3  # validate and a cold open, by turns, at most this often
WAIT_MS = 60_000
HEADER = '[data-testid="stMarkdownContainer"]'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

# JavaScript run in the page. A capturing listener notes when a click happened; a condition is then polled on
# every animation frame (wrapped by `_noting_when`, which notes when it first held).
_RESET_JS = """() => {
  if (!window.__notesClicks) {
    document.addEventListener('click', () => { window.__clickAt = performance.now(); }, true);
    document.addEventListener('keydown', () => { window.__clickAt = performance.now(); }, true);  // a key, too
    window.__notesClicks = true;
  }
  window.__clickAt = null;
  window.__shownAt = null;
}"""
_IDLE_JS = (
    "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'"
    " && !document.querySelector('[data-stale=\"true\"]')"
)
# The Articles table (curation/views/assets/articles_table.js): rows carry their article's id as data-id.
ROW = '[role="grid"][aria-label="Articles"] tbody tr'
_TICK_SHOWN_JS = """([docId, title]) => {
  const row = [...document.querySelectorAll('ROW')].find((each) => each.dataset.id === docId);
  const box = row && row.querySelector('input.ct-published');
  const toasts = [...document.querySelectorAll('[data-testid="stToast"]')];
  return box && box.checked && !box.classList.contains('ct-pending') && row.innerText.includes('changed')
    && toasts.some((toast) => toast.innerText.includes(title));
}""".replace("ROW", ROW)
# The header's sentence, and the table's own count of its rows agreeing with the header's count.
_HEADER_SAYS_JS = """(text) => {
  const header = [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
    .find((element) => element.innerText.includes(' shown · '));
  const shown = header && header.innerText.match(/([\\d,]+) shown/);
  const rows = document.querySelector('.ct-pager-top .ct-page-summary');
  return header && header.innerText.includes(text) && rows && shown && rows.textContent === shown[1] + ' rows';
}"""
_OTHER_FIRST_ROW_JS = """(docId) => {
  const first = document.querySelector('ROW');
  return first && first.dataset.id !== docId;
}""".replace("ROW", ROW)
# Run in every page from its start: notes (epoch ms) the first animation frame with the header, a table row
# and the script run over.
_DRAWN_WATCH_JS = """(() => {
  const drawn = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.dataset.testScriptState === 'notRunning' && !document.querySelector('[data-stale="true"]')
      && document.querySelector('ROW')
      && [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
        .some((element) => element.textContent.includes(' shown · '));
  };
  const check = () => {
    if (drawn()) window.__drawnEpochMs = Date.now();
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();""".replace("ROW", ROW)
# Vega-Lite draws SVG here: a chart is drawn once its mark groups hold marks.
_CHARTS_DRAWN_JS = """(count) => {
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  return charts.length === count && charts.every((chart) => chart.querySelector('svg .role-mark > *'))
    && (IDLE)();
}""".replace("IDLE", _IDLE_JS)
_CARDS_DRAWN_JS = """(count) =>
  document.querySelectorAll('[class*="st-key-gallery_published_"] input').length === count && (IDLE)()
""".replace("IDLE", _IDLE_JS)
# History's tables are canvases; each has an accessible twin, a table whose row 2 is its first (newest) entry.
_NEWEST_HISTORY_ROWS_JS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"] tr[aria-rowindex="2"]')]
  .map((row) => row.textContent).join('\\n')"""
_UNDONE_JS = """([docId, newestBefore]) => {
  const toasts = [...document.querySelectorAll('[data-testid="stToast"]')];
  return toasts.some((toast) => toast.innerText.includes('Reverted') && toast.innerText.includes(docId))
    && (NEWEST)() !== newestBefore;
}""".replace("NEWEST", _NEWEST_HISTORY_ROWS_JS)

# Triage's card (curation/views/assets/triage_card.js): the card shown carries its id and queue position.
CARD = ".tc-card:not([hidden])"
_CARD_AT_JS = """(position) => document.querySelector('CARD')?.dataset.position === String(position)""".replace(
    "CARD", CARD
)
# Notes (in page time) the first frame whose URL names another card than `before`: the server's answer.
_WATCH_ANSWER_JS = """(before) => {
  window.__answeredAt = null;
  const check = () => {
    const card = new URLSearchParams(location.search).get('card');
    if (card && card !== before) window.__answeredAt = performance.now();
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}"""


def shown_figure(value: float, unit: str) -> str:
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value * 1000:,.0f} ms" if value < 1 else f"{value:,.2f} s"


@dataclass(frozen=True)
class Goal:
    """A step's goal: its median, and if given its highest reading, at most so much (in the step's unit);
    `holds` is a condition checked beside the readings (every write landed)."""

    text: str
    median_at_most: float | None = None
    highest_at_most: float | None = None
    holds: bool = True

    def met_by(self, runs: list[float]) -> bool:
        if not (runs and self.holds):
            return False
        return (self.median_at_most is None or statistics.median(runs) <= self.median_at_most) and (
            self.highest_at_most is None or max(runs) <= self.highest_at_most
        )


def at_most(seconds: float) -> Goal:
    return Goal(f"≤ {shown_figure(seconds, 's')}", median_at_most=seconds)


# Goals of the issue "The Articles table as one element" (medians, in seconds unless said), per corpus size:
# (at most this many documents, goal).
TICK_GOALS = ((10_000, 0.100), (100_000, 0.150))
WARM_OPEN_GOALS = ((10_000, 2.0), (100_000, 2.5))
REOPEN_GOALS = ((10_000, 1.2), (100_000, 2.0))
CHARTS_GOALS = ((10_000, 0.4), (100_000, 0.5))
TRIAGE_GOAL = at_most(0.3)  # issue 25: a key until the next card is shown
FILTER_GOAL = Goal("≤ 150 ms, none over 400 ms", median_at_most=0.15, highest_at_most=0.4)
PAGE_TURN_GOAL = at_most(0.15)
GALLERY_GOAL = at_most(0.3)
REOPENS = 3
COLD_OPEN_VS_VALIDATE = 1.3  # the cold first open's median, at most this many times validate's on a cold cache
MEMORY_GOAL = Goal("≤ 1,536 MB (1.5 GB, the goal at 100,000 documents)", median_at_most=1536)


def goal_for(goals: tuple[tuple[int, float], ...], count: int) -> Goal:
    """The goal for a corpus of `count` documents (the largest size's beyond it)."""
    return at_most(next((seconds for size, seconds in goals if count <= size), goals[-1][1]))


def tick_goal(count: int) -> Goal:
    return goal_for(TICK_GOALS, count)


def _noting_when(condition: str) -> str:
    """Page JS: `condition` (a function of one argument), noting the time of the first frame it holds in."""
    return (
        f"(argument) => {{ const shown = Boolean(({condition})(argument));"
        " if (shown) { window.__shownAt = performance.now(); } return shown; }"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class ServedDashboard:
    url: str
    pid: int  # also its process group's id
    started: float  # epoch seconds just before the server's process was started


@contextmanager
def dashboard_server(docs: Path, log_path: Path, *, timeout: float = 600) -> Iterator[ServedDashboard]:
    """`streamlit run app.py` headless on a free loopback port serving `docs`; stopped with its process group.

    Yields once `/_stcore/health` answers.
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
        started = time.time()
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
            yield ServedDashboard(url, process.pid, started)
        finally:
            os.killpg(process.pid, signal.SIGTERM)  # the whole group, also when the caller failed
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@contextmanager
def serve_dashboard(docs: Path, log_path: Path, *, timeout: float = 600) -> Iterator[str]:
    """The dashboard's URL while `dashboard_server` serves `docs`."""
    with dashboard_server(docs, log_path, timeout=timeout) as served:
        yield served.url


def local_page(context: Any) -> Any:
    """A new tab (it reaches only this machine: see CHROMIUM_ARGS)."""
    return context.new_page()


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium through Playwright (imported here: only browser runs need it). One per thread:
    Playwright's sync API belongs to the thread that started it."""
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


def _timed_in_page(page: Any, act: Callable[[], None], condition: str, argument: Any) -> float:
    """Seconds from the (last) click `act` makes to the first frame where `condition` holds; returns once
    the run is over, so the next step starts from a page at rest."""
    page.evaluate(_RESET_JS)
    act()
    page.wait_for_function(_noting_when(condition), arg=argument, polling="raf", timeout=WAIT_MS)
    clicked, shown = page.evaluate("() => [window.__clickAt, window.__shownAt]")
    wait_idle(page)
    return (shown - clicked) / 1000


@dataclass
class Step:
    name: str
    runs: list[float] = field(default_factory=list)
    note: str = ""
    goal: Goal | None = None
    unit: str = "s"
    facts: dict[str, Any] = field(default_factory=dict)  # more figures for the JSON report (p95, writes)

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None


def percentile(values: list[float], share: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1] if len(values) > 1 else values[0]


def _first_row_id(page: Any) -> str:
    return page.locator(ROW).first.get_attribute("data-id")


def wait_articles_drawn(page: Any, timeout_ms: float = 120_000) -> None:
    page.locator(HEADER, has_text=" shown · ").first.wait_for(timeout=timeout_ms)
    page.locator(ROW).first.wait_for(state="attached", timeout=timeout_ms)
    wait_idle(page, timeout_ms)


def open_articles(page: Any, url: str, timeout_ms: float = 600_000, *, since: float | None = None) -> float:
    """Seconds from navigation (or from `since`, epoch seconds: a server's start) until the header and the
    first table row are drawn and the run is over.

    The page notes the moment itself (`_DRAWN_WATCH_JS`, on every animation frame from its start, on this
    machine's clock): Playwright's own waiting polls ever more slowly, up to every 500 ms, and would add
    that to the reading.
    """
    if not getattr(page, "_watches_drawn", False):
        page.add_init_script(_DRAWN_WATCH_JS)
        page._watches_drawn = True
    start = time.time() if since is None else since
    page.goto(url)
    wait_articles_drawn(page, timeout_ms)
    return page.evaluate("() => window.__drawnEpochMs") / 1000 - start


def nav_link(page: Any, title: str) -> Any:
    """A page's link in the sidebar's navigation."""
    return page.locator('[data-testid="stSidebarNavLink"]', has_text=title)


def tick_latencies(page: Any, rows: Iterable[int]) -> dict[str, float]:
    """Tick Published on these rows (by position) of the unpublished view, one at a time: seconds by id."""
    table_rows = page.locator(ROW)
    times = {}
    for number in rows:
        row = table_rows.nth(number)
        doc_id = row.get_attribute("data-id")
        title_text = row.locator(".ct-title").inner_text().strip()
        box = row.get_by_role("checkbox", name="Published: ")
        times[doc_id] = _timed_in_page(page, box.click, _TICK_SHOWN_JS, [doc_id, title_text])
    return times


def filter_latencies(page: Any, count: int) -> list[float]:
    """Switch the Published filter between all and unpublished until the header's sentence follows."""
    control = page.get_by_role("radiogroup", name="Published")
    times = []
    for number in range(count):
        state, sentence = ("all", "— all articles") if number % 2 == 0 else ("unpublished", "— unpublished")
        button = control.get_by_role("radio", name=state, exact=True)
        times.append(_timed_in_page(page, button.click, _HEADER_SAYS_JS, sentence))
    return times


def page_turn_latencies(page: Any, count: int) -> list[float]:
    """Turn to the next page of the table and back until its first row is another article."""
    times = []
    for number in range(count):
        button = page.get_by_role("button", name=f"Page {2 if number % 2 == 0 else 1}", exact=True)
        times.append(_timed_in_page(page, button.first.click, _OTHER_FIRST_ROW_JS, _first_row_id(page)))
    return times


def sort_latencies(page: Any, count: int) -> list[float]:
    """Sort by the Article column's header, then by Date's again, until the first row is another article."""
    times = []
    for number in range(count):
        header = page.get_by_role("columnheader", name="Article" if number % 2 == 0 else "Date")
        times.append(_timed_in_page(page, header.get_by_role("button").click, _OTHER_FIRST_ROW_JS,
                                    _first_row_id(page)))  # fmt: skip
    return times


def reopen_latencies(context: Any, url: str, count: int) -> list[float]:
    """Open the dashboard in a new tab of a browser that has opened it before (its cache and profile kept)."""
    times = []
    for _ in range(count):
        page = local_page(context)
        times.append(open_articles(page, url))
        page.close()
    return times


def page_open_latencies(page: Any, title: str, condition: str, argument: Any, count: int) -> list[float]:
    """Open a page from Articles by its sidebar link until `condition` holds and the run is over; then back."""
    times = []
    for _ in range(count):
        times.append(_timed_in_page(page, nav_link(page, title).click, condition, argument))
        nav_link(page, "Articles").click()
        wait_articles_drawn(page)
    return times


def shown_count(page: Any) -> int:
    """The header's count of shown articles."""
    header = page.locator(HEADER, has_text=" shown · ").first.inner_text()
    return int(re.search(r"([\d,]+) shown", header).group(1).replace(",", ""))


def cards_on_first_page(page: Any) -> int:
    return min(CARDS_PER_PAGE, shown_count(page))


def undo_latencies(page: Any, url: str, folder: Path, count: int) -> list[float]:
    """On History, undo the newest change `count` times, each until a toast names its article and the
    table's newest row is another (the undo's). Opened without filters: History lists the changes of the articles
    the filters show, and the filter steps before may have left one that shows none of the ticked articles."""
    page.goto(url + "/history")
    page.locator('[data-testid="stDataFrame"] tr[aria-rowindex="2"]').first.wait_for(state="attached", timeout=WAIT_MS)
    wait_idle(page)
    undo = page.get_by_role("button", name="Undo the last change")
    times = []
    for _ in range(count):
        doc_id = next(load_history(folder)[0].undoable()).id
        newest_before = page.evaluate(_NEWEST_HISTORY_ROWS_JS)
        times.append(_timed_in_page(page, undo.click, _UNDONE_JS, [doc_id, newest_before]))
    return times


def triage_latencies(page: Any, url: str, count: int) -> tuple[list[float], list[float]]:
    """On Triage's unpublished queue, press `p` (publish and next) `count` times: seconds until the next card
    is drawn, and until the server's answer (the write done, the URL naming the next card)."""
    page.goto(url + "/triage?published=unpublished")
    page.locator(CARD).wait_for(timeout=WAIT_MS)
    wait_idle(page)
    drawn, answered = [], []
    for _ in range(count):
        shown = page.locator(CARD)
        position, doc_id = int(shown.get_attribute("data-position")), shown.get_attribute("data-id")
        page.evaluate(_WATCH_ANSWER_JS, doc_id)
        drawn.append(_timed_in_page(page, lambda: page.keyboard.press("p"), _CARD_AT_JS, position + 1))
        page.wait_for_function("() => window.__answeredAt !== null", timeout=WAIT_MS)
        answered.append(page.evaluate("() => window.__answeredAt - window.__clickAt") / 1000)
        wait_idle(page)
    return drawn, answered


def triage_step(page: Any, url: str, count: int) -> Step:
    drawn, answered = triage_latencies(page, url, count)
    return Step(
        "triage: key until the next card is drawn", drawn, goal=TRIAGE_GOAL,
        note=f"p (publish and next) on the unpublished queue; the server's answer (written, the URL's card) "
        f"after a median of {shown_figure(statistics.median(answered), 's')}",
        facts={"answered": answered, "answered_median": statistics.median(answered)},
    )  # fmt: skip


VALIDATE_OK = (0, 1)  # 1: validate found problems in the documents, which is no failure of the command


def validate_seconds(folder: Path) -> float:
    """Seconds `python -m curation validate` takes on the folder (the whole command, interpreter start included)."""
    return run_curation(["validate", "--docs", str(folder)], ok_codes=VALIDATE_OK).seconds


def drop_parse_cache(folder: Path) -> None:
    """Delete the folder's parse cache (only the cache: the audit log and the locks stay)."""
    cache = cache_folder(folder)
    if cache.exists():
        shutil.rmtree(cache)


def cold_open_steps(folder: Path, workdir: Path, pairs: int, log: Callable[[str], None]) -> list[Step]:
    """By turns, so a change in the machine's load hits both alike: `curation validate` on a cold cache,
    then a new server's first open on a cold cache."""
    validate, opened = [], []
    with chromium() as browser:
        for number in range(pairs):
            log(f"cold open {number + 1} of {pairs}: curation validate, then a new server, each on no parse cache")
            drop_parse_cache(folder)
            validate.append(validate_seconds(folder))
            drop_parse_cache(folder)
            with dashboard_server(folder, workdir / "streamlit-cold.log") as server:
                context = browser.new_context(viewport=VIEWPORT)
                opened.append(open_articles(local_page(context), server.url + TICK_VIEW))
                context.close()
    limit = COLD_OPEN_VS_VALIDATE * statistics.median(validate)
    return [
        Step(
            "first open, parse cache cold, new server", opened, note="until the table is drawn",
            goal=Goal(f"≤ {COLD_OPEN_VS_VALIDATE} × validate cold = {shown_figure(limit, 's')}", median_at_most=limit),
        ),
        Step("curation validate, parse cache cold", validate, note="the whole command, by turns with the open above"),
    ]  # fmt: skip


@dataclass(frozen=True)
class EditorCounts:
    """How many readings one editor's steps take."""

    ticks: int  # rows of the first page, one after another
    filters: int
    readings: int  # page turns, Charts, Gallery, sorts, undos
    reopens: int = REOPENS

    @classmethod
    def for_runs(cls, runs: int) -> EditorCounts:
        ticks = max(3, min(runs, ROWS_PER_PAGE))
        return cls(ticks, max(10, runs), max(4, ticks // 2))  # ten filter changes at least: for the highest


@dataclass(frozen=True)
class PlannedStep:
    name: str
    measure: Callable[[], list[float]]
    goal: Goal | None
    note: str


EDITOR_STEPS = ("first open", "reopen", "tick", "filter", "page", "charts", "gallery", "sort", "undo")


def editor_plan(
    context: Any,
    page: Any,
    url: str,
    folder: Path,
    documents: int,
    counts: EditorCounts,
    *,
    opened_since: float | None = None,
) -> dict[str, PlannedStep]:
    """One editor's steps on a new server with a warm cache, by key (EDITOR_STEPS, in the order they run);
    `page` is a tab of `context` that has not opened the dashboard yet, and its first open is timed from
    `opened_since` (epoch seconds; default: its navigation)."""
    readings = counts.readings
    return {
        "first open": PlannedStep(
            "first open, fresh browser profile, parse cache warm, new server",
            lambda: [open_articles(page, url + TICK_VIEW, since=opened_since)], goal_for(WARM_OPEN_GOALS, documents),
            "until the table is drawn"),
        "reopen": PlannedStep(
            "reopen in a new tab of a browser that has opened it before",
            lambda: reopen_latencies(context, url + TICK_VIEW, counts.reopens), goal_for(REOPEN_GOALS, documents),
            "until the table is drawn"),
        "tick": PlannedStep(
            "Published tick until the row and the toast show it",
            lambda: list(tick_latencies(page, range(counts.ticks)).values()), tick_goal(documents),
            "unpublished view, one row after another"),
        "filter": PlannedStep(
            "filter change until the header and the rows follow", lambda: filter_latencies(page, counts.filters),
            FILTER_GOAL, "published all ↔ unpublished"),
        "page": PlannedStep("next page of the table", lambda: page_turn_latencies(page, readings), PAGE_TURN_GOAL, ""),
        "charts": PlannedStep(
            "open Charts, all drawn", lambda: page_open_latencies(page, "Charts", _CHARTS_DRAWN_JS, CHARTS, readings),
            goal_for(CHARTS_GOALS, documents), f"{CHARTS} charts, from Articles"),
        "gallery": PlannedStep(
            f"open Gallery, {CARDS_PER_PAGE} cards drawn",
            lambda: page_open_latencies(page, "Gallery", _CARDS_DRAWN_JS, cards_on_first_page(page), readings),
            GALLERY_GOAL, "from Articles; images blocked, the page may reach only this machine"),
        "sort": PlannedStep(
            "sort by a column header", lambda: sort_latencies(page, readings), None,
            "Article, then Date again, until the first row is another article; no goal in the issue"),
        "undo": PlannedStep(
            "undo from History", lambda: undo_latencies(page, url, folder, min(counts.ticks, readings)), None,
            "Undo the last change, until its toast and History's newest row show it; no goal in the issue"),
    }  # fmt: skip


def run_plan(plan: dict[str, PlannedStep], keys: Iterable[str], log: Callable[[str], None]) -> list[Step]:
    """The plan's steps of these keys, in this order."""
    steps = []
    for key in keys:
        planned = plan[key]
        log(planned.name)
        steps.append(Step(planned.name, planned.measure(), note=planned.note, goal=planned.goal))
    return steps


def editor_steps(
    browser: Any, url: str, folder: Path, documents: int, runs: int, log: Callable[[str], None]
) -> list[Step]:
    """One editor on a new server with a warm cache: every step but the sessions at once, in this order."""
    counts = EditorCounts.for_runs(runs)
    context = browser.new_context(viewport=VIEWPORT)
    page = local_page(context)
    steps = run_plan(editor_plan(context, page, url, folder, documents, counts), EDITOR_STEPS, log)
    log("triage: key until the next card is drawn")
    steps.append(triage_step(page, url, counts.ticks))
    context.close()
    return steps


@dataclass
class SessionReadings:
    ticks: dict[str, float]  # seconds by the ticked row's id
    filters: list[float]


def one_of_sessions(url: str, number: int, count: int, ready: threading.Barrier) -> SessionReadings:
    """One of SESSIONS editors, in a browser of its own: opens the unpublished view, waits for the others,
    ticks every SESSIONS-th row from its own offset (no two tick one article), then changes the filter."""
    try:
        with chromium() as browser:
            page = local_page(browser.new_context(viewport=VIEWPORT))
            open_articles(page, url + TICK_VIEW)
            ready.wait(timeout=600)
            ticks = tick_latencies(page, range(number, number + SESSIONS * count, SESSIONS))
            return SessionReadings(ticks, filter_latencies(page, count))
    except BaseException:
        ready.abort()  # the others stop waiting for this one
        raise


def sessions_steps(url: str, folder: Path, runs: int, log: Callable[[str], None]) -> list[Step]:
    """SESSIONS editors at once on one server, each in its own browser and thread; their ticks checked
    against the audit log and the files."""
    count = max(2, min(runs, ROWS_PER_PAGE // SESSIONS))
    log(f"{SESSIONS} sessions at once, {count} ticks and {count} filter changes each")
    since = audit_entry_count(folder)
    ready = threading.Barrier(SESSIONS)
    with ThreadPoolExecutor(SESSIONS, thread_name_prefix="session") as pool:
        futures = [pool.submit(one_of_sessions, url, number, count, ready) for number in range(SESSIONS)]
        readings = [future.result() for future in futures]
    check = check_writes(folder, since, [doc_id for session in readings for doc_id in session.ticks])
    ticks = [seconds for session in readings for seconds in session.ticks.values()]
    filters = [seconds for session in readings for seconds in session.filters]
    tick_p95, filter_p95 = percentile(ticks, 95), percentile(filters, 95)
    writes = {"writes_made": check.made, "writes_logged": check.logged, "writes_landed": check.landed,
              "writes_missing": check.missing}  # fmt: skip
    return [
        Step(f"{SESSIONS} sessions at once: Published tick (p50)", ticks,
             note=f"p95 {shown_figure(tick_p95, 's')}; {check.describe()} (audit log and files)",
             goal=Goal("every write lands", holds=check.all_landed), facts={"p95": tick_p95, **writes}),
        Step(f"{SESSIONS} sessions at once: filter change (p50)", filters, note=f"p95 {shown_figure(filter_p95, 's')}",
             facts={"p95": filter_p95}),
    ]  # fmt: skip


def memory_step(peak_mb: float) -> Step:
    return Step(
        "server peak RSS (MB)", [peak_mb], unit="MB", goal=MEMORY_GOAL,
        note=f"its processes, polled every 100 ms through the steps above and the {SESSIONS} sessions",
    )  # fmt: skip


def run_browser_benchmark(
    count: int,
    runs: int,
    seed: int = 0,
    *,
    corpus: Path | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measure the dashboard in Chromium on `count` generated documents (or on `corpus`, which it writes to
    and whose parse cache it deletes)."""
    workdir = Path(tempfile.mkdtemp(prefix="curation-bench-browser-"))
    load_before = os.getloadavg()[0]
    try:
        folder = corpus
        if folder is None:
            folder = workdir / "docs"
            log(f"generating {count:,} documents…")
            write_demo_collection(folder, count, seed)
        steps = cold_open_steps(folder, workdir, min(runs, COLD_PAIRS), log)
        log("warming the parse cache…")
        frame = load_collection(folder).frame
        log(f"starting streamlit run on {len(frame):,} documents…")
        with dashboard_server(folder, workdir / "streamlit.log") as server, PeakMemory(server.pid) as memory:
            with chromium() as browser:
                steps += editor_steps(browser, server.url, folder, len(frame), runs, log)
            steps += sessions_steps(server.url, folder, runs, log)
        steps.append(memory_step(memory.peak_mb))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report = browser_report(frame, runs, seed, steps)
    report["load_average"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]  # other work on the cores
    return report


def browser_report(frame: pd.DataFrame, runs: int, seed: int, steps: list[Step]) -> dict[str, Any]:
    rows = []
    for step in steps:
        row: dict[str, Any] = {
            "step": step.name, "median": step.median, "unit": step.unit, "runs": step.runs, "note": step.note,
            **step.facts,
        }  # fmt: skip
        if step.goal:
            row["goal"] = step.goal.text
            row["goal_met"] = step.goal.met_by(step.runs)
        rows.append(row)
    sizes = frame["size"]
    return {"documents": len(frame), "corpus_bytes": int(sizes.sum()), "mean_document_bytes": float(sizes.mean()),
            "runs": runs, "seed": seed, "machine": machine_line(), "browser": True, "results": rows}  # fmt: skip


def format_browser_report(report: dict[str, Any]) -> str:
    """The report as a Markdown table."""
    lines = [
        f"{report['documents']:,} documents ({report['corpus_bytes'] / 1e6:,.1f} MB, mean "
        f"{report['mean_document_bytes']:,.0f} bytes), in Chromium against `streamlit run`; medians",
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
        runs, unit = row["runs"], row["unit"]
        shown = "—" if row["median"] is None else shown_figure(row["median"], unit)
        spread = f"{shown_figure(min(runs), unit)} – {shown_figure(max(runs), unit)}" if len(runs) > 1 else ""
        goal = row.get("goal", "")
        if goal:
            goal += " ✓" if row["goal_met"] else " ✗"
        name = row["step"] + (f" ({row['note']})" if row["note"] else "")
        lines.append(f"| {name} | {shown} | {len(runs)} | {spread} | {goal} |")
    return "\n".join(lines)
