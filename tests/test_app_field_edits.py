"""Editing category, type, topics, title and excerpt from the Articles page (AppTest)."""

from __future__ import annotations

from curation.audit import read_audit_log
from curation.collection import load_collection
from tests.conftest import SEED_ID
from tests.test_app import no_exceptions, row_ids

SEED_TITLE = "Stream It Or Skip It: ‘Jung_E’ on Netflix, a Sci-Fi Fable About AI and Brain-Cloning"


def open_seed_row(at):
    at.query_params["search"] = "Jung_E"
    at.run()
    assert row_ids(at) == [SEED_ID]
    return at


def test_an_editor_recategorizes_a_row_and_adds_a_topic(app, docs):
    """The row's edit button opens a dialog; Save writes category and topics to the file, by id."""
    open_seed_row(app)
    app.button(key=f"edit:{SEED_ID}").click().run()
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
    app.button(key=f"edit:{SEED_ID}").click().run()
    app.text_input(key="edit_category").set_value("news\x1bdesk")
    app.button(key="FormSubmitter:edit_form-Save").click().run()
    assert (docs / SEED_ID).read_bytes() == before
    assert any("category" in error.value for error in app.error)


def test_an_editor_fixes_a_headline_typo_in_the_details(app, docs):
    open_seed_row(app)
    app.checkbox(key=f"select:{SEED_ID}").check().run()
    sha = load_collection(docs).frame.loc[SEED_ID, "sha256"]
    title_key = f"details_title:{SEED_ID}:{sha[:16]}"
    app.text_input(key=title_key).set_value("Jung_E, reviewed")
    app.button(key=f"FormSubmitter:details_form:{SEED_ID}:{sha[:16]}-Save title and excerpt").click().run()
    assert no_exceptions(app)
    assert '\ntitle: "Jung_E, reviewed"\n' in (docs / SEED_ID).read_text(encoding="utf-8")
    assert load_collection(docs).frame.loc[SEED_ID, "title"] == "Jung_E, reviewed"


def test_bulk_set_category_on_the_selection_says_how_many_files_change(app, docs):
    frame = load_collection(docs).frame
    app.run()
    chosen = row_ids(app)[:3]
    for doc_id in chosen:
        app.checkbox(key=f"select:{doc_id}").check().run()
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
    for doc_id in chosen:
        app.checkbox(key=f"select:{doc_id}").check().run()
    app.button(key="bulk_field_add").click().run()
    app.text_input(key="bulk_field_value").set_value("Elections 2026").run()
    app.button(key="bulk_field_confirm").click().run()
    assert all("Elections 2026" in topics for topics in load_collection(docs).frame.loc[chosen, "topics"])
    app.button(key="bulk_field_remove").click().run()
    app.text_input(key="bulk_field_value").set_value("Elections 2026").run()
    app.button(key="bulk_field_confirm").click().run()
    assert not any("Elections 2026" in topics for topics in load_collection(docs).frame.loc[chosen, "topics"])
