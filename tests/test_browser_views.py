"""A saved view end to end: saved from the sidebar in Chromium, then opened by its link in a fresh browser."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from curation.loading.collection import load_collection
from curation.query.filters import DASHBOARD_FILTERS
from tests.browser_support import VIEWPORT, local_page
from tests.test_browser import WAIT_MS, expect_header, expect_rows, expect_toast, header, open_app, row_ids, settle

pytestmark = pytest.mark.browser


def test_a_view_saved_from_the_sidebar_opens_from_its_link_in_a_fresh_tab(server, page, browser, docs: Path):
    """An editor filters to unpublished news by quality, saves that as "Morning" from the sidebar; a colleague
    opens /?view=Morning in a browser of their own and sees the same header and the same rows in the same order."""
    from playwright.sync_api import expect

    frame = load_collection(docs).frame
    filters = replace(DASHBOARD_FILTERS, published="unpublished", categories=("news",), sort="quality")
    expected = list(filters.apply(frame).index)
    open_app(page, f"{server}/?published=unpublished&category=news&sort=quality")
    expect_header(page, f"{len(expected)} shown")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("button", name="Save as…").click()
    name_box = page.get_by_test_id("stPopoverBody").get_by_label("View name")
    expect(name_box).to_be_visible(timeout=WAIT_MS)
    name_box.fill("Morning")
    name_box.press("Enter")
    settle(page)
    page.get_by_test_id("stPopoverBody").get_by_role("button", name="Save view").click()
    expect_toast(page, "Saved view Morning")
    expect(sidebar.get_by_role("button", name="Morning")).to_be_visible(timeout=WAIT_MS)
    page.wait_for_url(lambda url: "view=Morning" in url, timeout=WAIT_MS)
    settle(page)
    stored = json.loads((docs / ".curation" / "views.json").read_text())
    assert [view["name"] for view in stored["views"]] == ["Morning"]
    seen_header, seen_rows = header(page).inner_text(), row_ids(page)
    assert seen_rows == expected[: len(seen_rows)] and seen_rows

    context = browser.new_context(viewport=VIEWPORT)  # a fresh tab of another browser: no session, no history
    try:
        fresh = local_page(context)
        open_app(fresh, f"{server}/?view=Morning")
        expect_header(fresh, f"{len(expected)} shown")
        expect_rows(fresh, seen_rows)
        assert header(fresh).inner_text() == seen_header
        assert "view=Morning" in fresh.url and "category=news" in fresh.url
        expect(fresh.get_by_test_id("stSidebar").get_by_role("button", name="Morning")).to_be_visible()
    finally:
        context.close()
