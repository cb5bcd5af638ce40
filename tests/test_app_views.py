"""Saved views in the sidebar, through AppTest: open one, open one from a link, save the current filters as one,
another editor's save of the same name meanwhile, rename, delete, read-only sessions and a broken views file."""

from __future__ import annotations

import hashlib

from curation.query.filters import Filters
from curation.query.saved_views import read_views, save_view
from tests.test_app import no_exceptions
from tests.test_app_filters import readable, sentence, url

MORNING = Filters(published="unpublished", categories=("news",), sort="quality", descending=True)


def open_button(at, name: str):
    return at.button(key=f"open_view_{hashlib.sha256(name.encode()).hexdigest()[:12]}")


def warnings(at) -> list[str]:
    return [readable(warning.value) for warning in at.warning]


def test_opening_a_view_applies_its_filters_and_sort_and_the_url_names_it(app, docs):
    save_view(docs, "Morning", MORNING, "ann")
    app.run()
    assert open_button(app, "Morning").label == "Morning"
    open_button(app, "Morning").click().run()
    assert no_exceptions(app)
    assert app.segmented_control(key="published").value == "unpublished"
    assert app.multiselect(key="category").value == ["news"]
    assert (app.selectbox(key="sort").value, app.toggle(key="desc").value) == ("quality", True)
    assert url(app) == {"view": ["Morning"], "published": ["unpublished"], "category": ["news"], "sort": ["quality"]}
    assert sentence(app).endswith("— unpublished · category news")
    app.multiselect(key="category").select("sport").run()  # no longer the view: the link stops naming it
    assert "view" not in url(app) and url(app)["category"] == ["news", "sport"]


def test_a_link_with_a_view_opens_it_in_a_fresh_session(app, docs):
    save_view(docs, "Morning", MORNING, "ann")
    app.query_params["view"] = "Morning"
    app.run()
    assert no_exceptions(app)
    assert (app.segmented_control(key="published").value, app.multiselect(key="category").value) == (
        "unpublished", ["news"],
    )  # fmt: skip
    assert url(app)["view"] == ["Morning"] and open_button(app, "Morning").proto.type == "primary"


def test_a_link_to_a_view_that_is_gone_says_so(app, docs):
    save_view(docs, "Evening", Filters(published="published"), "ann")
    app.query_params["view"] = "Morning"
    app.query_params["category"] = "sport"
    app.run()
    assert no_exceptions(app)
    assert any("no view named 'Morning'; the saved views are: Evening" in text for text in warnings(app))
    assert app.multiselect(key="category").value == ["sport"] and "view" not in url(app)


def test_save_the_current_filters_as_a_view(app, docs):
    app.run()
    app.segmented_control(key="published").set_value("unpublished").run()
    app.text_input(key="view_save_name").input("My queue").run()
    app.button(key="view_save").click().run()
    assert no_exceptions(app)
    view = read_views(docs).named("My queue")
    assert view.filters()[0] == Filters(published="unpublished", sort="publishedDateTime", descending=True)
    assert view.saved_by == "anonymous"
    assert url(app)["view"] == ["My queue"] and open_button(app, "My queue") is not None
    assert app.text_input(key="view_save_name").value == ""


def test_another_editor_saving_the_same_name_meanwhile_is_named_and_overwrite_is_a_choice(app, docs):
    app.run()
    app.segmented_control(key="published").set_value("published").run()
    app.text_input(key="view_save_name").input("Morning").run()  # the list this editor sees has no Morning
    save_view(docs, "Morning", MORNING, "ann")  # another editor, meanwhile
    app.button(key="view_save").click().run()
    assert no_exceptions(app)
    (message,) = [text for text in warnings(app) if "Morning" in text]
    assert message.startswith("A view named Morning was saved by ann at ") and message.endswith(
        "meanwhile. Overwrite it with the current filters?"
    )
    assert read_views(docs).named("Morning").filters()[0] == MORNING  # nothing written yet
    app.button(key="view_overwrite").click().run()
    view = read_views(docs).named("Morning")
    assert view.saved_by == "anonymous" and view.filters()[0].published == "published"


def test_saving_over_a_listed_view_asks_first_and_cancel_keeps_it(app, docs):
    save_view(docs, "Morning", MORNING, "ann")
    app.run()
    app.text_input(key="view_save_name").input("Morning").run()
    app.button(key="view_save").click().run()
    assert any(text.startswith("A view named Morning exists (saved by ann at ") for text in warnings(app))
    app.button(key="view_cancel").click().run()
    assert read_views(docs).named("Morning").saved_by == "ann"
    assert not any("A view named Morning" in text for text in warnings(app))


def test_rename_then_delete_after_confirming(app, docs):
    save_view(docs, "Morning", MORNING, "ann")
    save_view(docs, "Evening", Filters(published="published"), "ann")
    app.run()
    app.selectbox(key="view_chosen").select("Morning").run()
    app.text_input(key="view_new_name").input("Dawn").run()
    app.button(key="view_rename").click().run()
    assert read_views(docs).names() == ["Dawn", "Evening"]
    app.selectbox(key="view_chosen").select("Evening").run()
    app.button(key="view_delete").click().run()
    assert read_views(docs).names() == ["Dawn", "Evening"]  # asks first
    assert any(text.startswith("Delete the view Evening (saved by ann at ") for text in warnings(app))
    app.button(key="view_delete_confirm").click().run()
    assert no_exceptions(app) and read_views(docs).names() == ["Dawn"]


def test_a_read_only_session_opens_views_but_cannot_change_them(app, docs, monkeypatch):
    monkeypatch.setenv("CURATION_READ_ONLY", "1")
    save_view(docs, "Morning", MORNING, "ann")
    app.run()
    assert app.button(key="view_save").disabled and app.button(key="view_delete").disabled
    assert app.text_input(key="view_save_name").disabled
    open_button(app, "Morning").click().run()
    assert app.multiselect(key="category").value == ["news"] and url(app)["view"] == ["Morning"]


def test_a_broken_views_file_is_named_and_the_page_still_works(app, docs):
    (docs / ".curation").mkdir(exist_ok=True)
    (docs / ".curation" / "views.json").write_text("{not json")
    app.run()
    assert no_exceptions(app)
    assert any(f"{docs}/.curation/views.json:1: is not JSON" in text for text in warnings(app))
    assert sentence(app)  # the header and table are drawn


def test_a_view_name_is_shown_as_text_never_as_markdown(app, docs):
    name = "**Loud** [click](https://evil.example) :red[x]"
    save_view(docs, name, MORNING, "ann")
    app.run()
    label = open_button(app, name).label
    assert readable(label) == name and label != name  # every markdown character escaped


def test_saving_the_filters_a_view_holds_already_writes_nothing_and_says_so(app, docs):
    save_view(docs, "Morning", MORNING, "ann")
    before = (docs / ".curation" / "views.json").read_bytes()
    app.run()
    open_button(app, "Morning").click().run()
    app.text_input(key="view_save_name").input("Morning").run()
    app.button(key="view_save").click().run()
    assert (docs / ".curation" / "views.json").read_bytes() == before
    assert any("holds these filters already; nothing was saved" in toast.value for toast in app.toast)
    assert not any("A view named Morning" in text for text in warnings(app))
