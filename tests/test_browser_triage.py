"""Triage (one component, curation/views/assets/triage_card.js) in a real Chromium: keys write exactly the
cards shown, the URL follows the card, a shared link opens its card, and a hostile document stays text.

Controls are found by their role and accessible name (the "Triage actions" toolbar's buttons, the card as
an article named by its title); the card's data-id only maps it to its file. No test sleeps: each waits
for the state it expects (the card drawn, the URL, a file's bytes, the audit log).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from curation.loading.collection import load_collection
from curation.query.filters import DASHBOARD_FILTERS
from tests.browser_support import serve_dashboard
from tests.conftest import SEEDS, write_document
from tests.test_browser import WAIT_MS, audit_lines, changed_files, settle, snapshot_bytes, wait_for

pytestmark = pytest.mark.browser

UNPUBLISHED, PUBLISHED = b"\npublished: false\n", b"\npublished: true\n"
HOSTILE_ID = "hostile.txt"
HOSTILE_TITLE = "<script>alert(1)</script> Hostile <b>title</b>"
HOSTILE_FRONT_MATTER = {
    "title": HOSTILE_TITLE,
    "webUrl": "javascript:alert(2)",
    "image": "javascript:alert(3)",
    "excerpt": "<img src=x onerror=alert(4)> [link](javascript:alert(5))",
    "provider": "<i>Provider</i>",
    "topics": ["<svg onload=alert(6)>"],
    "published": False,
}


@pytest.fixture(scope="module")
def triage_docs(tmp_path_factory) -> Path:
    """A copy of seeds/ with one hostile document added (the keyboard test writes to it)."""
    import shutil

    folder = tmp_path_factory.mktemp("triage") / "docs"
    shutil.copytree(SEEDS, folder)
    lines = "".join(f"{key}: {json.dumps(value)}\n" for key, value in HOSTILE_FRONT_MATTER.items())
    write_document(folder, HOSTILE_ID, f"---\n{lines}---\nBody.\n")
    return folder


@pytest.fixture(scope="module")
def triage_server(triage_docs: Path, tmp_path_factory) -> Iterator[str]:
    with serve_dashboard(triage_docs, tmp_path_factory.mktemp("triage-log") / "streamlit.log") as url:
        yield url


def card(page):
    """The card: the article the Triage region shows."""
    return page.get_by_role("region", name="Triage").get_by_role("article")


def action(page, name: str):
    return page.get_by_role("toolbar", name="Triage actions").get_by_role("button", name=name, exact=True)


def card_parameter(page) -> str | None:
    values = parse_qs(urlsplit(page.url).query).get("card")
    return values[-1] if values else None


def expect_card(page, doc_id: str, *, in_url: bool = True) -> None:
    """Until the card shows this article (and, once the server answered, the URL names it)."""
    page.wait_for_function(
        "(id) => document.querySelector('.tc-card:not([hidden])')?.dataset.id === id", arg=doc_id, timeout=WAIT_MS
    )
    if in_url:
        page.wait_for_function(
            "(id) => new URLSearchParams(location.search).get('card') === id", arg=doc_id, timeout=WAIT_MS
        )
        settle(page)


def open_triage(page, url: str):
    from playwright.sync_api import expect

    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage", timeout=WAIT_MS)
    page.locator(".tc-card[data-id]").wait_for(timeout=WAIT_MS)
    settle(page)
    return page


def test_triage_by_keyboard_writes_exactly_the_cards_shown(triage_server, page, triage_docs):
    """p on the first card, s on the second, p on the third, k back to it, u, then z: the first and third
    files say published (that line changed, no other byte), the audit log has exactly those four entries,
    the URL's card follows each key, and the line says where the editor is."""
    from playwright.sync_api import expect

    frame = load_collection(triage_docs).frame
    queue = list(replace(DASHBOARD_FILTERS, published="unpublished").apply(frame).index)
    before = snapshot_bytes(triage_docs)
    open_triage(page, triage_server + "/triage?published=unpublished")
    expect_card(page, queue[0])
    expect(card(page)).to_have_accessible_name(frame.at[queue[0], "title"])
    for key, shown in [("p", queue[1]), ("s", queue[2]), ("p", queue[3]), ("k", queue[2]), ("u", queue[3])]:
        page.keyboard.press(key)
        expect_card(page, shown)
    expect(page.locator(".tc-where")).to_have_text(f"4 of {len(queue)} · 1 published · 1 skipped · 1 unpublished")
    page.keyboard.press("z")
    expect_card(page, queue[2])  # the undone change's card
    expect(page.locator(".tc-where")).to_have_text(f"3 of {len(queue)} · 2 published · 1 skipped")
    wait_for(lambda: len(audit_lines(triage_docs)) >= 4, "4 audit lines")
    after = snapshot_bytes(triage_docs)
    assert changed_files(before, after) == {queue[0], queue[2]}
    for doc_id in (queue[0], queue[2]):
        assert before[doc_id].count(UNPUBLISHED) == 1 and after[doc_id] == before[doc_id].replace(
            UNPUBLISHED, PUBLISHED
        )
    written = [json.loads(line) for line in audit_lines(triage_docs)]
    assert [(entry["id"], entry["new"]) for entry in written] == [
        (queue[0], True), (queue[2], True), (queue[2], False), (queue[2], True),
    ]  # fmt: skip
    action(page, "Skip").click()  # the buttons do what the keys do
    expect_card(page, queue[3])


def test_a_shared_link_opens_its_card(triage_server, browser, triage_docs):
    """A link with `card=<id>` opens that card in a fresh browser; an id the queue does not hold opens the
    first card, with a note."""
    from playwright.sync_api import expect

    frame = load_collection(triage_docs).frame
    queue = list(DASHBOARD_FILTERS.apply(frame).index)
    context = browser.new_context()
    try:
        page = context.new_page()
        open_triage(page, f"{triage_server}/triage?card={queue[7]}")
        expect_card(page, queue[7])
        expect(card(page).get_by_role("heading", level=2)).to_have_text(frame.at[queue[7], "title"])
        expect(page.locator(".tc-where")).to_have_text(f"8 of {len(queue)} · 0 published · 0 skipped")
        other = context.new_page()
        open_triage(other, f"{triage_server}/triage?card=nowhere.txt&published=published")
        published = list(replace(DASHBOARD_FILTERS, published="published").apply(frame).index)
        expect_card(other, published[0])
        expect(other.get_by_role("region", name="Triage").get_by_role("status")).to_contain_text(
            "nowhere.txt is not in this queue"
        )
    finally:
        context.close()


def test_a_hostile_document_shows_as_inert_text(triage_server, page):
    """Markup in the title, excerpt, provider and topics shows as written; its javascript: links and image
    make no link and no image; nothing runs; the History link goes to the article's history."""
    from playwright.sync_api import expect

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_triage(page, f"{triage_server}/triage?card={HOSTILE_ID}")
    expect_card(page, HOSTILE_ID)
    shown = card(page)
    expect(shown).to_have_accessible_name(HOSTILE_TITLE)
    expect(shown.get_by_role("heading", level=2)).to_have_text(HOSTILE_TITLE)
    for text in (HOSTILE_FRONT_MATTER["excerpt"], "<i>Provider</i>", "Topics: <svg onload=alert(6)>", "No image"):
        expect(shown.get_by_text(text, exact=False)).to_be_visible()
    assert shown.locator("script, iframe, object, embed, svg, b, i").count() == 0
    assert shown.locator("img[src]").count() == 0
    links = shown.locator("a[href]").evaluate_all("links => links.map((a) => [a.textContent, a.href])")
    assert [(text, urlsplit(href).path, urlsplit(href).query) for text, href in links] == [
        ("History", "/history", f"article={HOSTILE_ID}")
    ]
    shown.get_by_role("heading", level=2).click()  # a title that is no link does nothing
    settle(page)
    assert dialogs == [] and card_parameter(page) == HOSTILE_ID
