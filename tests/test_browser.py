"""End to end: a real `streamlit run app.py` and a real headless Chromium.

Skipped with a reason when Chromium is missing, except under
CURATION_REQUIRE_BROWSER=1 (CI), where a missing browser fails the run.

No test sleeps to let something happen: each waits for the state it expects
(a header's text, a toast, a file's bytes, the audit log's lines) and then
for the script run to be over. The only pauses are the intervals between the
rapid ticks, which are the scenario itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest

from curation.editing.publish import set_published
from curation.loading.collection import load_collection
from curation.query.filters import DASHBOARD_FILTERS
from tests.browser_support import CHROMIUM, local_page, serve_dashboard
from tests.conftest import SEED_ID, write_document

pytestmark = pytest.mark.browser

SEED_TITLE = "Stream It Or Skip It: ‘Jung_E’ on Netflix, a Sci-Fi Fable About AI and Brain-Cloning"
WAIT_MS = 60_000  # generous: the tests must pass beside two CPU burners on two cores
IDLE_JS = (
    "() => document.querySelector('[data-testid=\"stApp\"]')?.dataset.testScriptState === 'notRunning'"
    " && !document.querySelector('[data-stale=\"true\"]')"
)
PENDING = re.compile(r"\bct-pending\b")  # a box whose tick the server has not answered yet
GRID_ROWS = '[role="grid"][aria-label="Articles"] tbody tr'  # the Articles table's rows (articles_table.js)


@pytest.fixture
def second_server(docs: Path, tmp_path: Path) -> Iterator[str]:
    """Another app process on the same folder, as a team running two instances would."""
    with serve_dashboard(docs, tmp_path / "streamlit-2.log", timeout=120) as url:
        yield url


def settle(page) -> None:
    """Once the expected state shows: wait until the script run is over and nothing is stale."""
    page.wait_for_function(IDLE_JS, timeout=WAIT_MS)


def open_app(page, url: str, *, rows: bool = True):
    """Go to a URL and wait until its header is drawn (and the table's first row, on the Articles page)."""
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_be_visible(timeout=WAIT_MS)
    if rows:
        expect(header(page)).to_be_visible(timeout=WAIT_MS)
        expect(grid(page).locator("tbody tr").first).to_be_visible(timeout=WAIT_MS)
    settle(page)
    return page


def header(page):
    return page.get_by_test_id("stMarkdownContainer").filter(has_text=" shown · ").first


def expect_header(page, text: str) -> None:
    from playwright.sync_api import expect

    expect(header(page)).to_contain_text(text, timeout=WAIT_MS)
    settle(page)


def grid(page):
    """The Articles table: one grid drawn by the table component."""
    return page.get_by_role("grid", name="Articles")


def row_ids(page) -> list[str]:
    """The ids of the table's rows, in order (each row carries its article's file name as data-id)."""
    return page.locator(GRID_ROWS).evaluate_all("rows => rows.map((row) => row.dataset.id)")


def expect_rows(page, ids: list[str]) -> None:
    """Until the table shows exactly these rows, in this order (it is drawn after the run that sent them)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(
            """([selector, ids]) => JSON.stringify([...document.querySelectorAll(selector)]
                 .map((row) => row.dataset.id)) === JSON.stringify(ids)""",
            arg=[GRID_ROWS, ids],
            timeout=WAIT_MS,
        )
    except PlaywrightTimeout:
        assert row_ids(page) == ids


def table_row(page, doc_id: str):
    """An article's row of the table (its boxes, title, marks and details), found by its file name."""
    return grid(page).locator(f"tbody tr[data-id={json.dumps(doc_id)}]")


def row_control(page, doc_id: str, role: str, name: str):
    """A control of an article's row by its role and the start of its name ("Published", "Select", "Edit");
    the rest of the name is the title."""
    return table_row(page, doc_id).get_by_role(role, name=re.compile("^" + re.escape(name) + ": "))


def published_box(page, doc_id: str):
    """The Published checkbox of an article's row."""
    return row_control(page, doc_id, "checkbox", "Published")


def select_box(page, doc_id: str):
    return row_control(page, doc_id, "checkbox", "Select")


def click_published(page, doc_id: str) -> None:
    published_box(page, doc_id).click()


def expect_settled(box, checked: bool) -> None:
    """Until a box shows what the server wrote: no longer dimmed as waiting for the answer, and ticked or not."""
    from playwright.sync_api import expect

    expect(box).not_to_have_class(PENDING, timeout=WAIT_MS)
    (expect(box).to_be_checked if checked else expect(box).not_to_be_checked)(timeout=WAIT_MS)


def expect_changed_count(page, count: int) -> None:
    """Until the toolbar counts `count` rows changed since the view was opened."""
    from playwright.sync_api import expect

    expect(page.get_by_text(f"{count} changed", exact=True)).to_be_visible(timeout=WAIT_MS)


def toolbar_menu(page, name: str):
    """Open one of the toolbar's popovers ("Export", "All 12 shown", "Edit 3 selected"); its panel."""
    from playwright.sync_api import expect

    page.get_by_role("button", name=name, exact=True).click()
    panel = page.get_by_test_id("stPopoverBody")
    expect(panel).to_be_visible(timeout=WAIT_MS)
    return panel


def expect_shown(page, test_id: str, text: str) -> None:
    """Until an element with this test id shows the text. Invisible joiners that escape_markdown may put into
    document text in Streamlit's markdown (so `a:b` never becomes a link or an icon) are ignored."""
    page.wait_for_function(
        """([testId, text]) => [...document.querySelectorAll(`[data-testid="${testId}"]`)]
             .some((element) => element.innerText.replace(/\u2060/g, '').includes(text))""",
        arg=[test_id, text],
        timeout=WAIT_MS,
    )


def expect_toast(page, text: str) -> None:
    expect_shown(page, "stToast", text)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT_MS / 1000) -> None:
    """Poll a condition outside the browser (a file's bytes, the audit log) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def audit_lines(folder: Path) -> list[str]:
    log = folder / ".curation" / "audit.jsonl"
    return log.read_text().splitlines() if log.exists() else []


def unpublished_article(docs: Path) -> tuple[str, str]:
    frame = load_collection(docs).frame
    row = frame[~frame["published"] & frame["title"].str.isascii()].iloc[0]
    return row.name, row["title"]


def snapshot_bytes(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.glob("*.txt")}


def changed_files(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {name for name in after if after[name] != before.get(name)}


def test_the_articles_page_shows_the_seed_and_the_counts(shared_server, page, shared_docs):
    from playwright.sync_api import expect

    open_app(page, shared_server)
    expect_header(page, "301 articles · 301 shown · 0 problems")
    search = page.get_by_role("textbox", name="Search")
    search.fill("Jung_E")
    search.press("Enter")
    expect_header(page, "301 articles · 1 shown · 0 problems")
    expect(grid(page).get_by_role("link", name=SEED_TITLE, exact=True)).to_have_count(1, timeout=WAIT_MS)
    expect(grid(page).get_by_role("checkbox", name=f"Published: {SEED_TITLE}", exact=True)).to_be_visible()
    assert row_ids(page) == [SEED_ID]


def test_a_filter_narrows_the_table_and_lives_in_the_url(shared_server, page, shared_docs):
    frame = load_collection(shared_docs).frame
    sport = int((frame["category"] == "sport").sum())
    from playwright.sync_api import expect

    open_app(page, shared_server)
    category = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Category")
    chosen = category.get_by_test_id("stMultiSelectTagsContainer")
    for _attempt in range(3):  # on a loaded machine a click on the just-opened list is now and then not taken
        option = page.get_by_role("option", name=f"sport ({sport})")
        if not option.is_visible():
            category.click()
        option.click()
        try:
            expect(chosen).to_contain_text(f"sport ({sport})", timeout=15_000)
            break
        except AssertionError:
            continue
    expect(chosen).to_contain_text(f"sport ({sport})", timeout=WAIT_MS)
    page.keyboard.press("Escape")  # only once the choice shows: closing the list earlier can drop it
    expect_header(page, f"301 articles · {sport} shown")
    assert "category=sport" in page.url
    expect_rows(page, list(replace(DASHBOARD_FILTERS, categories=("sport",)).apply(frame).index[:25]))
    shared = page.url
    fresh = local_page(page.context)
    open_app(fresh, shared)
    expect_header(fresh, f"301 articles · {sport} shown")
    expect_header(fresh, "category sport")
    fresh.close()


def test_ticking_published_writes_the_file_and_unticking_writes_it_back(server, page, docs):
    doc_id, title = unpublished_article(docs)
    path = docs / doc_id
    original = path.read_bytes()
    published = original.replace(b"\npublished: false\n", b"\npublished: true\n")
    open_app(page, f"{server}/?search={quote(title)}")
    assert row_ids(page) == [doc_id]
    box = grid(page).get_by_role("checkbox", name=f"Published: {title}", exact=True)
    box.click()
    expect_toast(page, f"Published: {title}")
    wait_for(lambda: path.read_bytes() == published, "the file to say published: true")
    expect_settled(box, True)
    settle(page)
    box.click()
    expect_toast(page, f"Unpublished: {title}")
    wait_for(lambda: path.read_bytes() == original, "the file to be as it was")
    expect_settled(box, False)
    settle(page)
    assert len(audit_lines(docs)) == 2


def test_bulk_publish_through_the_dialog_changes_exactly_the_shown_files(server, page, docs):
    from playwright.sync_api import expect

    frame = load_collection(docs).frame
    shown = frame[frame["category"] == "health"]
    changing = set(shown.index[~shown["published"]])
    before = snapshot_bytes(docs)
    open_app(page, f"{server}/?category=health")
    menu = toolbar_menu(page, f"All {len(shown)} shown")
    menu.get_by_role("button", name=f"Publish all {len(shown)} shown", exact=True).click()
    dialog = page.get_by_role("dialog", name="Confirm")
    expect(dialog).to_contain_text(f"{len(changing)} files will change", timeout=WAIT_MS)
    dialog.get_by_role("button", name=f"Publish {len(changing)}", exact=True).click()
    expect(page.get_by_text(f"Published {len(changing)} · 0 conflicts · 0 refused")).to_be_visible(timeout=WAIT_MS)
    assert changed_files(before, snapshot_bytes(docs)) == changing
    assert load_collection(docs).frame.loc[shown.index, "published"].all()


def test_a_conflict_names_the_article_and_the_external_change_survives(server, page, docs):
    from playwright.sync_api import expect

    doc_id, title = unpublished_article(docs)
    path = docs / doc_id
    open_app(page, f"{server}/?search={quote(title)}")
    assert row_ids(page) == [doc_id]
    path.write_bytes(path.read_bytes() + b"\nA correction another editor saved.\n")
    external = path.read_bytes()
    click_published(page, doc_id)
    error = table_row(page, doc_id).get_by_role("alert")  # the row says why its tick was not written
    expect(error).to_contain_text("Conflict", timeout=WAIT_MS)
    expect(error).to_contain_text(title)
    expect_settled(published_box(page, doc_id), False)  # the box went back: the row shows what is on disk
    settle(page)
    assert path.read_bytes() == external
    assert audit_lines(docs) == []


def test_the_csv_download_is_bom_prefixed_and_matches_the_filter(shared_server, page, shared_docs):
    frame = load_collection(shared_docs).frame
    expected = frame[(frame["category"] == "news") & ~frame["published"]].sort_values(
        "publishedDateTime", ascending=False, kind="stable"
    )
    open_app(page, f"{shared_server}/?category=news&published=unpublished")
    menu = toolbar_menu(page, "Export")
    with page.expect_download(timeout=WAIT_MS) as download_info:
        menu.get_by_role("button", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-unpublished-category-news.csv")
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [row["id"] for row in rows] == list(expected.index)
    assert all(row["category"] == "news" and row["published"] == "false" for row in rows)


def test_hostile_document_text_stays_inert(server, page, docs):
    """Script in a title, an excerpt and URLs: shown as text in the Gallery, the table and the article's
    dialog, and none of it runs."""
    from playwright.sync_api import expect

    title = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned2 = 1"> Hostile'
    write_document(
        docs,
        "hostile.txt",
        f'---\ntitle: {title!r}\nwebUrl: "javascript:window.__pwned3 = 1"\n'
        'excerpt: "<img src=y onerror=\\"window.__pwned4 = 1\\">"\nimages:\n  - url: "javascript:window.__pwned5 = 1"\n---\n',
    )
    flags = "[window.__pwned, window.__pwned2, window.__pwned3, window.__pwned4, window.__pwned5]"
    open_app(page, f"{server}/gallery?search=Hostile", rows=False)
    expect(page.get_by_text("<script>window.__pwned = 1</script>", exact=False).first).to_be_visible(timeout=WAIT_MS)
    page.get_by_text("Hostile").first.click()
    assert page.evaluate(flags) == [None] * 5
    open_app(page, f"{server}/?search=Hostile")
    assert row_ids(page) == ["hostile.txt"]
    expect(grid(page).get_by_text(title, exact=True)).to_be_visible()
    grid(page).get_by_role("button", name=f"Edit: {title}", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Title", exact=True)).to_have_value(title, timeout=WAIT_MS)
    settle(page)
    assert page.evaluate(flags) == [None] * 5


def test_two_servers_on_one_folder_share_changes_and_never_lose_one(server, second_server, page, docs):
    """Two app processes: a change in one is seen in the other; a stale toggle is a conflict."""
    from playwright.sync_api import expect

    doc_id, title = unpublished_article(docs)
    query = f"/?search={quote(title)}"
    first, second = page, local_page(page.context)
    open_app(first, server + query)
    open_app(second, second_server + query)
    expect(published_box(first, doc_id)).not_to_be_checked()
    expect(published_box(second, doc_id)).not_to_be_checked()
    click_published(first, doc_id)
    expect_toast(first, f"Published: {title}")
    click_published(second, doc_id)  # the second editor still sees the old version: a conflict, nothing written
    error = table_row(second, doc_id).get_by_role("alert")
    expect(error).to_contain_text("Conflict", timeout=WAIT_MS)
    expect(error).to_contain_text(title)
    expect_settled(published_box(second, doc_id), True)  # it shows what is on disk
    settle(second)
    assert b"\npublished: true\n" in (docs / doc_id).read_bytes()
    assert len(audit_lines(docs)) == 1


def test_a_tick_keeps_the_layout_and_the_sort_and_the_row_stays_until_refresh(corpus_server, page, corpus):
    """After a tick nothing moves: the column headers keep their places and widths, the rows their order; the
    published row stays in the unpublished view, ticked and marked, until Refresh takes the rows again."""
    from playwright.sync_api import expect

    open_app(page, corpus_server + "/?published=unpublished&sort=quality")
    rows = row_ids(page)
    headers = grid(page).get_by_role("columnheader")

    def layout() -> list[tuple[float, float]]:
        boxes = [headers.nth(number).bounding_box() for number in range(headers.count())]
        boxes.append(published_box(page, rows[4]).bounding_box())
        return [(round(box["x"], 1), round(box["width"], 1)) for box in boxes]

    before = layout()
    click_published(page, rows[1])
    expect_changed_count(page, 1)
    expect(table_row(page, rows[1])).to_contain_text("changed", timeout=WAIT_MS)
    expect_settled(published_box(page, rows[1]), True)
    settle(page)
    assert layout() == before
    assert row_ids(page) == rows
    assert "sort=quality" in page.url
    page.get_by_role("button", name="Refresh").click()
    expect_changed_count(page, 0)
    expect(table_row(page, rows[1])).to_have_count(0, timeout=WAIT_MS)
    settle(page)
    assert row_ids(page)[:2] == [rows[0], rows[2]]


def test_another_editors_change_appears_in_the_held_rows(server, page, docs):
    from playwright.sync_api import expect

    open_app(page, f"{server}/?published=unpublished")
    rows = row_ids(page)
    set_published(docs, rows[2], True, editor="another editor")
    page.get_by_test_id("stSidebar").get_by_role("button", name="anonymous · can edit").click()
    name = page.get_by_role("textbox", name="Your name")  # any interaction that keeps the view
    name.fill("Ann")
    name.press("Enter")
    expect(published_box(page, rows[2])).to_be_checked(timeout=WAIT_MS)
    expect(table_row(page, rows[2])).to_contain_text("changed")
    settle(page)
    assert row_ids(page) == rows


@pytest.mark.parametrize("path", ["", "triage", "charts", "gallery", "problems", "history"])
def test_every_page_loads_without_an_exception(shared_server, page, path):
    from playwright.sync_api import expect

    open_app(page, f"{shared_server}/{path}", rows=path == "")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text((path or "articles").capitalize())


def test_the_chromium_the_tests_use_is_real(browser, page):
    """The session's browser is the Chromium at CHROMIUM (not a bundled one) and it renders a page.

    The `browser` fixture skips when Chromium is missing, or fails under CURATION_REQUIRE_BROWSER=1 (CI)."""
    assert browser.browser_type.name == "chromium"
    reported = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=60, check=True)
    installed = re.search(r"Chromium (\d+)\.", reported.stdout)
    assert installed, reported.stdout
    assert browser.version.split(".")[0] == installed[1]
    page.set_content("<p id='here'>rendered</p>")
    assert page.inner_text("#here") == "rendered"


@pytest.mark.parametrize("url", ["http://example.com/", "https://1.1.1.1/", "http://[2606:4700:4700::1111]/"])
def test_the_test_browser_reaches_only_this_machine(shared_server, page, url):
    """Names and addresses other than 127.0.0.1 do not resolve in the tests' browser (CHROMIUM_ARGS), so a
    document's URL never leaves the machine; the dashboard's own server does answer."""
    from playwright.sync_api import Error

    assert page.goto(f"{shared_server}/_stcore/health").ok
    with pytest.raises(Error, match="ERR_NAME_NOT_RESOLVED"):
        page.goto(url)
