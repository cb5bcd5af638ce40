"""End to end: a bulk publish shows in History as one action, in the browser's time zone, and is undone as one.

Like tests/test_browser.py, no test sleeps: each waits for the state it expects.
"""

from __future__ import annotations

import re

import pytest

from curation.loading.collection import load_collection
from tests.browser_support import VIEWPORT, local_page
from tests.conftest import screenshot_if_failed
from tests.test_browser import WAIT_MS, expect_toast, open_app, settle, snapshot_bytes, toolbar_menu, wait_for

pytestmark = pytest.mark.browser


@pytest.fixture
def berlin_page(browser, request):
    """A page whose browser says it is in Berlin (Streamlit reads the zone from the browser)."""
    context = browser.new_context(viewport=VIEWPORT, timezone_id="Europe/Berlin")
    opened = local_page(context)  # the documents' image URLs point at the internet
    yield opened
    screenshot_if_failed(opened, request)
    context.close()


def test_a_bulk_publish_is_one_history_action_undone_as_one(server, berlin_page, docs):
    """An editor in Berlin publishes every health article, finds that as one bulk action in History, in Berlin
    time, and undoes it with one click: every file is back, byte for byte, and the summary says so."""
    from playwright.sync_api import expect

    page = berlin_page
    frame = load_collection(docs).frame
    shown = frame[frame["category"] == "health"]
    changing = len(shown.index[~shown["published"]])
    assert changing > 1
    before = snapshot_bytes(docs)
    open_app(page, f"{server}/?category=health")
    menu = toolbar_menu(page, f"All {len(shown)} shown")
    menu.get_by_role("button", name=f"Publish all {len(shown)} shown", exact=True).click()
    page.get_by_role("dialog", name="Confirm").get_by_role("button", name=f"Publish {changing}", exact=True).click()
    expect(page.get_by_text(f"Published {changing} · 0 conflicts · 0 refused")).to_be_visible(timeout=WAIT_MS)
    assert sum(before[name] != content for name, content in snapshot_bytes(docs).items()) == changing

    open_app(page, f"{server}/history", rows=False)
    expect(page.get_by_text("Times in Europe/Berlin, this browser's time zone")).to_be_visible(timeout=WAIT_MS)
    said = re.compile(rf"Published {changing} articles · anonymous · .*\d\d:\d\d CES?T \(just now\)")
    expect(page.get_by_role("combobox", name="Bulk action")).to_have_value(said, timeout=WAIT_MS)
    page.get_by_role("button", name="Undo this bulk action").click()
    wait_for(lambda: snapshot_bytes(docs) == before, "every published file to be back as it was")
    expect(page.get_by_text(f"Reverted {changing} of {changing} articles · 0 conflicts · 0 refused")).to_be_visible(
        timeout=WAIT_MS
    )
    expect_toast(page, f"Reverted {changing} articles")
    expect(page.get_by_role("button", name="Undone already")).to_be_disabled(timeout=WAIT_MS)
    settle(page)
