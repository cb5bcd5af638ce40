"""The Articles table's page logic (AppTest): events from the browser, applied once each, by id."""

from __future__ import annotations

import csv
import io

from streamlit.testing.v1 import app_test

from curation.loading.collection import load_collection
from curation.query.export import frame_to_csv, frame_to_json
from curation.query.filters import Filters
from curation.store.folder_audit import read_audit_log
from tests.table_events import TableBrowser, row, row_ids, table_data
from tests.test_app import no_exceptions


def unpublished_view(app):
    app.query_params["published"] = "unpublished"
    return app.run()


def test_ticks_queued_faster_than_the_page_answers_each_write_their_article_once(app, docs):
    """Three ticks reach the server in one message (the browser sent them while it was busy), then the same
    queue arrives again: each chosen article is written once, and no other."""
    unpublished_view(app)
    chosen = row_ids(app)[0:5:2]
    before = {path.name: path.read_bytes() for path in docs.glob("*.txt")}
    browser = TableBrowser(app)
    for doc_id in chosen:
        browser.tick(doc_id, run=False)
    browser.send()
    resent = [{"seq": 1, "kind": "tick", "id": chosen[0], "sha": "0" * 64, "value": False}]
    browser.queue = resent  # an old message again, as after a reconnect: already applied, so dropped
    browser.send()
    assert no_exceptions(app)
    after = {path.name: path.read_bytes() for path in docs.glob("*.txt")}
    assert {name for name in after if after[name] != before[name]} == set(chosen)
    for name in chosen:
        assert after[name] == before[name].replace(b"\npublished: false\n", b"\npublished: true\n")
    entries, _ = read_audit_log(docs / ".curation" / "audit.jsonl")
    assert sorted(entry.id for entry in entries) == sorted(chosen)
    assert all(row(app, doc_id)["published"] for doc_id in chosen)
    assert table_data(app)["applied"][browser.client] == 3


def test_a_tick_on_a_row_the_table_does_not_show_is_refused(app, docs):
    """An id that is not on the page (a forged or stale event) writes nothing."""
    unpublished_view(app)
    elsewhere = next(name for name in load_collection(docs).frame.index if name not in row_ids(app))
    before = (docs / elsewhere).read_bytes()
    TableBrowser(app).push({"kind": "tick", "id": elsewhere, "sha": "0" * 64, "value": True})
    assert (docs / elsewhere).read_bytes() == before
    assert not (docs / ".curation" / "audit.jsonl").exists()


def test_selecting_rows_a_range_and_the_page_counts_in_the_toolbar(app):
    app.run()
    ids = row_ids(app)
    table = TableBrowser(app)
    table.select(ids[:1])
    assert app.button(key="bulk_publish_selected").label == "Publish 1 selected"
    table.select(ids[3:8])  # a shift-click range
    assert [row(app, doc_id)["selected"] for doc_id in ids[:9]] == [True, False, False, *[True] * 5, False]
    table.select(ids)  # Select all on this page
    assert app.button(key="bulk_unpublish_selected").label == f"Unpublish {len(ids)} selected"
    table.turn_to(2)  # the selection outlives the page
    assert app.button(key="bulk_publish_selected").label == f"Publish {len(ids)} selected"
    table.turn_to(1)
    table.select(ids[:2], False)
    assert app.button(key="bulk_publish_selected").label == f"Publish {len(ids) - 2} selected"
    app.button(key="clear_selection").click().run()
    assert app.button(key="bulk_publish_selected").label == "Publish 0 selected"


def test_turning_the_page_shows_the_next_rows_and_lives_in_the_url(app, docs):
    app.run()
    expected = Filters(sort="publishedDateTime", descending=True).apply(load_collection(docs).frame)
    TableBrowser(app).turn_to(3)
    assert row_ids(app) == list(expected.index[50:75])
    assert app.query_params["page"] == "3" and table_data(app)["page"] == 3
    last = -(-len(expected) // 25)
    for past_the_end in (last + 1, 99, 10**30):  # a forged event (the pager stays within the pages): the last page
        TableBrowser(app).turn_to(past_the_end)
        assert (table_data(app)["page"], table_data(app)["pages"]) == (last, last)
        assert row_ids(app) == list(expected.index[(last - 1) * 25 :]) and app.query_params["page"] == str(last)
    TableBrowser(app).turn_to(-3)  # and before the start: the first
    assert table_data(app)["page"] == 1 and "page" not in app.query_params and row_ids(app) == list(expected.index[:25])


def test_a_header_sorts_every_shown_row_with_the_sidebars_state_and_starts_at_page_one(app, docs):
    app.run()
    frame = load_collection(docs).frame
    table = TableBrowser(app)
    table.turn_to(2)
    table.sort("quality")
    by_quality = Filters(sort="quality", descending=True).apply(frame)
    assert row_ids(app) == list(by_quality.index[:25])
    assert app.selectbox(key="sort").value == "quality" and app.toggle(key="desc").value is True
    assert app.query_params["sort"] == "quality" and "page" not in app.query_params
    assert table_data(app)["sort"] == {"column": "quality", "descending": True}
    table.sort("quality")  # again: the other way
    assert row_ids(app) == list(Filters(sort="quality").apply(frame).index[:25])
    table.sort("title")  # text sorts A to Z first
    assert row_ids(app) == list(Filters(sort="title").apply(frame).index[:25])


def test_enter_on_a_row_opens_the_article_and_saving_the_title_leaves_every_other_byte(app, docs):
    app.run()
    doc_id = row_ids(app)[0]
    before = (docs / doc_id).read_bytes()
    title = load_collection(docs).frame.loc[doc_id, "title"]
    TableBrowser(app).open(doc_id)
    assert app.text_input(key="edit_title").value == title
    app.text_input(key="edit_title").set_value("A new headline")
    app.button(key="FormSubmitter:edit_form-Save").click().run()
    assert no_exceptions(app)
    after = (docs / doc_id).read_bytes().splitlines(keepends=True)
    changed = [number for number, line in enumerate(before.splitlines(keepends=True)) if after[number] != line]
    assert len(after) == len(before.splitlines()) and len(changed) == 1  # one line, the title's
    assert after[changed[0]].startswith(b"title: ") and b"A new headline" in after[changed[0]]
    assert row(app, doc_id)["title"] == "A new headline" and row(app, doc_id)["changed"]


def test_the_export_has_the_columns_chosen_in_their_order(app, docs, monkeypatch):
    """The CSV the Download button makes (its data is made on the click: called here as the server would)."""
    managers = []

    class RecordingMediaFileManager(app_test.MediaFileManager):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            managers.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", RecordingMediaFileManager)
    app.query_params["category"] = "sport"
    app.run()
    app.multiselect(key="export_columns").set_value(["title", "id", "quality"]).run()
    (button,) = [button for button in app.get("download_button") if button.proto.label == "Download CSV"]
    made = managers[-1]._deferred_callables[button.proto.deferred_file_id]["callable"]()
    header, *lines = list(csv.reader(io.StringIO(made.decode("utf-8-sig"))))
    shown = Filters(categories=("sport",), sort="publishedDateTime", descending=True).apply(load_collection(docs).frame)
    assert header == ["title", "id", "quality"]
    assert [line[1] for line in lines] == list(shown.index)  # every shown row, in the sort
    assert [line[0] for line in lines] == list(shown["title"])
    # Both downloads, made a chunk of rows at a time, are the whole-frame export of the shown rows.
    assert made == frame_to_csv(shown, ["title", "id", "quality"])
    (json_button,) = [button for button in app.get("download_button") if button.proto.label == "Download JSON"]
    made_json = managers[-1]._deferred_callables[json_button.proto.deferred_file_id]["callable"]()
    assert made_json == frame_to_json(shown, ["title", "id", "quality"])
