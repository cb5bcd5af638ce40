"""The dashboard's page logic, driven through AppTest on a temp copy of the documents."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from curation.audit import read_audit_log
from curation.collection import load_collection
from curation.safety import escape_markdown
from tests.conftest import REPO, SEED_ID, write_document

PAGES = ("articles", "charts", "gallery", "problems", "history")


@pytest.fixture
def app(docs, monkeypatch):
    """The dashboard opened on a private copy of seeds/ (with one broken document added)."""
    write_document(docs, "broken.txt", "---\ntitle: Broken\nquality: 500\n---\n")
    monkeypatch.setenv("CURATION_DOCS", str(docs))
    monkeypatch.delenv("CURATION_READ_ONLY", raising=False)
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=60)


def header(at: AppTest) -> str:
    return at.markdown[0].value


def no_exceptions(at: AppTest) -> bool:
    return [exception.value for exception in at.exception] == []


def table_with(at: AppTest, column: str):
    """The first read-only table that has this column (st.dataframe keys are not exposed to AppTest)."""
    return next(frame.value for frame in at.dataframe if frame.editing_mode == "read_only" and column in frame.value)


def edit_table(at: AppTest, edits: dict[int, dict[str, bool]]) -> AppTest:
    """Tick cells in the Articles table the way the browser reports it: by row position."""
    key = at.data_editor[0].key
    at.session_state[key] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
    return at.run()


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
    table = app.data_editor[0].value
    assert set(table.index) <= set(expected.index)
    assert len(table) == min(50, len(expected))
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
    """An editor ticks Published on an unpublished article; its file says so at once."""
    app.query_params["published"] = "unpublished"
    app.run()
    doc_id = app.data_editor[0].value.index[0]
    before = (docs / doc_id).read_bytes()
    edit_table(app, {0: {"published": True}})
    assert no_exceptions(app)
    assert (docs / doc_id).read_bytes() == before.replace(b"\npublished: false\n", b"\npublished: true\n")
    assert [toast.value for toast in app.toast] == [f"Published {doc_id}"]
    assert doc_id not in app.data_editor[0].value.index  # no longer unpublished
    (entry,) = read_audit_log(docs / ".curation" / "audit.jsonl")[0]
    assert (entry["id"], entry["new"], entry["editor"]) == (doc_id, True, "anonymous")


def test_the_editor_name_is_recorded(app, docs):
    app.run()
    app.text_input(key="editor_name").input("Ann Editor").run()
    doc_id = app.data_editor[0].value.index[0]
    published = bool(app.data_editor[0].value["published"].iloc[0])
    edit_table(app, {0: {"published": not published}})
    (entry,) = read_audit_log(docs / ".curation" / "audit.jsonl")[0]
    assert (entry["id"], entry["editor"]) == (doc_id, "Ann Editor")


def test_a_conflict_shows_an_error_and_keeps_the_other_change(app, docs):
    """Someone edits the file after the page loaded; the tick is refused and their edit survives."""
    app.query_params["published"] = "unpublished"
    app.run()
    doc_id = app.data_editor[0].value.index[0]
    path = docs / doc_id
    path.write_bytes(path.read_bytes() + b"A note another editor added.\n")  # their change
    external = path.read_bytes()
    edit_table(app, {0: {"published": True}})
    assert path.read_bytes() == external
    errors = [error.value for error in app.error]
    assert len(errors) == 1 and "Conflict" in errors[0] and doc_id in errors[0]
    assert not app.data_editor[0].value.loc[doc_id, "published"]  # the table shows the disk


def test_selecting_a_row_opens_its_details(app, docs):
    app.query_params["search"] = "Jung_E"
    app.run()
    assert list(app.data_editor[0].value.index) == [SEED_ID]
    edit_table(app, {0: {"select": True}})
    assert app.selectbox(key="details_id").value == SEED_ID
    page_text = " ".join(element.value for element in app.markdown)
    assert "Busan" in page_text  # the excerpt
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
    assert list(app.data_editor[0].value.index) == [SEED_ID]
    edit_table(app, {0: {"published": False}})
    assert path.read_bytes() != original
    app.switch_page("curation/views/history.py").run()
    history = table_with(app, "change")
    assert list(history["change"]) == ["published → unpublished"]
    app.button(key="undo_last").click().run()
    assert path.read_bytes() == original
    assert [toast.value for toast in app.toast] == [f"Reverted {SEED_ID}"]
    entries, _ = read_audit_log(docs / ".curation" / "audit.jsonl")
    assert len(entries) == 2 and entries[1]["undoes"] == entries[0]["change"]


def test_the_gallery_toggle_writes_the_file(app, docs):
    app.query_params["search"] = "Jung_E"
    app.run()
    app.switch_page("curation/views/gallery.py").run()
    (toggle,) = [toggle for toggle in app.toggle if toggle.key.startswith("gallery_published_")]
    assert toggle.value is True
    toggle.set_value(False).run()
    assert b"\npublished: false\n" in (docs / SEED_ID).read_bytes()
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
    table = app.data_editor[0].value
    assert table.loc["hostile.txt", "title"].startswith("<script>")
    assert table["link"].isna().all() and table["image"].isna().all()
    app.switch_page("curation/views/gallery.py").run()
    card_title = next(element.value for element in app.markdown if "script" in element.value)
    title = "<script>window.pwned=1</script> **bold** [click](javascript:alert(1))"
    assert card_title == f"**{escape_markdown(title)}**"  # plain text: no link, no emphasis, no tag
    assert card_title.startswith("**\\<script\\>")
    assert not app.image


def test_read_only_mode_shows_no_write_control(app, monkeypatch):
    monkeypatch.setenv("CURATION_READ_ONLY", "1")
    app.run()
    buttons = {button.key: button for button in app.button}
    assert all(buttons[key].disabled for key in buttons if key.startswith("bulk_"))
    app.switch_page("curation/views/gallery.py").run()
    assert all(toggle.disabled for toggle in app.toggle if toggle.key.startswith("gallery_published_"))


def test_a_missing_docs_folder_is_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("CURATION_DOCS", str(tmp_path / "nowhere"))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    assert no_exceptions(at)
    (error,) = at.error
    assert "nowhere: docs folder does not exist" in error.value and "CURATION_DOCS" in error.value
