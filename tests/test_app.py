"""The dashboard's page logic, driven through AppTest on a temp copy of the documents."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from curation.editing.publish import set_published
from curation.loading.collection import load_collection
from curation.safe_markdown import escape_markdown
from curation.store.folder_audit import read_audit_log
from tests.conftest import REPO, SEED_ID, write_document
from tests.table_events import TableBrowser, row, row_ids, table_data

PAGES = ("articles", "triage", "charts", "gallery", "problems", "history")
BULK_BUTTONS = (  # every write control above the Articles table
    "bulk_publish_shown", "bulk_unpublish_shown", "bulk_publish_selected", "bulk_unpublish_selected",
    "bulk_field_category", "bulk_field_add", "bulk_field_remove",
)  # fmt: skip


def header(at: AppTest) -> str:
    """The header line, with the problems count's link (to the Problems page) taken out."""
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", at.markdown[0].value)


def no_exceptions(at: AppTest) -> bool:
    return [exception.value for exception in at.exception] == []


def table_with(at: AppTest, column: str):
    """The first read-only table that has this column (st.dataframe keys are not exposed to AppTest)."""
    return next(frame.value for frame in at.dataframe if frame.editing_mode == "read_only" and column in frame.value)


def published(at: AppTest, doc_id: str) -> bool:
    return row(at, doc_id)["published"]


def tick(at: AppTest, doc_id: str, value: bool = True) -> AppTest:
    """Tick a row's Published box, as a click in the browser does."""
    return TableBrowser(at).tick(doc_id, value)


def changed_count(at: AppTest) -> str:
    """The toolbar's "N changed" (since the view was opened)."""
    return next(element.value for element in at.markdown if element.value.endswith(" changed**"))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_with_the_header(app, page):
    """An editor opens each page and sees the counts and the filter's sentence."""
    app.run()
    app.switch_page(f"curation/views/{page}.py").run()
    assert no_exceptions(app)
    assert header(app) == "**301 articles · 301 shown · 1 problem** — all articles"
    assert app.title[0].value == page.capitalize()


def test_a_filter_changes_the_shown_count(app, docs):
    """An editor narrows to unpublished news and the header and table follow."""
    frame = load_collection(docs).frame
    expected = frame[(frame["category"] == "news") & ~frame["published"]]
    app.run()
    app.multiselect(key="category").select("news").run()
    app.segmented_control(key="published").set_value("unpublished").run()
    assert header(app) == f"**301 articles · {len(expected)} shown · 1 problem** — unpublished · category news"
    expected = expected.sort_values("publishedDateTime", ascending=False, kind="stable")
    assert row_ids(app) == list(expected.index[:25])  # the first page, in the sort
    assert app.query_params["category"] == "news"


def test_filters_are_restored_from_the_url(app):
    """A shared link opens the same filtered view."""
    app.query_params["category"] = "sport"
    app.query_params["quality"] = ["50", "80"]
    app.run()
    assert app.multiselect(key="category").value == ["sport"]
    assert "category sport · quality 50–80" in header(app)


def test_reset_filters(app):
    app.query_params["published"] = "published"
    app.query_params["topic"] = "AI"
    app.run()
    assert "published · topic AI" in header(app)
    app.button(key="reset_filters").click().run()
    assert header(app).endswith("— all articles")


def test_ticking_published_writes_the_file_and_confirms(app, docs):
    """An editor ticks Published on an unpublished article; its file says so at once, and the toast names it."""
    app.query_params["published"] = "unpublished"
    app.run()
    rows = row_ids(app)
    doc_id = rows[0]
    title = load_collection(docs).frame.loc[doc_id, "title"]
    before = (docs / doc_id).read_bytes()
    tick(app, doc_id)
    assert no_exceptions(app)
    assert (docs / doc_id).read_bytes() == before.replace(b"\npublished: false\n", b"\npublished: true\n")
    assert [toast.value for toast in app.toast] == [
        f"Published: {escape_markdown(title)} :small[{escape_markdown(doc_id)}]"
    ]
    entries = read_audit_log(docs / ".curation" / "audit.jsonl")[0]
    assert [(entry.id, entry.new, entry.editor) for entry in entries] == [(doc_id, True, "anonymous")]


def test_a_published_row_holds_still_in_the_unpublished_view_until_refresh(app, docs):
    """Rows do not move under the editor: a published row stays, ticked and marked, until Refresh."""
    app.query_params["published"] = "unpublished"
    app.run()
    rows = row_ids(app)
    unpublished = int(header(app).split(" · ")[1].removesuffix(" shown"))
    for doc_id in (rows[0], rows[2]):
        tick(app, doc_id)
    app.run()
    assert row_ids(app) == rows
    assert [published(app, doc_id) for doc_id in rows[:3]] == [True, False, True]
    assert changed_count(app) == "**2 changed**"
    assert [row(app, doc_id)["changed"] for doc_id in rows[:4]] == [True, False, True, False]  # the rows' marks
    assert f"{unpublished - 2} shown" in header(app)  # the header counts what the filter matches now
    app.button(key="articles_refresh").click().run()
    assert row_ids(app)[:2] == [rows[1], *rows[3:4]]
    assert changed_count(app) == "**0 changed**"


def test_changing_the_filter_takes_the_rows_again(app):
    app.query_params["published"] = "unpublished"
    app.run()
    rows = row_ids(app)
    tick(app, rows[0])
    app.segmented_control(key="published").set_value("published").run()
    assert rows[0] in row_ids(app) or len(row_ids(app)) == 25
    assert set(row_ids(app)).isdisjoint(rows[1:])


def test_the_same_row_ticked_twice_before_it_is_drawn_again_writes_twice(app, docs):
    """Publish then unpublish at once: the second tick carries the sha from before the first, and still writes."""
    app.query_params["published"] = "unpublished"
    app.run()
    doc_id = row_ids(app)[0]
    original = (docs / doc_id).read_bytes()
    browser = TableBrowser(app)
    browser.tick(doc_id, True, run=False)  # both ticks carry the sha the row showed before either
    browser.tick(doc_id, False)
    assert (docs / doc_id).read_bytes() == original
    assert len(read_audit_log(docs / ".curation" / "audit.jsonl")[0]) == 2


def test_another_editors_change_shows_in_the_held_row(app, docs):
    """Rows hold still, but what is on disk still shows: another editor's publish appears on the next run."""
    app.query_params["published"] = "unpublished"
    app.run()
    rows = row_ids(app)
    set_published(docs, rows[1], True, editor="another editor (command line or another server)")
    app.run()
    assert row_ids(app) == rows and published(app, rows[1])
    assert changed_count(app) == "**1 changed**"


def test_the_editor_name_is_recorded(app, docs):
    app.run()
    app.text_input(key="editor_name").input("Ann Editor").run()
    doc_id = row_ids(app)[0]
    tick(app, doc_id, not published(app, doc_id))
    (entry,) = read_audit_log(docs / ".curation" / "audit.jsonl")[0]
    assert (entry.id, entry.editor) == (doc_id, "Ann Editor")


def test_a_conflict_shows_an_error_and_keeps_the_other_change(app, docs):
    """Someone edits the file after the page loaded; the tick is refused, their edit survives, the row says so."""
    app.query_params["published"] = "unpublished"
    app.run()
    doc_id = row_ids(app)[0]
    title = load_collection(docs).frame.loc[doc_id, "title"]
    path = docs / doc_id
    path.write_bytes(path.read_bytes() + b"A note another editor added.\n")  # their change, written in place
    external = path.read_bytes()
    tick(app, doc_id)
    assert path.read_bytes() == external
    error = row(app, doc_id)["error"]  # shown in the row, and as a toast
    assert "Conflict" in error and escape_markdown(title) in error
    assert any("Conflict" in toast.value for toast in app.toast)
    assert not published(app, doc_id)  # the row shows the disk
    assert read_audit_log(docs / ".curation" / "audit.jsonl")[0] == []


def test_opening_a_row_shows_its_details(app, docs):
    """Enter on a row (or e, or its pencil) opens the article: its fields and everything its file says."""
    app.query_params["search"] = "Jung_E"
    app.run()
    assert row_ids(app) == [SEED_ID]
    TableBrowser(app).open(SEED_ID)
    assert app.text_input(key="edit_title").value == load_collection(docs).frame.loc[SEED_ID, "title"]
    page_text = " ".join(element.value for element in app.markdown)
    assert "Busan" in app.text_area(key="edit_excerpt").value  # the excerpt, in the form
    assert "8 Sci\\-Fi Games About Artificial Intelligence" in page_text  # related, escaped markdown
    fields = table_with(app, "field")
    assert "secured" not in set(fields["field"])
    assert dict(zip(fields["field"], fields["value"], strict=True))["quality"] == "52"


def test_bulk_publish_through_the_confirmation(app, docs):
    """An editor publishes every shown sport article after confirming how many files change."""
    app.query_params["category"] = "sport"
    app.run()
    frame = load_collection(docs).frame
    sport = frame[frame["category"] == "sport"]
    changing = sport.index[~sport["published"]]
    assert app.button(key="bulk_publish_shown").label == f"Publish all {len(sport)} shown"
    app.button(key="bulk_publish_shown").click().run()
    dialog_text = " ".join(element.value for element in app.markdown)
    assert f"{len(changing)} files will change" in dialog_text
    untouched = {path.name: path.read_bytes() for path in docs.glob("*.txt") if path.name not in set(sport.index)}
    app.button(key="bulk_confirm").click().run()
    after = load_collection(docs).frame
    assert after.loc[sport.index, "published"].all()
    assert all((docs / name).read_bytes() == content for name, content in untouched.items())
    assert [success.value for success in app.success] == [f"Published {len(changing)} · 0 conflicts · 0 refused"]


def test_bulk_can_be_cancelled(app, docs):
    app.run()
    before = {path.name: path.read_bytes() for path in docs.glob("*.txt")}
    app.button(key="bulk_unpublish_shown").click().run()
    app.button(key="bulk_cancel").click().run()
    assert {path.name: path.read_bytes() for path in docs.glob("*.txt")} == before
    assert "bulk_confirm" not in [button.key for button in app.button]


def test_the_problems_page_lists_a_broken_document(app, docs):
    app.run()
    app.switch_page("curation/views/problems.py").run()
    table = table_with(app, "path")
    assert list(table["path"]) == ["broken.txt"] and list(table["line"]) == [3]
    report = app.code[0].value
    assert "broken.txt:3: `quality` must be a whole number from 0 to 100, not 500" in report


def test_the_history_page_undoes_a_change(app, docs):
    path = docs / SEED_ID
    original = path.read_bytes()
    app.query_params["search"] = "Jung_E"  # URL state is read when a session starts
    app.run()
    assert row_ids(app) == [SEED_ID]
    tick(app, SEED_ID, False)
    assert path.read_bytes() != original
    app.switch_page("curation/views/history.py").run()
    history = table_with(app, "change")
    assert list(history["change"]) == ["published → unpublished"]
    app.button(key="undo_last").click().run()
    assert path.read_bytes() == original
    title = load_collection(docs).frame.loc[SEED_ID, "title"]
    assert [toast.value for toast in app.toast] == [
        f"Reverted: {escape_markdown(title)} :small[{escape_markdown(SEED_ID)}]"
    ]
    entries, _ = read_audit_log(docs / ".curation" / "audit.jsonl")
    assert len(entries) == 2 and entries[1].undoes == entries[0].change


def test_the_gallery_toggle_writes_the_file(app, docs):
    app.query_params["search"] = "Jung_E"
    app.run()
    app.switch_page("curation/views/gallery.py").run()
    (toggle,) = [toggle for toggle in app.toggle if toggle.key.startswith("gallery_published_")]
    assert toggle.value is True
    toggle.set_value(False).run()
    assert b"\npublished: false\n" in (docs / SEED_ID).read_bytes()
    assert no_exceptions(app)


def gallery_toggles(at: AppTest) -> list:
    return [toggle for toggle in at.toggle if toggle.key.startswith("gallery_published_")]


def gallery_card_ids(at: AppTest) -> list[str]:
    """The cards' article ids, in page order (each toggle's key carries its article's id and sha)."""
    return [toggle.key.removeprefix("gallery_published_").rsplit("_", 1)[0] for toggle in gallery_toggles(at)]


def test_gallery_cards_hold_still_while_the_editor_publishes_them_one_after_another(app, docs):
    """In the unpublished gallery an editor publishes the first three cards, clicking each in its place: the
    three chosen articles are published and no other, every card stays where it was, and Refresh lets
    the published ones go."""
    app.query_params["published"] = "unpublished"
    app.query_params.pop("search", None)
    app.run()
    app.switch_page("curation/views/gallery.py").run()
    opened = gallery_card_ids(app)
    assert len(opened) > 4
    for position in range(3):
        gallery_toggles(app)[position].set_value(True).run()  # the card in that place, as a pointer would
        assert gallery_card_ids(app) == opened
    frame = load_collection(docs).frame
    assert frame.loc[opened[:3], "published"].all() and not frame.loc[opened[3:], "published"].any()
    assert [toggle.value for toggle in gallery_toggles(app)][:4] == [True, True, True, False]
    assert any("3 changed since this view was opened" in text.value for text in app.markdown)
    assert sum("changed]" in text.value for text in app.markdown) == 3  # the cards' *changed* marks
    app.button(key="gallery_refresh").click().run()
    assert not set(gallery_card_ids(app)) & set(opened[:3])
    assert no_exceptions(app)


def test_hostile_titles_are_shown_as_text(app, docs):
    write_document(
        docs,
        "hostile.txt",
        '---\ntitle: "<script>window.pwned=1</script> **bold** [click](javascript:alert(1))"\n'
        'webUrl: "javascript:alert(1)"\nimages:\n  - url: "data:image/png;base64,AAAA"\n---\n',
    )
    app.query_params["search"] = "pwned"
    app.run()
    assert row_ids(app) == ["hostile.txt"]
    hostile = row(app, "hostile.txt")
    # The table gets the title as it is (its script draws text, never markup) and no link: the URL is javascript:
    assert hostile["title"] == "<script>window.pwned=1</script> **bold** [click](javascript:alert(1))"
    assert hostile["url"] is None
    # Every markdown character escaped, and a word joiner after the colon (no javascript: link, no icon).
    shown = r"\<script\>window\.pwned=1\</script\> \*\*bold\*\* \[click\]\(javascript\:" "\u2060" r"alert\(1\)\)"
    app.switch_page("curation/views/gallery.py").run()
    card_title = next(element.value for element in app.markdown if "script" in element.value)
    assert card_title == f"**{shown}**"  # plain text: no link, no emphasis, no tag
    assert not app.image


def test_read_only_mode_shows_no_write_control(app, docs, monkeypatch):
    monkeypatch.setenv("CURATION_READ_ONLY", "1")
    app.run()
    bulk = {button.key: button.disabled for button in app.button if button.key.startswith("bulk_")}
    assert bulk == dict.fromkeys(BULK_BUTTONS, True)
    assert len(row_ids(app)) == 25 and table_data(app)["canEdit"] is False  # the boxes are drawn disabled
    before = {path.name: path.read_bytes() for path in docs.glob("*.txt")}
    TableBrowser(app).tick(row_ids(app)[0], not published(app, row_ids(app)[0]))  # a forged tick
    assert {path.name: path.read_bytes() for path in docs.glob("*.txt")} == before
    assert any("Nothing was written" in toast.value for toast in app.toast)
    app.switch_page("curation/views/gallery.py").run()
    toggles = [toggle.disabled for toggle in app.toggle if toggle.key.startswith("gallery_published_")]
    assert len(toggles) == 24 and all(toggles)


def test_a_missing_docs_folder_is_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATION_DOCS", str(tmp_path / "nowhere"))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    assert no_exceptions(at)
    (error,) = at.error
    assert "nowhere: docs folder does not exist" in error.value and "CURATION_DOCS" in error.value
