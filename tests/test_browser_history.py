"""End to end: a bulk publish shows in History as one action, in the browser's time zone, and is undone as one.

Like tests/test_browser.py, no test sleeps: each waits for the state it expects.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from curation.editing.publish import change_topics, set_published
from curation.loading.collection import load_collection
from tests.browser_support import VIEWPORT, local_page
from tests.conftest import screenshot_if_failed
from tests.test_browser import WAIT_MS, expect_toast, open_app, settle, snapshot_bytes, toolbar_menu, wait_for
from tests.test_browser_edit import edit_dialog_of

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
    expect(page.get_by_role("button", name="Undone already", exact=True)).to_be_disabled(timeout=WAIT_MS)
    settle(page)


def test_an_articles_history_opens_from_its_row_and_shows_each_change_whole(server, page, docs):
    """Two articles changed; the row's dialog links to the history of its own article only, where the topic
    another editor added shows whole: the file's lines before and after."""
    from playwright.sync_api import expect

    frame = load_collection(docs).frame
    ascii_titles = frame[frame["title"].str.isascii() & (frame["topics"].map(len) > 0)]
    doc_id, other = ascii_titles.index[:2]
    title = ascii_titles.loc[doc_id, "title"]
    change_topics(docs, doc_id, add=["a topic added last"], editor="Ann")
    set_published(docs, other, not frame.loc[other, "published"], editor="Bob")
    open_app(page, f"{server}/?search={quote(title)}")
    edit_dialog_of(page, title).get_by_role("link", name="History of this article").click()
    expect(page.get_by_role("heading", level=1, name="History")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(f"The history of {title} ({doc_id})")).to_be_visible(timeout=WAIT_MS)
    assert f"article={quote(doc_id)}" in page.url
    expect(page.get_by_text("1 change", exact=True)).to_be_visible(timeout=WAIT_MS)  # not Bob's other article
    code = page.get_by_test_id("stCode").last
    expect(code).to_contain_text("+  - a topic added last", timeout=WAIT_MS)
    for topic in ascii_titles.loc[doc_id, "topics"]:
        expect(code).to_contain_text(f"-  - {topic}")
    settle(page)
