"""End to end: filters set by keyboard and by mouse, and the link that must reopen exactly that view.

A real `streamlit run` and a real Chromium (see tests/test_browser.py). Each step waits for the header's
sentence to say the filter is applied; then the URL is opened in a fresh tab, and both tabs must show the
same header and the same rows, and the URL must parse back to the filters the editor set.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from curation.bench_browser import local_page
from curation.collection import load_collection
from curation.filters import DASHBOARD_FILTERS, Filters
from tests.test_browser import WAIT_MS, expect_header, header, open_app, row_ids, settle

pytestmark = pytest.mark.browser


def sidebar(page):
    return page.get_by_test_id("stSidebar")


def url_filters(url: str) -> Filters:
    filters, complaints = Filters.from_query(parse_qs(urlsplit(url).query), DASHBOARD_FILTERS)
    assert complaints == []
    return filters


def set_by_keyboard(page, frame) -> list[str]:
    """Search, the quality slider, a typed date and the sort: with keys only. Returns the sentence parts."""
    search = sidebar(page).get_by_role("textbox", name="Search")
    search.click()
    page.keyboard.type("a")
    page.keyboard.press("Enter")
    expect_header(page, 'matching "a"')
    low_thumb = sidebar(page).get_by_test_id("stSlider").filter(has_text="Quality").get_by_role("slider").first
    low_thumb.focus()
    for _ in range(30):
        page.keyboard.press("ArrowRight")
    expect_header(page, "quality ≥ 30")
    since = sidebar(page).get_by_role("textbox", name="From")
    since.click()
    page.keyboard.type("2022-01-01")
    page.keyboard.press("Tab")  # leaving the box applies it, like Enter
    expect_header(page, "since 2022-01-01")
    return ['matching "a"', "quality ≥ 30", "since 2022-01-01"]


def set_by_mouse(page, frame) -> list[str]:
    """Published, a category chip and the image checkbox: with clicks only."""
    sidebar(page).get_by_role("radiogroup", name="Published").get_by_role("radio", name="unpublished").click()
    expect_header(page, "unpublished")
    category = sidebar(page).get_by_test_id("stMultiSelect").filter(has_text="Category")
    category.click()
    option = page.get_by_role("option").filter(has_text="news (").first
    option.click()
    page.keyboard.press("Escape")
    expect_header(page, "category news")
    sidebar(page).get_by_text("Only articles with an image").click()
    expect_header(page, "with an image")
    return ["unpublished", "category news", "with an image"]


def test_filters_set_by_keyboard_and_mouse_reopen_from_the_link(server, page, docs):
    frame = load_collection(docs).frame
    open_app(page, server)
    parts = set_by_keyboard(page, frame) + set_by_mouse(page, frame)
    settle(page)
    shown_header = header(page).inner_text()
    for part in parts:
        assert part in shown_header.replace("\u2060", ""), (part, shown_header)
    expected = Filters(
        search="a", categories=("news",), published="unpublished", min_quality=30, since=dt.date(2022, 1, 1),
        has_image=True, sort="publishedDateTime", descending=True,
    )  # fmt: skip
    assert url_filters(page.url) == expected  # the URL says exactly what is applied
    rows = row_ids(page, docs)
    assert rows == list(expected.apply(frame).index[:25])
    fresh = local_page(page.context)
    open_app(fresh, page.url, rows=bool(rows))
    fresh.wait_for_function(
        "(text) => [...document.querySelectorAll('[data-testid=\"stMarkdownContainer\"]')]"
        ".some((element) => element.innerText === text)",
        arg=shown_header,
        timeout=WAIT_MS,
    )
    assert row_ids(fresh, docs) == rows and url_filters(fresh.url) == expected
    fresh.close()


def test_the_page_and_rows_per_page_come_back_with_the_link(server, page, docs):
    frame = load_collection(docs).frame
    open_app(page, server)
    page.get_by_role("button", name="25 rows · details").click()  # the table's layout popover
    size = page.get_by_test_id("stSelectbox").filter(has_text="Rows per page")
    size.click()
    page.get_by_role("option", name="50", exact=True).click()
    page.get_by_role("button", name="Page 2", exact=True).click()
    expected = list(DASHBOARD_FILTERS.apply(frame).index[50:100])
    page.wait_for_function("() => location.search.includes('page=2') && location.search.includes('rows=50')")
    settle(page)
    assert row_ids(page, docs) == expected
    fresh = local_page(page.context)
    open_app(fresh, page.url)
    assert row_ids(fresh, docs) == expected
    fresh.close()


def test_the_editors_name_is_remembered_in_a_new_tab(server, page, docs):
    """Typed once, the name is in the box of the next tab (this browser's localStorage), and it is the name
    a change in that tab is logged with."""
    from playwright.sync_api import expect

    open_app(page, server)
    sidebar(page).get_by_role("button", name="anonymous · can edit").click()
    name = page.get_by_role("textbox", name="Your name")
    name.fill("Ann Editor")
    name.press("Enter")
    expect(sidebar(page).get_by_role("button", name="Ann Editor · can edit")).to_be_visible(timeout=WAIT_MS)
    fresh = local_page(page.context)
    open_app(fresh, server)
    expect(sidebar(fresh).get_by_role("button", name="Ann Editor · can edit")).to_be_visible(timeout=WAIT_MS)
    fresh.close()
