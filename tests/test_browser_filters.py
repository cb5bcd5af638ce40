"""End to end: filters set by keyboard and by mouse, and the link that must reopen exactly that view.

A real `streamlit run` and a real Chromium (see tests/test_browser.py). Each step waits for the header's
sentence to say the filter is applied; then the URL is opened in a fresh tab, and both tabs must show the
same header and the same rows, and the URL must parse back to the filters the editor set.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from curation.loading.collection import load_collection
from curation.query.facets import counted_label
from curation.query.filters import DASHBOARD_FILTERS, Filters
from tests.browser_support import local_page, serve_dashboard
from tests.conftest import SEEDS, write_document
from tests.test_browser import GRID_ROWS, WAIT_MS, expect_header, expect_rows, header, open_app, settle

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


def test_filters_set_by_keyboard_and_mouse_reopen_from_the_link(shared_server, page, shared_docs):
    frame = load_collection(shared_docs).frame
    open_app(page, shared_server)
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
    rows = list(expected.apply(frame).index[:25])
    expect_rows(page, rows)
    fresh = local_page(page.context)
    open_app(fresh, page.url, rows=bool(rows))
    fresh.wait_for_function(
        "(text) => [...document.querySelectorAll('[data-testid=\"stMarkdownContainer\"]')]"
        ".some((element) => element.innerText === text)",
        arg=shown_header,
        timeout=WAIT_MS,
    )
    expect_rows(fresh, rows)
    assert url_filters(fresh.url) == expected
    fresh.close()


def test_the_page_and_rows_per_page_come_back_with_the_link(shared_server, page, shared_docs):
    from playwright.sync_api import expect

    frame = load_collection(shared_docs).frame
    open_app(page, shared_server)
    page.get_by_role("combobox", name="Rows per page").select_option(label="50 rows")
    page.wait_for_function("() => location.search.includes('rows=50')", timeout=WAIT_MS)
    expect(page.locator(GRID_ROWS)).to_have_count(50, timeout=WAIT_MS)
    settle(page)
    top_pager = page.get_by_role("navigation", name="Pages", exact=True)
    top_pager.get_by_role("button", name="Page 2", exact=True).click()
    expected = list(DASHBOARD_FILTERS.apply(frame).index[50:100])
    page.wait_for_function("() => location.search.includes('page=2') && location.search.includes('rows=50')")
    expect(top_pager.get_by_role("button", name="Page 2", exact=True)).to_have_attribute("aria-current", "page")
    settle(page)
    expect_rows(page, expected)
    fresh = local_page(page.context)
    open_app(fresh, page.url)
    expect_rows(fresh, expected)
    fresh.close()


def test_the_editors_name_is_remembered_in_a_new_tab(shared_server, page, shared_docs):
    """Typed once, the name is in the box of the next tab (this browser's localStorage), and it is the name
    a change in that tab is logged with."""
    from playwright.sync_api import expect

    open_app(page, shared_server)
    sidebar(page).get_by_role("button", name="anonymous · can edit").click()
    name = page.get_by_role("textbox", name="Your name")
    name.fill("Ann Editor")
    name.press("Enter")
    expect(sidebar(page).get_by_role("button", name="Ann Editor · can edit")).to_be_visible(timeout=WAIT_MS)
    fresh = local_page(page.context)
    open_app(fresh, shared_server)
    expect(sidebar(fresh).get_by_role("button", name="Ann Editor · can edit")).to_be_visible(timeout=WAIT_MS)
    fresh.close()


def test_a_remembered_name_that_cannot_be_logged_is_dropped_with_a_message(shared_server, page):
    """This browser's storage holds a name with a right-to-left override (typed in an older version, or put
    there by a script): the new tab does not use it, says why, and changes are logged as anonymous."""
    from playwright.sync_api import expect

    page.add_init_script("window.localStorage.setItem('curation.editorName', 'Ann\\u202eevil')")
    open_app(page, shared_server)
    expect(sidebar(page).get_by_role("button", name="anonymous · can edit")).to_be_visible(timeout=WAIT_MS)
    sidebar(page).get_by_role("button", name="anonymous · can edit").click()
    expect(page.get_by_text("The name this browser remembered was not used")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("textbox", name="Your name")).to_have_value("")


# Beside seeds/: political videos from one provider (so every facet can be chosen and rows remain), and two
# categories a typed "news" also matches in Streamlit's default fuzzy filter.
VIDEOS = {
    f"video_{number}.txt": f"title: Election night video {number}\ncategory: politics\ntype: video\n"
    f"quality: {40 + 10 * number}\npublished: {'true' if number % 2 else 'false'}\n"
    f"publishedDateTime: 2024-11-0{number}T20:00:00Z\nprovider: {{name: CBC, domain: cbc.ca}}\ntopics: [Elections]\n"
    for number in range(1, 7)
}
NEWS_LIKE = {
    "uplifting.txt": "title: A good day\ncategory: UpliftingNews\n",
    "world.txt": "title: Around the world\ncategory: worldnews\n",
}


@pytest.fixture(scope="module")
def facet_docs(tmp_path_factory) -> Path:
    """seeds/ and the documents above, shared by this module's facet tests: they only read."""
    docs = tmp_path_factory.mktemp("facets") / "docs"
    shutil.copytree(SEEDS, docs)
    for name, front_matter in (VIDEOS | NEWS_LIKE).items():
        write_document(docs, name, f"---\n{front_matter}---\n")
    return docs


@pytest.fixture(scope="module")
def facet_server(facet_docs: Path, tmp_path_factory) -> Iterator[str]:
    with serve_dashboard(facet_docs, tmp_path_factory.mktemp("facet-log") / "streamlit.log") as url:
        yield url


def facet_box(page, label: str):
    return sidebar(page).get_by_test_id("stMultiSelect" if label != "Type" else "stSelectbox").filter(has_text=label)


def pick(page, label: str, value: str) -> None:
    """Open a facet's options and click the one for `value` (its label carries a count); once it shows as
    chosen, close a multiselect's list (a selectbox closes its own; Escape there would clear it)."""
    from playwright.sync_api import expect

    box = facet_box(page, label)
    shown = box.get_by_role("combobox") if label == "Type" else box.get_by_test_id("stMultiSelectTagsContainer")
    # As an editor would: the sidebar scrolled so the box is mid-screen, where its list has room to open.
    box.evaluate("element => element.scrollIntoView({block: 'center'})")
    for _attempt in range(3):  # on a loaded machine a click on the just-opened list is now and then not taken
        option = page.get_by_role("option").filter(has_text=f"{value} (").first
        if not option.is_visible():
            box.click()
        option.click()
        try:
            if label == "Type":
                expect(shown).to_have_value(re.compile(rf"^{re.escape(value)} \("), timeout=15_000)
            else:
                expect(shown).to_contain_text(f"{value} (", timeout=15_000)
            break
        except AssertionError:
            continue
    if label != "Type":
        page.keyboard.press("Escape")


def expect_applied(page, docs: Path, filters: Filters) -> None:
    """Until the header says exactly these filters; then the URL holds them and the rows are theirs."""
    page.wait_for_function(
        """(sentence) => [...document.querySelectorAll('[data-testid="stMarkdownContainer"]')]
             .some((element) => element.innerText.replace(/\u2060/g, '').endsWith(' — ' + sentence))""",
        arg=filters.describe(),
        timeout=WAIT_MS,
    )
    settle(page)
    assert url_filters(page.url) == filters
    expect_rows(page, list(filters.apply(load_collection(docs).frame).index[:25]))


FACET_CHOICES = [
    ("Category", "politics", "categories"), ("Type", "video", "type"), ("Provider", "CBC", "providers"),
    ("Domain", "cbc.ca", "domains"), ("Topic", "Elections", "topics"),
]  # fmt: skip


def chosen_label(page, label: str) -> str:
    """What a facet box shows for its one chosen value: the option's label, with its count."""
    box = facet_box(page, label)
    if label == "Type":
        return box.get_by_role("combobox").input_value()
    return box.get_by_role("group", name="Selected values").inner_text()


def expect_facets_applied(page, docs: Path, filters: Filters, labels: list[str]) -> None:
    """The filters are applied, and each chosen facet shows its value with the count it has now: with one value
    chosen per facet, that is the number of articles shown."""
    expect_applied(page, docs, filters)
    shown = len(filters.apply(load_collection(docs).frame))
    values = {label: value for label, value, _ in FACET_CHOICES}
    assert {label: chosen_label(page, label) for label in labels} == {
        label: counted_label(values[label], shown) for label in labels
    }


def test_chosen_facets_keep_filtering_when_other_filters_change(facet_server, page, facet_docs):
    """An editor picks a value in each facet, then clicks published, searches and raises the quality: every
    step shows the rows of the facets' values, each chosen option shows its current count, and the URL holds
    the bare values. (Before, the browser kept a chosen option's label with its old count, "politics (34)",
    and sent it back, and it became the value: it matched nothing.)"""
    open_app(page, facet_server)
    wanted, chosen = DASHBOARD_FILTERS, []
    for label, value, field in FACET_CHOICES:
        pick(page, label, value)
        wanted, chosen = replace(wanted, **{field: value if field == "type" else (value,)}), [*chosen, label]
        expect_facets_applied(page, facet_docs, wanted, chosen)
    radios = sidebar(page).get_by_role("radiogroup", name="Published")
    radios.get_by_role("radio", name="published", exact=True).click()
    wanted = replace(wanted, published="published")
    expect_facets_applied(page, facet_docs, wanted, chosen)
    search = sidebar(page).get_by_role("textbox", name="Search")
    search.click()
    page.keyboard.type("night")
    page.keyboard.press("Enter")
    wanted = replace(wanted, search="night")
    expect_facets_applied(page, facet_docs, wanted, chosen)
    low_thumb = sidebar(page).get_by_test_id("stSlider").filter(has_text="Quality").get_by_role("slider").first
    low_thumb.focus()
    for _ in range(60):
        page.keyboard.press("ArrowRight")
    wanted = replace(wanted, min_quality=60)
    expect_facets_applied(page, facet_docs, wanted, chosen)
    expect_rows(page, ["video_5.txt", "video_3.txt"])  # published, quality 90 and 70, newest first
    radios.get_by_role("radio", name="all", exact=True).click()
    expect_facets_applied(page, facet_docs, replace(wanted, published="all"), chosen)


def test_clearing_the_type_means_any_type(facet_server, page, facet_docs):
    """Escape in the Type box, and its clear button, leave no type chosen. Before, the box had no clear button
    and Escape did nothing, or, pressed while the page was running, chose the first type ("article")."""
    open_app(page, facet_server)
    type_box = facet_box(page, "Type")
    for clear in (lambda: page.keyboard.press("Escape"), type_box.get_by_role("button", name="Clear value").click):
        pick(page, "Type", "video")
        expect_applied(page, facet_docs, replace(DASHBOARD_FILTERS, type="video"))
        clear()
        expect_applied(page, facet_docs, DASHBOARD_FILTERS)
        assert type_box.get_by_role("combobox").input_value() == ""


def test_a_link_holding_an_options_label_opens_on_its_value(facet_server, page, facet_docs):
    """An old link with a label and its count for a value (`category=politics (1,776)`) filters by the value."""
    open_app(page, f"{facet_server}/?category=politics+%281%2C776%29&type=video+%286%29")
    expect_applied(page, facet_docs, replace(DASHBOARD_FILTERS, categories=("politics",), type="video"))


@pytest.mark.parametrize(("label", "typed"), [("Category", "news"), ("Topic", "AI")])
def test_enter_on_a_typed_facet_value_picks_exactly_that_value(facet_server, page, facet_docs, label, typed):
    """Typing "news" and pressing Enter chooses news, not also UpliftingNews and worldnews (nor "AI" also
    Facebook AI): the first row under the typed text is the value itself."""
    open_app(page, facet_server)
    facet_box(page, label).click()
    page.keyboard.type(typed)
    page.keyboard.press("Enter")
    field = "categories" if label == "Category" else "topics"
    expect_applied(page, facet_docs, replace(DASHBOARD_FILTERS, **{field: (typed,)}))
