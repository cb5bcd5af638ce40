"""End to end: an editor re-categorizes an article from its row in a real Chromium against `streamlit run`."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.test_browser import (
    audit_lines,
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
    page.locator(f".{widget_class(f'edit:{doc_id}')} button").first.click()
    field = page.get_by_role("dialog").get_by_label("Category")
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
