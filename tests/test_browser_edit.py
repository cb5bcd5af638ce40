"""End to end: an editor edits an article in its dialog (the row's pencil), in a real Chromium against `streamlit run`."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from curation.editing.publish import set_field
from curation.loading.collection import load_collection
from tests.conftest import write_document
from tests.test_browser import (
    WAIT_MS,
    audit_lines,
    expect_shown,
    expect_toast,
    grid,
    open_app,
    row_ids,
    settle,
    table_row,
    unpublished_article,
    wait_for,
)

pytestmark = pytest.mark.browser


def test_an_editor_recategorizes_an_article_from_its_row(server, page, docs):
    """The row's edit button opens a dialog; a new category is written to that file only, and the row stays."""
    from playwright.sync_api import expect

    doc_id, title = unpublished_article(docs)
    path = docs / doc_id
    others = {other.name: other.read_bytes() for other in docs.glob("*.txt") if other.name != doc_id}
    old_line = next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("category:"))
    open_app(page, f"{server}/?search={quote(title)}")
    assert row_ids(page) == [doc_id]
    field = edit_dialog_of(page, title).get_by_label("Category")
    field.fill("obituaries")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    expect_toast(page, f"Saved category: {title}")
    wait_for(lambda: b"\ncategory: obituaries\n" in path.read_bytes(), "the file to hold the new category")
    expect(table_row(page, doc_id)).to_contain_text("obituaries", timeout=WAIT_MS)  # the row shows it, marked
    expect(table_row(page, doc_id)).to_contain_text("changed")
    settle(page)
    text = path.read_text(encoding="utf-8")
    assert old_line not in text and text.count("\n") == len(path.read_bytes().splitlines())
    assert {other.name: other.read_bytes() for other in docs.glob("*.txt") if other.name != doc_id} == others
    assert row_ids(page) == [doc_id]
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
    assert row_ids(page) == ["odd.txt"]
    return "odd.txt", path.read_bytes()


def edit_dialog_of(page, title: str):
    """Open the row's dialog with its edit button, found by its accessible name ("Edit: " and the exact title)."""
    from playwright.sync_api import expect

    grid(page).get_by_role("button", name=f"Edit: {title}", exact=True).click()
    dialog = page.get_by_role("dialog", name="Article")
    expect(dialog.get_by_label("Category")).to_be_visible(timeout=WAIT_MS)
    settle(page)
    return dialog


def test_the_row_dialog_saves_one_changed_field_and_nothing_when_none_changed(server, page, docs):
    """Save untouched writes nothing and says so; a new category rewrites that line and no other byte."""
    from playwright.sync_api import expect

    doc_id, before = open_odd_article(page, server, docs)
    assert len(ODD_TITLE) == 520
    dialog = edit_dialog_of(page, ODD_TITLE)
    # Each box comes to hold the value exactly as the file has it. Waited for, not read once: on a loaded CI machine
    # the long excerpt's box read empty just after the dialog settled. Saving untouched then writes no byte.
    expect(dialog.get_by_label("Category")).to_have_value("  news  ", timeout=WAIT_MS)
    expect(dialog.get_by_label("Title", exact=True)).to_have_value(ODD_TITLE, timeout=WAIT_MS)
    excerpt = load_collection(docs).frame.loc[doc_id, "excerpt"]
    assert excerpt.startswith("Line 000") and len(excerpt) > 5000
    expect(dialog.get_by_label("Excerpt")).to_have_value(excerpt, timeout=WAIT_MS)
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


def test_the_dialog_saves_a_new_title_and_only_its_line(server, page, docs):
    """The title typed in the dialog replaces the title line and no other byte; the toast names the article as
    the row named it, and the row then shows the new title."""
    from playwright.sync_api import expect

    doc_id, before = open_odd_article(page, server, docs)
    dialog = edit_dialog_of(page, ODD_TITLE)
    dialog.get_by_label("Title", exact=True).fill("Zebrafish renamed")
    dialog.get_by_role("button", name="Save").click()
    expect_toast(page, "Saved title: Zebrafish shoal")
    expected = before.replace(f"title: {ODD_TITLE}\n".encode(), b"title: Zebrafish renamed\n")
    wait_for(lambda: (docs / doc_id).read_bytes() == expected, "only the title line to change")
    expect(grid(page).get_by_role("checkbox", name="Published: Zebrafish renamed", exact=True)).to_be_visible(
        timeout=WAIT_MS
    )
    settle(page)
    assert row_ids(page) == [doc_id]


def test_a_title_saved_over_another_editors_change_is_a_conflict_and_nothing_is_written(server, page, docs):
    """Bob saves a title while the dialog is open: my Save writes nothing over his version, and the page says
    which article conflicted."""
    doc_id, _before = open_odd_article(page, server, docs)
    path = docs / doc_id
    dialog = edit_dialog_of(page, ODD_TITLE)
    dialog.get_by_label("Title", exact=True).fill("Zebrafish mine")
    set_field(docs, doc_id, "title", "Zebrafish theirs", editor="bob")
    theirs = path.read_bytes()
    dialog.get_by_role("button", name="Save").click()
    expect_shown(page, "stAlert", "Conflict")
    expect_shown(page, "stAlert", "Zebrafish")
    settle(page)
    assert path.read_bytes() == theirs
    assert [line.count('"bob"') for line in audit_lines(docs)] == [1]
