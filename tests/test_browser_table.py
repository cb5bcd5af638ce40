"""The Articles table (one component, curation/views/assets/articles_table.js) in a real Chromium.

Controls are found by their role and accessible name, as a screen reader names them ("Published: <title>",
"Select all on this page", "Next page", the Quality column header); a row's data-id only maps it to its
file. No test sleeps to let something happen: each waits for the state it expects (a file's bytes, a box
that is no longer pending, the URL). The only pauses are the intervals between ticks, which are the
scenario itself.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from curation.loading.collection import load_collection
from curation.query.filters import DASHBOARD_FILTERS, Filters
from tests.browser_support import serve_dashboard
from tests.conftest import write_document
from tests.test_browser import (
    GRID_ROWS,
    WAIT_MS,
    audit_lines,
    changed_files,
    expect_rows,
    expect_settled,
    expect_toast,
    grid,
    open_app,
    published_box,
    row_ids,
    select_box,
    settle,
    snapshot_bytes,
    wait_for,
)

pytestmark = pytest.mark.browser

UNPUBLISHED, PUBLISHED = b"\npublished: false\n", b"\npublished: true\n"


def published_bytes(original: bytes) -> bytes:
    """The file as a tick must leave it: the published line changed, and no other byte."""
    assert original.count(UNPUBLISHED) == 1
    return original.replace(UNPUBLISHED, PUBLISHED)


def url_filters(url: str) -> Filters:
    filters, complaints = Filters.from_query(parse_qs(urlsplit(url).query), DASHBOARD_FILTERS)
    assert complaints == []
    return filters


def top_pager(page):
    return page.get_by_role("navigation", name="Pages", exact=True)


# --- ticks faster than the server answers ------------------------------------------------------------


@pytest.mark.parametrize("interval", [1.0, 0.3, 0.1])
def test_ticks_apart_write_exactly_the_chosen_articles(corpus_server, page, corpus, interval):
    """Four rows ticked `interval` seconds apart, then a fifth ticked and unticked as fast: the four files say
    published (that line changed, no other byte), the fifth is byte for byte as it was, no other file
    changed, and every box settles to what is on disk."""
    view = "/?published=unpublished&quality=40&quality=100&sort=heat"
    before = snapshot_bytes(corpus)
    open_app(page, corpus_server + view)
    rows = row_ids(page)
    chosen, twice = [rows[0], rows[2], rows[3], rows[5]], rows[7]
    clicks = [*chosen, twice, twice]
    for number, doc_id in enumerate(clicks):
        if number:
            page.wait_for_timeout(interval * 1000)  # the pace of the clicks is the scenario, not a wait for state
        published_box(page, doc_id).click()
    expected = {doc_id: published_bytes(before[doc_id]) for doc_id in chosen} | {twice: before[twice]}
    wait_for(lambda: len(audit_lines(corpus)) >= len(clicks), f"{len(clicks)} audit lines")
    wait_for(lambda: {doc_id: (corpus / doc_id).read_bytes() for doc_id in expected} == expected, "the ticks")
    for doc_id in rows:  # every box of the page: none waits any more, each shows its file
        expect_settled(published_box(page, doc_id), doc_id in chosen)
    settle(page)
    assert changed_files(before, snapshot_bytes(corpus)) == set(chosen)
    written = [json.loads(line) for line in audit_lines(corpus)]
    assert sorted((entry["id"], entry["new"]) for entry in written) == sorted(
        [(doc_id, True) for doc_id in chosen] + [(twice, True), (twice, False)]
    )
    assert row_ids(page) == rows  # the rows held still: each click landed on the article drawn there


# --- the keyboard ----------------------------------------------------------------------------------


def focus_ring(page) -> tuple[str, float]:
    """The focused element's outline: its style and its width in pixels."""
    style, width = page.evaluate(
        "() => { const style = getComputedStyle(document.activeElement);"
        " return [style.outlineStyle, parseFloat(style.outlineWidth)]; }"
    )
    return style, width


def test_a_keyboard_walk_ticks_and_the_focus_stays(corpus_server, page, corpus):
    """Down, j and k move between the rows' Published boxes, Right and Left along a row; Space writes the
    file and the focus stays on the box through the write and a page turn; the focused box has a thick
    ring; Enter opens the article's dialog."""
    from playwright.sync_api import expect

    frame = load_collection(corpus).frame
    shown = replace(DASHBOARD_FILTERS, published="unpublished").apply(frame)
    open_app(page, corpus_server + "/?published=unpublished")
    first_page, second_page = list(shown.index[:25]), list(shown.index[25:50])
    expect_rows(page, first_page)
    published_box(page, first_page[0]).focus()
    expect(published_box(page, first_page[0])).to_be_focused()
    for key, row in (("ArrowDown", 1), ("j", 2), ("k", 1)):
        page.keyboard.press(key)
        expect(published_box(page, first_page[row])).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(select_box(page, first_page[1])).to_be_focused()
    page.keyboard.press("ArrowLeft")
    box = published_box(page, first_page[1])
    expect(box).to_be_focused()
    style, width = focus_ring(page)
    assert style != "none" and width >= 2, (style, width)

    original = (corpus / first_page[1]).read_bytes()
    page.keyboard.press("Space")
    wait_for(lambda: (corpus / first_page[1]).read_bytes() == published_bytes(original), "the file to be published")
    expect_toast(page, shown.loc[first_page[1], "title"])
    expect_settled(box, True)
    settle(page)
    expect(box).to_be_focused()
    assert changed_files({first_page[1]: original}, {first_page[1]: (corpus / first_page[1]).read_bytes()})

    # A click that leaves the focus where it is (a pointer click in Safari does): the page turns under it.
    top_pager(page).get_by_role("button", name="Next page").dispatch_event("click")
    expect(top_pager(page).get_by_role("button", name="Page 2", exact=True)).to_have_attribute(
        "aria-current", "page", timeout=WAIT_MS
    )
    expect_rows(page, second_page)
    settle(page)
    expect(published_box(page, second_page[1])).to_be_focused()
    assert focus_ring(page)[1] >= 2
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Article")
    expect(dialog.get_by_label("Title", exact=True)).to_have_value(shown.loc[second_page[1], "title"], timeout=WAIT_MS)
    assert len(audit_lines(corpus)) == 1  # moving the focus and opening the article wrote nothing


# --- sorting by a column header ---------------------------------------------------------------------


def test_the_quality_header_sorts_every_row_and_again_turns_the_order(shared_server, page, shared_docs):
    """Quality's header sorts the shown rows highest first, then lowest first: the same state as the URL and
    the sidebar's Sort by."""
    from playwright.sync_api import expect

    frame = load_collection(shared_docs).frame
    open_app(page, shared_server)
    quality = grid(page).get_by_role("columnheader", name="Quality", exact=True)
    sort_by = page.get_by_test_id("stSidebar").get_by_role("combobox", name="Sort by")
    descending = page.get_by_test_id("stSidebar").get_by_role("switch", name="Descending")
    for order in ("descending", "ascending"):
        quality.get_by_role("button").click()
        expect(quality).to_have_attribute("aria-sort", order, timeout=WAIT_MS)
        wanted = replace(DASHBOARD_FILTERS, sort="quality", descending=order == "descending")
        expect_rows(page, list(wanted.apply(frame).index[:25]))
        settle(page)
        values = frame["quality"].dropna().sort_values(ascending=order == "ascending").tolist()
        assert frame.loc[row_ids(page), "quality"].tolist() == values[:25]  # what the files say, in order
        assert url_filters(page.url) == wanted and "sort=quality" in page.url
        expect(sort_by).to_have_value("quality")
        (expect(descending).to_be_checked if order == "descending" else expect(descending).not_to_be_checked)()
        assert [grid(page).get_by_role("columnheader", name=name, exact=True).get_attribute("aria-sort")
                for name in ("Date", "Heat")] == ["none", "none"]  # fmt: skip


# --- document text is data ---------------------------------------------------------------------------

HOSTILE = {
    "img.txt": ("<img src=x onerror=alert(1)> Hostile image", "https://example.com/img"),
    "script.txt": ("<script>alert(1)</script> Hostile script", "javascript:alert(1)"),
    "js-title.txt": ("javascript:alert(1)", "JavaScript:alert(1)"),
    "markdown.txt": ("[click me](javascript:alert(1)) **bold** _it_ Hostile markdown", "data:text/html,<b>x</b>"),
    "icons.txt": (":material/home: :smile: :red[red] $x^2$ Hostile icons", "vbscript:msgbox(1)"),
    "autolinks.txt": ("Breaking: www.example.com says a@b.c at https://x.example Hostile", "//evil.example/x"),
    "entity.txt": ("&lt;b&gt; &#58; &amp; Hostile entities", "https://example.com/a?b=1&c=<2>"),
    "spaced.txt": ("Hostile spaced url", " https://example.com/spaced"),
}


@pytest.fixture(scope="module")
def hostile_docs(tmp_path_factory) -> Path:
    """Documents whose titles and URLs try to be markup, scripts or links elsewhere (read only)."""
    folder = tmp_path_factory.mktemp("hostile") / "docs"
    for name, (title, url) in HOSTILE.items():
        front_matter = f"title: {json.dumps(title)}\nwebUrl: {json.dumps(url)}\npublished: false\nquality: 50\n"
        write_document(folder, name, f"---\n{front_matter}---\nBody.\n")
    return folder


@pytest.fixture(scope="module")
def hostile_server(hostile_docs: Path, tmp_path_factory) -> Iterator[str]:
    with serve_dashboard(hostile_docs, tmp_path_factory.mktemp("hostile-log") / "streamlit.log") as url:
        yield url


def grid_links(page) -> list[tuple[str, str]]:
    """(text, href) of every link in the table."""
    return grid(page).locator("a[href]").evaluate_all("links => links.map((a) => [a.textContent, a.href])")


def test_a_hostile_corpus_shows_as_inert_text(hostile_server, page, hostile_docs):
    """Titles with HTML, scripts, markdown, icons and autolinks show exactly as written; nothing runs, no
    image or script is made, and the only links go to http(s) URLs."""
    from playwright.sync_api import expect

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_app(page, hostile_server)
    assert sorted(row_ids(page)) == sorted(HOSTILE)
    for title, _url in HOSTILE.values():
        expect(grid(page).get_by_role("checkbox", name=f"Published: {title}", exact=True)).to_have_count(1)
        expect(grid(page).get_by_text(title, exact=True)).to_be_visible()
    assert grid(page).locator("img, script, iframe, object, embed, svg").count() == 0
    links = grid_links(page)
    assert links and all(urlsplit(href).scheme in ("http", "https") for _text, href in links), links
    assert {text for text, _href in links} == {
        title for title, url in HOSTILE.values() if url.strip().lower().startswith(("http://", "https://"))
    }
    for title, _url in HOSTILE.values():  # hovering and clicking a title that is no link does nothing
        if not title.startswith("Breaking") and "image" not in title and "entities" not in title:
            grid(page).get_by_text(title, exact=True).click()
    grid(page).get_by_role("columnheader", name="Article", exact=True).get_by_role("button").click()
    expect(grid(page).get_by_role("columnheader", name="Article", exact=True)).to_have_attribute(
        "aria-sort", "ascending", timeout=WAIT_MS
    )
    settle(page)
    assert grid(page).locator("img, script, iframe, object, embed, svg").count() == 0
    assert dialogs == []


def test_titles_in_the_table_carry_no_invisible_characters(hostile_server, page, hostile_docs):
    """A copied title is the title: the link's text and the Published box's name hold no word joiner
    (U+2060), even where Streamlit's markdown would have needed one."""
    from playwright.sync_api import expect

    title, _url = HOSTILE["autolinks.txt"]
    open_app(page, hostile_server)
    box = grid(page).get_by_role("checkbox", name=f"Published: {title}", exact=True)
    expect(box).to_have_attribute("aria-label", f"Published: {title}")
    texts = grid(page).locator("a").evaluate_all("links => links.map((a) => a.textContent)")
    labels = grid(page).get_by_role("checkbox").evaluate_all("boxes => boxes.map((box) => box.ariaLabel)")
    assert title in texts and f"Published: {title}" in labels
    assert not [text for text in texts + labels if "\u2060" in text]


# --- selection ---------------------------------------------------------------------------------------


def test_select_all_then_publish_selected_changes_exactly_those_files(server, page, docs):
    """Shift-click selects every row between two; Select all on this page selects the page; Publish N
    selected, confirmed, writes exactly the page's unpublished files."""
    from playwright.sync_api import expect

    frame = load_collection(docs).frame
    shown = replace(DASHBOARD_FILTERS, categories=("health",)).apply(frame)
    rows = list(shown.index[:25])
    before = snapshot_bytes(docs)
    open_app(page, f"{server}/?category=health")
    expect_rows(page, rows)
    select_box(page, rows[2]).click()
    select_box(page, rows[6]).click(modifiers=["Shift"])
    for number, doc_id in enumerate(rows):
        (expect(select_box(page, doc_id)).to_be_checked if 2 <= number <= 6 else
         expect(select_box(page, doc_id)).not_to_be_checked)()  # fmt: skip
    select_all = grid(page).get_by_role("checkbox", name="Select all on this page", exact=True)
    expect(page.get_by_role("button", name="Publish 5 selected", exact=True)).to_be_enabled(timeout=WAIT_MS)
    settle(page)
    select_all.click()
    expect(select_all).to_be_checked()
    for doc_id in rows:
        expect(select_box(page, doc_id)).to_be_checked()
    page.get_by_role("button", name=f"Publish {len(rows)} selected", exact=True).click(timeout=WAIT_MS)
    changing = {doc_id for doc_id in rows if not frame.loc[doc_id, "published"]}
    dialog = page.get_by_role("dialog", name="Confirm")
    expect(dialog).to_contain_text(f"{len(changing)} files will change", timeout=WAIT_MS)
    dialog.get_by_role("button", name=f"Publish {len(changing)}", exact=True).click()
    expect(page.get_by_text(f"Published {len(changing)} · 0 conflicts · 0 refused")).to_be_visible(timeout=WAIT_MS)
    after = snapshot_bytes(docs)
    assert changed_files(before, after) == changing
    assert all(after[doc_id] == published_bytes(before[doc_id]) for doc_id in changing)
    for doc_id in rows:
        expect_settled(published_box(page, doc_id), True)


# --- layout ------------------------------------------------------------------------------------------


def test_the_first_row_is_on_the_first_screen_at_1280_by_720(browser, shared_server):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    try:
        page = context.new_page()
        open_app(page, shared_server)
        top = page.locator(GRID_ROWS).first.bounding_box()["y"]
        assert top < 300, top
    finally:
        context.close()


def test_rows_per_page_keeps_the_chosen_columns(shared_server, page, shared_docs):
    """Columns chosen (File added, Topics hidden), then 50 rows per page: the columns stay, in the table and
    in the URL's `show` (which a page size change used to wipe)."""
    from playwright.sync_api import expect

    open_app(page, shared_server)
    top_pager(page).get_by_text("Columns", exact=True).click()
    choices = top_pager(page).get_by_role("group", name="Columns shown")
    choices.get_by_role("checkbox", name="File", exact=True).check()
    expect(grid(page).get_by_role("columnheader", name="File", exact=True)).to_be_visible(timeout=WAIT_MS)
    settle(page)
    choices.get_by_role("checkbox", name="Topics", exact=True).uncheck()
    expect(grid(page).get_by_role("columnheader", name="Topics", exact=True)).to_have_count(0, timeout=WAIT_MS)
    page.wait_for_function("() => new URLSearchParams(location.search).getAll('show').includes('file')")
    settle(page)
    shown = parse_qs(urlsplit(page.url).query)["show"]
    headers = grid(page).get_by_role("columnheader").all_inner_texts()
    assert "file" in shown and "topics" not in shown
    page.get_by_role("combobox", name="Rows per page").select_option(label="50 rows")
    page.wait_for_function("() => new URLSearchParams(location.search).get('rows') === '50'", timeout=WAIT_MS)
    expect(page.locator(GRID_ROWS)).to_have_count(50, timeout=WAIT_MS)
    settle(page)
    assert parse_qs(urlsplit(page.url).query)["show"] == shown
    assert grid(page).get_by_role("columnheader").all_inner_texts() == headers
    pages = math.ceil(len(load_collection(shared_docs).frame) / 50)
    expect(top_pager(page).get_by_role("button", name=f"Page {pages}", exact=True)).to_be_visible()
