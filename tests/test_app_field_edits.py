"""Editing category, type, topics, title and excerpt from the Articles page (AppTest)."""

from __future__ import annotations

import pytest

from curation.editing.publish import set_field, set_published
from curation.loading.collection import load_collection
from curation.store.folder_audit import read_audit_log
from tests.conftest import SEED_ID, write_document
from tests.table_events import TableBrowser, row, row_ids
from tests.test_app import no_exceptions

SEED_TITLE = "Stream It Or Skip It: ‘Jung_E’ on Netflix, a Sci-Fi Fable About AI and Brain-Cloning"


def open_seed_row(at):
    at.query_params["search"] = "Jung_E"
    at.run()
    assert row_ids(at) == [SEED_ID]
    return at


def open_article(at, doc_id: str):
    """The row's pencil (or `e`): the article's dialog."""
    TableBrowser(at).push({"kind": "edit", "id": doc_id, "sha": row(at, doc_id)["sha"]})
    return at


def save(at):
    return at.button(key="FormSubmitter:edit_form-Save").click().run()


def test_an_editor_recategorizes_a_row_and_adds_a_topic(app, docs):
    """The row's edit button opens a dialog; Save writes category and topics to the file, by id."""
    open_seed_row(app)
    open_article(app, SEED_ID)
    app.text_input(key="edit_category").set_value("culture")
    app.multiselect(key="edit_topics").select("Streaming")
    app.button(key="FormSubmitter:edit_form-Save").click().run()
    assert no_exceptions(app)
    text = (docs / SEED_ID).read_text(encoding="utf-8")
    assert "\ncategory: culture\n" in text and "  - Streaming\n" in text
    assert [toast.value for toast in app.toast][-1].startswith("Saved category, topics: Stream It Or Skip It")
    row = load_collection(docs).frame.loc[SEED_ID]
    assert row["category"] == "culture" and list(row["topics"]) == ["Facebook AI", "AI", "Streaming"]
    assert row_ids(app) == [SEED_ID]  # the row holds still
    entries, _ = read_audit_log(docs / ".curation" / "audit.jsonl")
    assert [entry.field for entry in entries] == ["category", "topics"]
    assert entries[1].sha_before == entries[0].sha_after  # each write checked the sha the previous one left


def test_a_bad_category_is_refused_in_the_dialog(app, docs):
    before = (docs / SEED_ID).read_bytes()
    open_seed_row(app)
    open_article(app, SEED_ID)
    app.text_input(key="edit_category").set_value("news\x1bdesk")
    app.button(key="FormSubmitter:edit_form-Save").click().run()
    assert (docs / SEED_ID).read_bytes() == before
    assert [error.value for error in app.error] == [
        "Category: contains the control character U+001B; remove it. Nothing was saved."
    ]


def test_an_editor_fixes_a_headline_typo_from_the_row(app, docs):
    open_seed_row(app)
    open_article(app, SEED_ID)
    details_widget(app, "Title").set_value("Jung_E, reviewed")
    save(app)
    assert no_exceptions(app)
    assert '\ntitle: "Jung_E, reviewed"\n' in (docs / SEED_ID).read_text(encoding="utf-8")
    assert load_collection(docs).frame.loc[SEED_ID, "title"] == "Jung_E, reviewed"


def test_bulk_set_category_on_the_selection_says_how_many_files_change(app, docs):
    frame = load_collection(docs).frame
    app.run()
    chosen = row_ids(app)[:3]
    TableBrowser(app).select(chosen)
    assert app.button(key="bulk_publish_selected").label == "Publish 3 selected"
    app.button(key="bulk_field_category").click().run()
    app.text_input(key="bulk_field_value").set_value(frame.loc[chosen[0], "category"]).run()
    same = sum(frame.loc[chosen, "category"] == frame.loc[chosen[0], "category"])
    assert any(f"**{3 - same} files will change**" in element.value for element in app.markdown)
    app.text_input(key="bulk_field_value").set_value("obituaries").run()
    app.button(key="bulk_field_confirm").click().run()
    assert no_exceptions(app)
    after = load_collection(docs).frame
    assert list(after.loc[chosen, "category"]) == ["obituaries"] * 3
    assert (after.drop(index=chosen)["category"] == frame.drop(index=chosen)["category"]).all()


def test_bulk_add_and_remove_a_topic(app, docs):
    app.run()
    chosen = row_ids(app)[:2]
    browser = TableBrowser(app)
    browser.select(chosen[:1])
    browser.select(chosen[1:])
    app.button(key="bulk_field_add").click().run()
    app.text_input(key="bulk_field_value").set_value("Elections 2026").run()
    app.button(key="bulk_field_confirm").click().run()
    assert all("Elections 2026" in topics for topics in load_collection(docs).frame.loc[chosen, "topics"])
    app.button(key="bulk_field_remove").click().run()
    app.text_input(key="bulk_field_value").set_value("Elections 2026").run()
    app.button(key="bulk_field_confirm").click().run()
    assert not any("Elections 2026" in topics for topics in load_collection(docs).frame.loc[chosen, "topics"])


# Documents whose values the edit forms cannot show back as they are unless they leave untouched fields alone.
LONG_TITLE = "Zebrafish " + "long " * 102  # 520 characters: over the 500 a typed title may have
BLOCK_EXCERPT = "".join(f"  Line {number:03d} of an excerpt longer than 5,000 characters in all. {'x' * 40}\n"
                        for number in range(60))  # fmt: skip
ODD_DOCUMENTS = {
    "long_title.txt": f'---\ntitle: "{LONG_TITLE}"\ncategory: news\nexcerpt: Short.\ntype: article\n---\nBody.\n',
    "block_excerpt.txt": f"---\ntitle: Yellowtail block\ncategory: news\nexcerpt: |\n{BLOCK_EXCERPT}type: article\n---\n",
    "long_category.txt": f"---\ntitle: Quokka long category\ncategory: {'c' * 150}\ntype: article\n---\n",
    "spaced_category.txt": '---\ntitle: Narwhal spaced category\ncategory: "  news  "\ntype: " article"\n---\n',
    "tab_title.txt": '---\ntitle: "Walrus\\twith a tab"\ncategory: news\nexcerpt: Old.\n---\n',
}


def open_odd_row(app, docs, name: str) -> bytes:
    """Write one of ODD_DOCUMENTS, show its row alone and return its bytes."""
    path = write_document(docs, name, ODD_DOCUMENTS[name])
    app.query_params["search"] = load_collection(docs).frame.loc[name, "title"].split()[0]
    app.run()
    assert row_ids(app) == [name]
    return path.read_bytes()


def open_details(app, doc_id: str):
    return open_article(app, doc_id)


def details_widget(app, label: str):
    """The dialog's Title or Excerpt box."""
    return app.text_input(key="edit_title") if label == "Title" else app.text_area(key="edit_excerpt")


def details_button(app, label: str):
    return next(button for button in app.button if button.label == label)


def toasts(app) -> list[str]:
    return [toast.value for toast in app.toast]


def with_line(raw: bytes, old: str, new: str) -> bytes:
    """The file's bytes with one whole line (or lines) replaced: what a one-field edit may write."""
    assert raw.count(old.encode()) == 1
    return raw.replace(old.encode(), new.encode())


def test_saving_only_the_excerpt_leaves_a_520_character_title_as_it_is(app, docs):
    before = open_odd_row(app, docs, "long_title.txt")
    open_details(app, "long_title.txt")
    assert details_widget(app, "Title").value == LONG_TITLE.strip()
    details_widget(app, "Excerpt").set_value("Longer now.")
    save(app)
    assert no_exceptions(app)
    assert (docs / "long_title.txt").read_bytes() == with_line(before, "excerpt: Short.\n", "excerpt: Longer now.\n")
    assert toasts(app)[-1].startswith("Saved excerpt: Zebrafish")


def test_saving_only_the_title_leaves_a_long_block_excerpt_as_it_is(app, docs):
    before = open_odd_row(app, docs, "block_excerpt.txt")
    open_details(app, "block_excerpt.txt")
    details_widget(app, "Title").set_value("Yellowtail, renamed")
    save(app)
    assert no_exceptions(app)
    after = (docs / "block_excerpt.txt").read_bytes()
    assert after == with_line(before, "title: Yellowtail block\n", "title: Yellowtail, renamed\n")
    assert load_collection(docs).frame.loc["block_excerpt.txt", "excerpt"].endswith("x\n")  # still the block


def test_a_tab_in_the_title_does_not_block_saving_the_excerpt(app, docs):
    before = open_odd_row(app, docs, "tab_title.txt")
    open_details(app, "tab_title.txt")
    details_widget(app, "Excerpt").set_value("New.")
    save(app)
    assert no_exceptions(app) and [error.value for error in app.error] == []
    assert (docs / "tab_title.txt").read_bytes() == with_line(before, "excerpt: Old.\n", "excerpt: New.\n")


def test_a_changed_title_is_still_checked_for_its_length(app, docs):
    before = open_odd_row(app, docs, "long_title.txt")
    open_details(app, "long_title.txt")
    details_widget(app, "Title").set_value("Zebrafish " + "x" * 491)
    save(app)
    assert (docs / "long_title.txt").read_bytes() == before
    assert [error.value for error in app.error] == [
        "Title: is 501 characters; at most 500 are allowed. Nothing was saved."
    ]
    assert details_widget(app, "Title").value == "Zebrafish " + "x" * 491  # what the editor typed stays


@pytest.mark.parametrize("name", ["long_category.txt", "spaced_category.txt"])
def test_save_in_the_row_dialog_with_nothing_touched_writes_nothing(app, docs, name):
    """A 150-character category and a category with spaces around it are shown whole and left alone."""
    before = open_odd_row(app, docs, name)
    open_article(app, name)
    assert app.text_input(key="edit_category").value == load_collection(docs).frame.loc[name, "category"]
    app.button(key="FormSubmitter:edit_form-Save").click().run()
    assert no_exceptions(app)
    assert (docs / name).read_bytes() == before
    assert toasts(app)[-1].startswith("Nothing changed: ")
    assert not (docs / ".curation" / "audit.jsonl").exists()


def test_the_row_dialog_writes_only_the_field_the_editor_changed(app, docs):
    before = open_odd_row(app, docs, "spaced_category.txt")
    open_article(app, "spaced_category.txt")
    app.multiselect(key="edit_topics").select("Streaming")
    app.button(key="FormSubmitter:edit_form-Save").click().run()
    assert (docs / "spaced_category.txt").read_bytes() == with_line(
        before, '" article"\n', '" article"\ntopics: [Streaming]\n'
    )
    assert toasts(app)[-1].startswith("Saved topics: Narwhal")


@pytest.mark.parametrize("name", ["long_title.txt", "block_excerpt.txt", "tab_title.txt"])
def test_save_title_and_excerpt_with_nothing_touched_writes_nothing(app, docs, name):
    before = open_odd_row(app, docs, name)
    open_details(app, name)
    save(app)
    assert no_exceptions(app)
    assert (docs / name).read_bytes() == before
    assert toasts(app)[-1].startswith("Nothing changed: ")


def test_the_row_sends_the_title_as_it_is(app, docs):
    """The table's script names the row's controls after the title ("Edit: <title>"): it gets the exact text."""
    open_seed_row(app)
    assert row(app, SEED_ID)["title"] == SEED_TITLE


def test_a_title_saved_after_another_editors_tick_is_written_onto_the_ticked_version(app, docs):
    """Another editor publishes while my dialog is open: the title I typed is written onto their version."""
    open_seed_row(app)
    open_details(app, SEED_ID)
    details_widget(app, "Title").set_value("Jung_E, reviewed")
    set_published(docs, SEED_ID, False, editor="bob")
    save(app)
    assert no_exceptions(app)
    text = (docs / SEED_ID).read_text(encoding="utf-8")
    assert '\ntitle: "Jung_E, reviewed"\n' in text and "\npublished: false\n" in text
    entries, _ = read_audit_log(docs / ".curation" / "audit.jsonl")
    assert [entry.field for entry in entries] == ["published", "title"]
    assert entries[1].sha_before == entries[0].sha_after


def test_a_title_edit_meeting_another_editors_title_is_a_conflict_that_keeps_mine(app, docs):
    """Bob saves a title first: mine is not written and not lost; the form shows his; Apply writes mine on his."""
    open_seed_row(app)
    open_details(app, SEED_ID)
    details_widget(app, "Title").set_value("Mine")
    set_field(docs, SEED_ID, "title", "Theirs", editor="bob")
    theirs = (docs / SEED_ID).read_bytes()
    save(app)
    assert no_exceptions(app)
    assert (docs / SEED_ID).read_bytes() == theirs
    (error,) = [error.value for error in app.error]
    assert error.startswith("**Conflict on the title:**")
    assert [code.value for code in app.code if code.value == "Theirs"] == ["Theirs"]  # what is on disk
    assert details_widget(app, "Title").value == "Mine"
    details_button(app, "Apply my title onto the version on disk").click().run()
    assert no_exceptions(app) and [error.value for error in app.error] == []
    assert (docs / SEED_ID).read_bytes() == with_line(theirs, 'title: "Theirs"\n', 'title: "Mine"\n')
    entries, _ = read_audit_log(docs / ".curation" / "audit.jsonl")
    assert [(entry.editor, entry.new) for entry in entries] == [("bob", "Theirs"), (entries[1].editor, "Mine")]
    assert entries[1].sha_before == entries[0].sha_after  # written onto the new version, with its sha
    assert row(app, SEED_ID)["title"] == "Mine" and row_ids(app) == [SEED_ID]  # the dialog closed; the row holds


def test_another_editors_excerpt_change_leaves_my_title_edit_alone(app, docs):
    """Bob changed the excerpt, I the title: mine is saved, his excerpt stays."""
    open_seed_row(app)
    open_details(app, SEED_ID)
    set_field(docs, SEED_ID, "excerpt", "His excerpt.", editor="bob")
    app.run()
    assert details_widget(app, "Excerpt").value != "His excerpt."  # the form still shows what it showed
    details_widget(app, "Title").set_value("Mine")
    save(app)
    assert [error.value for error in app.error] == []
    fields = load_collection(docs).frame.loc[SEED_ID]
    assert (fields["title"], fields["excerpt"]) == ("Mine", "His excerpt.")
