"""The Gallery in a real browser: a pager below the cards, cards of one height, dead images as placeholders.

The test browser may only reach 127.0.0.1, so every document's image URL fails
to load there, as a dead link does for an editor. No test sleeps: each waits
for the state it expects.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from curation.loading.collection import load_collection
from curation.safe_markdown import http_url
from tests.conftest import write_document
from tests.test_browser import WAIT_MS, open_app, settle

CARDS_PER_PAGE, CARDS_PER_ROW, IMAGE_HEIGHT = 24, 4, 150  # curation/views/gallery.py (a page script)
CARDS = '.st-key-gallery_cards [class*="st-key-gallery_card_"]'
PLACEHOLDER = re.compile(r"^data:image/svg\+xml,")  # image_fallback.py's inline SVG


def open_gallery(page, url: str):
    from playwright.sync_api import expect

    open_app(page, url, rows=False)
    expect(page.locator(CARDS).first).to_be_visible(timeout=WAIT_MS)
    settle(page)
    return page


def card_titles(page) -> list[str]:
    return page.locator(f"{CARDS} [data-testid='stMarkdownContainer'] strong").all_inner_texts()


def boxes(page, selector: str) -> list[dict]:
    """The bounding boxes of the elements, in page order."""
    return page.locator(selector).evaluate_all(
        "elements => elements.map((e) => { const r = e.getBoundingClientRect();"
        " return {x: r.x, y: r.y, width: r.width, height: r.height}; })"
    )


@pytest.mark.browser
def test_the_bottom_pager_turns_the_page_and_the_top_pager_follows(shared_server, page):
    """An editor who scrolled to the last card turns the page with the pager below the cards."""
    from playwright.sync_api import expect

    open_gallery(page, f"{shared_server}/gallery")
    first_page = card_titles(page)
    assert len(first_page) == CARDS_PER_PAGE
    bottom = page.locator(".st-key-gallery_page_bottom")
    bottom.scroll_into_view_if_needed()
    bottom.get_by_role("button", name="Page 2", exact=True).click()
    expect(page.get_by_text("Page 2 of ")).to_be_visible(timeout=WAIT_MS)
    settle(page)
    second_page = card_titles(page)
    assert second_page and not set(second_page) & set(first_page)
    assert "gpage=2" in page.url  # the page is in the link
    # The editor reads on from the first card, not from the bottom of the page.
    page.wait_for_function(
        "() => { const top = document.querySelector('.st-key-gallery_cards').getBoundingClientRect().top;"
        " return top > -5 && top < window.innerHeight / 2; }",
        timeout=WAIT_MS,
    )
    for pager in (".st-key-gallery_page", ".st-key-gallery_page_bottom"):
        expect(page.locator(f"{pager} [aria-current='page']")).to_have_text("2")
    page.locator(".st-key-gallery_page").get_by_role("button", name="Page 3", exact=True).click()
    expect(page.get_by_text("Page 3 of ")).to_be_visible(timeout=WAIT_MS)
    settle(page)
    expect(bottom.locator("[aria-current='page']")).to_have_text("3")  # and the bottom one follows the top


@pytest.mark.browser
def test_cards_in_a_row_have_one_height_with_or_without_an_image(shared_server, page, shared_docs):
    """Cards line up in a grid: the same height and top in each row, and one image box size for every card."""
    frame = load_collection(shared_docs).frame
    assert frame["image"].map(http_url).isna().any() and frame["image"].map(http_url).notna().any()
    from playwright.sync_api import expect

    open_gallery(page, f"{shared_server}/gallery")
    # This first page holds both kinds of card: with an image and with "no image".
    expect(page.locator(f"{CARDS} img").first).to_be_visible(timeout=WAIT_MS)
    expect(page.locator(CARDS).filter(has_text="no image").first).to_be_visible(timeout=WAIT_MS)
    cards = boxes(page, CARDS)
    assert len(cards) == CARDS_PER_PAGE
    heights = {round(card["height"]) for card in cards}
    assert len(heights) == 1, heights
    for start in range(0, len(cards), CARDS_PER_ROW):
        assert len({round(card["y"]) for card in cards[start : start + CARDS_PER_ROW]}) == 1
    image_boxes = boxes(page, '.st-key-gallery_cards [class*="st-key-gallery_image_"]')
    assert {round(box["height"]) for box in image_boxes} == {IMAGE_HEIGHT}


@pytest.fixture
def dead_image_article(docs: Path) -> tuple[str, str]:
    """An article whose only image is an http(s) URL the browser cannot load, with a title no other has."""
    url = "https://images.example/dead-link/front-page.jpg"
    write_document(
        docs,
        "dead_image.txt",
        f'---\ntitle: "A dead image link"\nwebUrl: "https://news.example/dead"\nimages:\n  - url: "{url}"\n---\n',
    )
    return "A dead image link", url


@pytest.mark.browser
def test_a_dead_image_shows_a_placeholder_the_size_of_the_image_box(dead_image_article, server, page):
    """The editor's browser tries the image itself; when it fails, the card shows a placeholder filling the
    image box, not a 16-px broken icon."""
    from playwright.sync_api import expect

    title, url = dead_image_article
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    open_gallery(page, f"{server}/gallery?search=dead%20image%20link")
    card = page.locator(CARDS).filter(has_text=title)
    expect(card).to_have_count(1)
    image = card.locator("img")
    expect(image).to_have_attribute("src", PLACEHOLDER, timeout=WAIT_MS)
    assert url in failed  # the browser fetched it (and failed); the server only passed the URL on
    shown = image.evaluate(
        "img => { const r = img.getBoundingClientRect(); const box = img.closest('[class*=\"st-key-gallery_image_\"]')"
        ".getBoundingClientRect(); return {width: r.width, height: r.height, natural: img.naturalWidth,"
        " boxWidth: box.width, boxHeight: box.height}; }"
    )
    assert shown["natural"] > 16  # the placeholder drew, not the browser's broken-image icon
    assert round(shown["height"]) == round(shown["boxHeight"]) == IMAGE_HEIGHT
    assert abs(shown["width"] - shown["boxWidth"]) <= 1


@pytest.fixture
def broken_document(docs: Path) -> str:
    write_document(docs, "broken.txt", "---\ntitle: Broken\nquality: 500\n---\n")
    return "broken.txt"


@pytest.mark.browser
def test_the_header_count_of_problems_opens_the_problems_page(broken_document, server, page):
    """From the Gallery, an editor clicks "1 problem" in the header: Problems opens in a new tab with the same
    filters, and the Gallery stays as it was in this one."""
    from playwright.sync_api import expect

    open_gallery(page, f"{server}/gallery?search=Jung_E")
    with page.context.expect_page(timeout=WAIT_MS) as opened:
        page.get_by_role("link", name="1 problem", exact=True).click()
    problems = opened.value
    expect(problems.get_by_role("heading", level=1)).to_have_text("Problems", timeout=WAIT_MS)
    expect(problems.get_by_role("heading", name="Fields with invalid values (1)")).to_be_visible(timeout=WAIT_MS)
    settle(problems)
    assert problems.url == f"{server}/problems?search=Jung_E"
    expect(problems.get_by_text('matching "Jung_E"', exact=False).first).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gallery")


@pytest.mark.browser
def test_cards_hold_still_while_an_editor_publishes_them_one_after_another(server, page, docs):
    """In the unpublished gallery an editor publishes three cards, clicking where each one is: each click
    publishes the card under the pointer (the published card stays in its place, ticked and marked
    changed, instead of the next one sliding under the pointer), and Refresh lets the published ones go."""
    from playwright.sync_api import expect

    open_gallery(page, f"{server}/gallery?published=unpublished")
    opened = card_titles(page)
    before = load_collection(docs).frame
    titles = before.reset_index().set_index("title")["id"]
    for position in range(3):
        card = page.locator(f".st-key-gallery_card_{position}")
        switch = card.get_by_role("switch", name="Published")
        expect(switch).not_to_be_checked(timeout=WAIT_MS)
        switch.click(force=True)  # the switch's input is covered by its styled track, as for a mouse
        expect(page.get_by_text(f"{position + 1} changed since this view was opened")).to_be_visible(timeout=WAIT_MS)
        expect(card.get_by_role("switch", name="Published")).to_be_checked(timeout=WAIT_MS)
        settle(page)
        assert card_titles(page) == opened
    frame = load_collection(docs).frame
    chosen = [titles[title] for title in opened[:3]]
    assert frame.loc[chosen, "published"].all()
    assert int(frame["published"].sum()) == int(before["published"].sum()) + 3  # those three and no other
    assert not frame.loc[[titles[title] for title in opened[3:]], "published"].any()
    page.get_by_role("button", name="Refresh").click()
    expect(page.get_by_text("0 changed since this view was opened")).to_be_visible(timeout=WAIT_MS)
    settle(page)
    assert not set(card_titles(page)) & set(opened[:3])


@pytest.mark.browser
def test_a_link_opens_the_gallerys_page_and_a_whole_card_shows_at_1280_by_720(shared_server, page):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 1280, "height": 720})
    open_gallery(page, f"{shared_server}/gallery?gpage=3")
    expect(page.locator(".st-key-gallery_page [aria-current='page']")).to_have_text("3")
    first = page.locator(CARDS).first.bounding_box()
    assert first["y"] >= 0 and first["y"] + first["height"] <= 720, first
