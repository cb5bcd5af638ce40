"""End to end: an editor re-categorizes an article from its row in a real Chromium against `streamlit run`."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from curation.editing.publish import set_field
from curation.safe_markdown import plain_label
from tests.conftest import write_document
from tests.test_browser import (
    WAIT_MS,
    audit_lines,
    click_published,
    expect_shown,
    expect_toast,
    open_app,
    row_ids,
    settle,
    unpublished_article,
    wait_for,
    widget_class,
)

pytestmark = pytest.mark.browser


def test_an_editor_recategorizes_an_article_from_its_row(server, page, docs):
    """The row's edit button opens a dialog; a new category is written to that file only, and the row stays."""
    doc_id, title = unpublished_article(docs)
    path = docs / doc_id
    others = {other.name: other.read_bytes() for other in docs.glob("*.txt") if other.name != doc_id}
    old_line = next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("category:"))
    open_app(page, f"{server}/?search={quote(title)}")
    assert row_ids(page, docs) == [doc_id]
    field = edit_dialog_of(page, title).get_by_label("Category")
    field.fill("obituaries")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    expect_toast(page, f"Saved category: {title}")
    wait_for(lambda: b"\ncategory: obituaries\n" in path.read_bytes(), "the file to hold the new category")
    settle(page)
    text = path.read_text(encoding="utf-8")
    assert old_line not in text and text.count("\n") == len(path.read_bytes().splitlines())
    assert {other.name: other.read_bytes() for other in docs.glob("*.txt") if other.name != doc_id} == others
    assert row_ids(page, docs) == [doc_id]
    assert len(audit_lines(docs)) == 1


# One article whose values no edit form may rewrite unless the editor changes them: a 520-character title
# (over the 500 a typed one may have), a category with spaces around it and a block excerpt over 5,000 characters.
ODD_TITLE = "Zebrafish" + " shoal" * 85 + "s"
ODD_EXCERPT = "".join(f"  Line {number:03d} of a long block excerpt, {'x' * 60}\n" for number in range(60))
ODD_TEXT = (
    f'---\ntitle: {ODD_TITLE}\ncategory: "  news  "\ntype: article\nexcerpt: |\n{ODD_EXCERPT}'
    "published: false\n---\nBody.\n"
)


def open_odd_article(page, server, docs) -> tuple[str, bytes]:
    path = write_document(docs, "odd.txt", ODD_TEXT)
    open_app(page, f"{server}/?search=Zebrafish")
    assert row_ids(page, docs) == ["odd.txt"]
    return "odd.txt", path.read_bytes()


def edit_dialog_of(page, title: str):
    """Open the row's dialog with its edit button, found by its accessible name (the title without markdown
    characters, as every widget label of the table)."""
    from playwright.sync_api import expect

    page.get_by_role("button", name=f"Edit: {plain_label(title)}", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Category")).to_be_visible(timeout=WAIT_MS)
    return dialog


def test_the_row_dialog_saves_one_changed_field_and_nothing_when_none_changed(server, page, docs):
    """Save untouched writes nothing and says so; a new category rewrites that line and no other byte."""
    doc_id, before = open_odd_article(page, server, docs)
    assert len(ODD_TITLE) == 520
    dialog = edit_dialog_of(page, ODD_TITLE)
    assert dialog.get_by_label("Category").input_value() == "  news  "
    dialog.get_by_role("button", name="Save").click()
    expect_toast(page, "Nothing changed: Zebrafish")
    settle(page)
    assert (docs / doc_id).read_bytes() == before and audit_lines(docs) == []
    dialog = edit_dialog_of(page, ODD_TITLE)
    dialog.get_by_label("Category").fill("culture")
    dialog.get_by_role("button", name="Save").click()
    expect_toast(page, "Saved category: Zebrafish")
    expected = before.replace(b'category: "  news  "\n', b'category: "culture"\n')
    wait_for(lambda: (docs / doc_id).read_bytes() == expected, "only the category line to change")
    assert len(audit_lines(docs)) == 1


def open_details(page, doc_id: str):
    from playwright.sync_api import expect

    page.locator(f".{widget_class(f'select:{doc_id}')} label").click()
    title_box = page.get_by_label("Title", exact=True)
    expect(title_box).to_be_visible(timeout=WAIT_MS)
    settle(page)
    return title_box


def save_details(page) -> None:
    page.get_by_role("button", name="Save title and excerpt").click()


def test_title_and_excerpt_save_one_changed_field_and_nothing_when_none_changed(server, page, docs):
    doc_id, before = open_odd_article(page, server, docs)
    title_box = open_details(page, doc_id)
    assert title_box.input_value() == ODD_TITLE
    save_details(page)
    expect_toast(page, "Nothing changed: Zebrafish")
    settle(page)
    assert (docs / doc_id).read_bytes() == before and audit_lines(docs) == []
    page.get_by_label("Title", exact=True).fill("Zebrafish renamed")
    save_details(page)
    expect_toast(page, "Saved title: Zebrafish shoal")  # the article as the row named it
    expected = before.replace(f"title: {ODD_TITLE}\n".encode(), b"title: Zebrafish renamed\n")
    wait_for(lambda: (docs / doc_id).read_bytes() == expected, "only the title line to change")


def test_a_typed_title_survives_a_tick_and_a_conflict_keeps_it_until_applied(server, page, docs):
    """Typed, then the row ticked: Save applies the title onto the ticked version. Typed again while Bob saves
    his title: a conflict names the title, shows his, keeps mine; Apply writes mine onto his version."""
    doc_id, before = open_odd_article(page, server, docs)
    path = docs / doc_id
    open_details(page, doc_id).fill("Zebrafish mine")
    click_published(page, doc_id)
    wait_for(lambda: b"\npublished: true\n" in path.read_bytes(), "the tick to be written")
    settle(page)
    assert page.get_by_label("Title", exact=True).input_value() == "Zebrafish mine"
    save_details(page)
    expect_toast(page, "Saved title: Zebrafish shoal")
    ticked = before.replace(b"\npublished: false\n", b"\npublished: true\n")
    expected = ticked.replace(f"title: {ODD_TITLE}\n".encode(), b"title: Zebrafish mine\n")
    wait_for(lambda: path.read_bytes() == expected, "the title written onto the ticked version")
    settle(page)

    title_box = page.get_by_label("Title", exact=True)
    title_box.fill("Zebrafish mine again")
    set_field(docs, doc_id, "title", "Zebrafish theirs", editor="bob")
    theirs = path.read_bytes()
    save_details(page)
    expect_shown(page, "stAlert", "Conflict on the title:")
    expect_shown(page, "stCode", "Zebrafish theirs")
    settle(page)
    assert path.read_bytes() == theirs
    assert page.get_by_label("Title", exact=True).input_value() == "Zebrafish mine again"
    page.get_by_role("button", name="Apply my title onto the version on disk").click()
    expect_toast(page, "Saved title: Zebrafish theirs")
    mine = theirs.replace(b"title: Zebrafish theirs\n", b"title: Zebrafish mine again\n")
    wait_for(lambda: path.read_bytes() == mine, "my title written onto their version")
    assert [json.loads(line)["editor"] for line in audit_lines(docs)][-2] == "bob"
