"""End to end: a real `streamlit run app.py` and a real headless Chromium.

Skipped with a reason when Chromium is missing, except under
CURATION_REQUIRE_BROWSER=1 (CI), where a missing browser fails the run.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest

from curation.collection import load_collection
from tests.conftest import REPO, SEED_ID, write_document

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CURATION_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = REPO / "test-artifacts" / "screenshots"
SEED_TITLE = "Stream It Or Skip It: ‘Jung_E’ on Netflix, a Sci-Fi Fable About AI and Brain-Cloning"
# Column widths the Articles table sets ("small" = 75 px): id, Select, Published.
COLUMN_WIDTH, HEADER_HEIGHT, ROW_HEIGHT = 75, 35, 35


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    message = f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install chromium)"
    if os.environ.get("CURATION_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " — CURATION_REQUIRE_BROWSER=1 makes this an error")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run",
            ],
        )  # fmt: skip
        yield chromium
        chromium.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(docs: Path, log_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port serving `docs`; stopped by its process group."""
    port = _free_port()
    log = log_path.open("wb")
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
        "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    environment = {**os.environ, "CURATION_DOCS": str(docs)}
    for variable in ("CURATION_READ_ONLY", "CURATION_PASSWORD", "CURATION_EDITORS"):
        environment.pop(variable, None)
    process = subprocess.Popen(
        command, cwd=REPO, env=environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
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
        os.killpg(process.pid, signal.SIGTERM)  # the whole group, also when the test failed
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.fixture
def server(docs: Path, tmp_path: Path) -> Iterator[str]:
    """The dashboard on a temp copy of seeds/."""
    with serve(docs, tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture
def second_server(docs: Path, tmp_path: Path) -> Iterator[str]:
    """Another app process on the same folder, as a team running two instances would."""
    with serve(docs, tmp_path / "streamlit-2.log") as url:
        yield url


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, accept_downloads=True)
    opened = local_page(context)  # the documents' image URLs point at the internet
    yield opened
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def local_page(context):
    """A new tab that may only reach this machine."""
    opened = context.new_page()
    opened.route("**/*", lambda route: route.continue_() if _is_local(route.request.url) else route.abort())
    return opened


def _is_local(url: str) -> bool:
    return url.startswith(("http://127.0.0.1:", "ws://127.0.0.1:", "data:", "blob:", "about:"))


def open_app(page, url: str):
    """Go to a URL and wait until the script run is over and nothing is stale."""
    page.goto(url)
    wait_idle(page)
    return page


def wait_idle(page) -> None:
    from playwright.sync_api import expect

    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=30_000)
    page.wait_for_timeout(300)  # a rerun the last event queued starts within this
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=30_000)
    expect(page.locator("[data-stale='true']")).to_have_count(0, timeout=30_000)


def header_text(page) -> str:
    return page.get_by_test_id("stMarkdownContainer").filter(has_text=" shown · ").first.inner_text()


def table_ids(page) -> list[str]:
    """The ids in the first column of the Articles table, from its accessible cell layer."""
    cells = page.locator('[data-testid="stDataFrame"] td[aria-colindex="1"]')
    cells.first.wait_for(state="attached", timeout=15_000)  # the grid draws after the script run
    return cells.all_inner_texts()


def click_published_cell(page, row: int) -> None:
    grid = page.get_by_test_id("stDataFrame").first
    box = grid.bounding_box()
    x = box["x"] + 2 * COLUMN_WIDTH + COLUMN_WIDTH / 2  # after the id and Select columns
    y = box["y"] + HEADER_HEIGHT + row * ROW_HEIGHT + ROW_HEIGHT / 2
    page.mouse.click(x, y)


def unpublished_article(docs: Path) -> tuple[str, str]:
    frame = load_collection(docs).frame
    row = frame[~frame["published"] & frame["title"].str.isascii()].iloc[0]
    return row.name, row["title"]


def test_the_articles_page_shows_the_seed_and_the_counts(server, page):
    from playwright.sync_api import expect

    open_app(page, server)
    assert header_text(page).startswith("301 articles · 301 shown · 0 problems")
    search = page.get_by_role("textbox", name="Search")
    search.fill("Jung_E")
    search.press("Enter")
    wait_idle(page)
    assert header_text(page).startswith("301 articles · 1 shown · 0 problems")
    expect(page.locator('[data-testid="stDataFrame"] td', has_text=SEED_TITLE)).to_have_count(1)
    assert table_ids(page) == [SEED_ID]


def test_a_filter_narrows_the_table_and_lives_in_the_url(server, page, docs):
    frame = load_collection(docs).frame
    sport = int((frame["category"] == "sport").sum())
    open_app(page, server)
    page.get_by_test_id("stMultiSelect").filter(has_text="Category").click()
    page.get_by_role("option", name=f"sport ({sport})").click()
    page.keyboard.press("Escape")
    wait_idle(page)
    assert header_text(page).startswith(f"301 articles · {sport} shown")
    assert "category=sport" in page.url
    shared = page.url
    fresh = local_page(page.context)
    open_app(fresh, shared)
    assert header_text(fresh).startswith(f"301 articles · {sport} shown")
    assert "category sport" in header_text(fresh)
    fresh.close()


def test_ticking_published_writes_the_file_and_unticking_writes_it_back(server, page, docs):
    from playwright.sync_api import expect

    doc_id, title = unpublished_article(docs)
    path = docs / doc_id
    original = path.read_bytes()
    open_app(page, f"{server}/?search={quote(title)}")
    assert table_ids(page) == [doc_id]
    click_published_cell(page, 0)
    expect(page.get_by_test_id("stToast").filter(has_text=f"Published {doc_id}")).to_be_visible(timeout=15_000)
    wait_idle(page)
    assert path.read_bytes() == original.replace(b"\npublished: false\n", b"\npublished: true\n")
    click_published_cell(page, 0)
    expect(page.get_by_test_id("stToast").filter(has_text=f"Unpublished {doc_id}")).to_be_visible(timeout=15_000)
    wait_idle(page)
    assert path.read_bytes() == original


def test_bulk_publish_through_the_dialog_changes_exactly_the_shown_files(server, page, docs):
    from playwright.sync_api import expect

    frame = load_collection(docs).frame
    shown = frame[frame["category"] == "health"]
    changing = set(shown.index[~shown["published"]])
    before = {path.name: path.read_bytes() for path in docs.glob("*.txt")}
    open_app(page, f"{server}/?category=health")
    page.get_by_role("button", name=f"Publish all {len(shown)} shown", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(f"{len(changing)} files will change")
    dialog.get_by_role("button", name=f"Publish {len(changing)}", exact=True).click()
    expect(page.get_by_text(f"Published {len(changing)} · 0 conflicts · 0 refused")).to_be_visible(timeout=20_000)
    after = {path.name: path.read_bytes() for path in docs.glob("*.txt")}
    assert {name for name in after if after[name] != before[name]} == changing
    assert load_collection(docs).frame.loc[shown.index, "published"].all()


def test_a_conflict_names_the_file_and_the_external_change_survives(server, page, docs):
    from playwright.sync_api import expect

    doc_id, title = unpublished_article(docs)
    path = docs / doc_id
    open_app(page, f"{server}/?search={quote(title)}")
    assert table_ids(page) == [doc_id]
    path.write_bytes(path.read_bytes() + b"\nA correction another editor saved.\n")
    external = path.read_bytes()
    click_published_cell(page, 0)
    error = page.get_by_test_id("stAlert").filter(has_text="Conflict")
    expect(error).to_be_visible(timeout=15_000)
    expect(error).to_contain_text(doc_id)
    assert path.read_bytes() == external


def test_the_csv_download_is_bom_prefixed_and_matches_the_filter(server, page, docs):
    frame = load_collection(docs).frame
    expected = frame[(frame["category"] == "news") & ~frame["published"]].sort_values(
        "publishedDateTime", ascending=False, kind="stable"
    )
    open_app(page, f"{server}/?category=news&published=unpublished")
    with page.expect_download(timeout=20_000) as download_info:
        page.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-unpublished-category-news.csv")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [row["id"] for row in rows] == list(expected.index)
    assert all(row["category"] == "news" and row["published"] == "false" for row in rows)


def test_hostile_document_text_stays_inert(server, page, docs):
    from playwright.sync_api import expect

    title = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned2 = 1"> Hostile'
    write_document(
        docs,
        "hostile.txt",
        f'---\ntitle: {title!r}\nwebUrl: "javascript:window.__pwned3 = 1"\n'
        'excerpt: "<img src=y onerror=\\"window.__pwned4 = 1\\">"\nimages:\n  - url: "javascript:window.__pwned5 = 1"\n---\n',
    )
    flags = "[window.__pwned, window.__pwned2, window.__pwned3, window.__pwned4, window.__pwned5]"
    open_app(page, f"{server}/gallery?search=Hostile")
    expect(page.get_by_text("<script>window.__pwned = 1</script>", exact=False)).to_be_visible()
    page.get_by_text("Hostile").first.click()
    assert page.evaluate(flags) == [None] * 5
    open_app(page, f"{server}/?search=Hostile")
    grid = page.get_by_test_id("stDataFrame").first.bounding_box()
    page.mouse.click(grid["x"] + COLUMN_WIDTH + COLUMN_WIDTH / 2, grid["y"] + HEADER_HEIGHT + ROW_HEIGHT / 2)
    wait_idle(page)
    expect(page.get_by_role("heading", name="Hostile")).to_be_visible()
    assert page.evaluate(flags) == [None] * 5


def published_cell(page, row: int) -> str:
    """The Published value of a table row, as the grid's accessible layer reads it."""
    table_ids(page)  # waits for the grid
    return page.locator('[data-testid="stDataFrame"] td[aria-colindex="3"]').nth(row).inner_text()


def test_two_servers_on_one_folder_share_changes_and_never_lose_one(server, second_server, page, docs):
    """Two app processes: a change in one is seen in the other; a stale toggle is a conflict."""
    from playwright.sync_api import expect

    doc_id, title = unpublished_article(docs)
    query = f"/?search={quote(title)}"
    first, second = page, local_page(page.context)
    open_app(first, server + query)
    open_app(second, second_server + query)
    assert published_cell(first, 0) == published_cell(second, 0) == "false"
    click_published_cell(first, 0)
    expect(first.get_by_test_id("stToast").filter(has_text=f"Published {doc_id}")).to_be_visible(timeout=15_000)
    click_published_cell(second, 0)  # the second editor still sees the old version
    expect(second.get_by_test_id("stAlert").filter(has_text="Conflict")).to_contain_text(doc_id, timeout=15_000)
    wait_idle(second)
    assert published_cell(second, 0) == "true"  # its next interaction shows what is on disk
    assert b"\npublished: true\n" in (docs / doc_id).read_bytes()
    entries = (docs / ".curation" / "audit.jsonl").read_text().splitlines()
    assert len(entries) == 1


@pytest.mark.parametrize("path", ["", "charts", "gallery", "problems", "history"])
def test_every_page_loads_without_an_exception(server, page, path, request):
    from playwright.sync_api import expect

    open_app(page, f"{server}/{path}")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text((path or "articles").capitalize())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"page-{path or 'articles'}.png"), full_page=True)


def test_the_chromium_the_tests_use_is_real():
    """Guards against a silent skip in CI: the variable must be honoured."""
    if os.environ.get("CURATION_REQUIRE_BROWSER") == "1":
        assert CHROMIUM.exists() and shutil.which(str(CHROMIUM))
