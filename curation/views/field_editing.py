"""Editing fields from the Articles page: category, type and topics of a row, title and excerpt in the
details, and bulk category and topic changes on the selection.

Every write goes through the same safe path as a Published tick (curation.editing.publish), by id, with the
sha of the version the editor saw, and swaps the written row into the shared collection, so the rows
hold still and show the new values, marked as changed.

A form writes only the fields whose value the editor changed, compared exactly with what it showed: a
value in the file that a typed one could not be (too long, spaces around it, a tab) stays as it is
unless the editor changes it. The title and excerpt form outlives new versions of its file, so what
the editor typed is never dropped: a field is written onto the newest version when its value there is
still the one the form showed, and is a conflict (kept, shown, "Apply mine") when it is not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from curation.editing.field_edits import check_value
from curation.editing.publish import Change, change_topics, set_field
from curation.errors import InvalidValueError
from curation.views.session import Dashboard, article_name, flash, keep_bulk_summary, write_changes

EDIT_KEY = "_field_edit"  # the row whose edit dialog is open
FIELD_BULK_KEY = "_field_bulk"  # the bulk field change waiting for confirmation
BULK_ACTIONS = {"category": "Set category", "add": "Add topic", "remove": "Remove topic"}
ROW_FIELDS = ("category", "type", "topics")  # the row's dialog
DETAILS_FORM_FIELDS = ("title", "excerpt")  # the details' form
TEXT_FORM_KEY = "_text_form"  # the title and excerpt form drawn in the details
TEXT_FORMS_MADE_KEY = "_text_forms_made"  # how many were made in this session (a new one gets new widgets)
TEXT_APPLY_KEY = "_text_apply"  # the number of the form whose "Apply mine" was pressed
LABELS = {"title": "Title", "excerpt": "Excerpt", "category": "Category", "type": "Type", "topics": "Topics"}


@dataclass(frozen=True)
class RowEdit:
    """The row an editor opened for editing: the sha and the values its row showed then."""

    doc_id: str
    sha: str
    shown: dict[str, object]


@dataclass(frozen=True)
class TextForm:
    """The title and excerpt form of one article, with the values it was drawn with (what the editor saw).

    Its widgets are keyed by a number, not by the file's sha: a new version of the file (a Published tick,
    another editor's save) keeps the form and what the editor typed in it.
    """

    doc_id: str
    number: int
    shown: dict[str, str]

    def key(self, name: str) -> str:
        return f"details_{name}:{self.doc_id}:{self.number}"


@dataclass(frozen=True)
class FieldBulkRequest:
    """A bulk field change the editor asked for: what, on which ids, with the shas they saw."""

    action: str  # a key of BULK_ACTIONS
    ids: tuple[str, ...]
    shas: dict[str, str]


def shown_values(row: pd.Series, fields: tuple[str, ...]) -> dict[str, object]:
    """The row's values of these fields, exactly as a form shows them (topics as a list)."""
    return {field: list(row[field]) if field == "topics" else row[field] for field in fields}


def changed_values(shown: Mapping[str, object], typed: Mapping[str, object]) -> dict[str, object]:
    """The fields whose value the editor changed: compared exactly (unstripped) with what the form showed."""
    return {field: typed[field] for field in shown if typed[field] != shown[field]}


def checked_values(changed: Mapping[str, object]) -> dict[str, object]:
    """The changed values as they will be written; InvalidValueError names the first bad one."""
    return {field: check_value(field, value) for field, value in changed.items()}


def edit_button(cells: DeltaGenerator, row: pd.Series, label: str, can_edit: bool) -> None:
    """The row's edit button (named "Edit: <title>" for screen readers; a pencil on screen): opens the dialog
    for this article, by id, with the sha and the values the row shows."""
    cells.button(
        f"Edit: {label}", icon=":material/edit:", key=f"edit:{row.name}", on_click=_open_editor,
        args=(RowEdit(row.name, row["sha256"], shown_values(row, ROW_FIELDS)),),
        help=f"Edit category, type and topics of {label}", disabled=not can_edit, type="tertiary",
    )  # fmt: skip


def _open_editor(request: RowEdit) -> None:
    st.session_state[EDIT_KEY] = request
    st.rerun()  # the button sits in its row's fragment; the dialog belongs to the whole page


def _close_editor() -> None:
    st.session_state.pop(EDIT_KEY, None)


def _save(board: Dashboard, doc_id: str, sha: str, values: dict[str, object]) -> bool:
    """Write each changed field in turn, each with the sha the previous write left; one message for all.
    Whether every field was written."""
    messages: list[tuple[str, str]] = []
    expected = sha
    saved = []
    written = True
    for field, value in values.items():
        outcomes = write_changes(
            board, [doc_id], _setter(board, field, value), {doc_id: expected}, "Saved",
            lambda kind, text: messages.append((kind, text)),
        )  # fmt: skip
        outcome = outcomes[0] if outcomes else None
        if outcome is None or outcome.failed:
            written = False
            break
        if outcome.change is not None and outcome.change.changed:
            expected = outcome.change.sha_after
            saved.append(field)
    errors = [(kind, text) for kind, text in messages if kind == "error"]
    for kind, text in errors:
        flash(kind, text)
    if saved:
        flash("success", f"Saved {', '.join(saved)}: {article_name(doc_id, board.collection.frame['title'])}")
    elif not errors:
        _say_nothing_changed(board, doc_id)
    return written


def _say_nothing_changed(board: Dashboard, doc_id: str) -> None:
    flash("info", f"Nothing changed: {article_name(doc_id, board.collection.frame['title'])}")


def _setter(board: Dashboard, field: str, value: object) -> Callable[..., Change]:
    location = board.location
    return lambda doc_id, **options: set_field(location, doc_id, field, value, **options)


def _show_invalid(error: InvalidValueError) -> None:
    st.error(f"{LABELS.get(error.path, error.path)}: {error.message}. Nothing was saved.")


@st.dialog("Edit article", on_dismiss=_close_editor)
def edit_dialog(board: Dashboard) -> None:
    """Category, type and topics of the row the editor opened, as the row showed them."""
    request: RowEdit = st.session_state[EDIT_KEY]
    frame = board.collection.frame
    if request.doc_id not in frame.index:
        st.warning("This article's file went away.")
        return
    shown = request.shown
    st.markdown(article_name(request.doc_id, frame["title"]))
    topic_choices = sorted({*board.collection.facets["topic"].labels, *shown["topics"]})
    # No max_chars: a widget would cut a longer value already in the file; a changed value is checked instead.
    with st.form(key="edit_form", border=False):
        category = st.text_input("Category", value=shown["category"], key="edit_category")
        kind = st.text_input("Type", value=shown["type"], key="edit_type")
        topics = st.multiselect(
            "Topics", topic_choices, default=shown["topics"], key="edit_topics", accept_new_options=True
        )
        submitted = st.form_submit_button("Save", type="primary", disabled=not board.can_edit)
    if submitted:
        changed = changed_values(shown, {"category": category, "type": kind, "topics": list(topics)})
        try:
            checked = checked_values(changed)
        except InvalidValueError as error:
            _show_invalid(error)
            return
        if checked:
            _save(board, request.doc_id, request.sha, checked)
        else:
            _say_nothing_changed(board, request.doc_id)
        _close_editor()
        st.rerun()


def _text_form(doc_id: str, on_disk: dict[str, str]) -> TextForm:
    """The form drawn in the last run for this article, or a new one showing what is on disk."""
    form = st.session_state.get(TEXT_FORM_KEY)
    # Streamlit forgets the widgets of a form a full run did not draw; then the form starts afresh.
    if isinstance(form, TextForm) and form.doc_id == doc_id and form.key("title") in st.session_state:
        return form
    number = st.session_state.get(TEXT_FORMS_MADE_KEY, 0) + 1
    st.session_state[TEXT_FORMS_MADE_KEY] = number
    form = TextForm(doc_id, number, on_disk)
    st.session_state[TEXT_FORM_KEY] = form
    return form


def _drop_text_form() -> None:
    st.session_state.pop(TEXT_FORM_KEY, None)


def _apply_onto(form: TextForm, on_disk: dict[str, str]) -> None:
    """Apply mine: the form now stands on the values the conflict showed, and saves the editor's text."""
    if st.session_state.get(TEXT_FORM_KEY) == form:
        st.session_state[TEXT_FORM_KEY] = replace(form, shown={**form.shown, **on_disk})
        st.session_state[TEXT_APPLY_KEY] = form.number  # its button is not drawn again once nothing conflicts


def render_text_editor(board: Dashboard, doc_id: str) -> None:
    """Title and excerpt of the article in the details. Save writes the fields the editor changed, each only
    while its value on disk is still the one the form showed (another change to the file meanwhile, such
    as a Published tick, is kept); a field changed on disk too is a conflict that keeps the editor's text."""
    frame = board.collection.frame
    if doc_id not in frame.index:
        return
    row = frame.loc[doc_id]
    on_disk = shown_values(row, DETAILS_FORM_FIELDS)
    form = _text_form(doc_id, on_disk)
    applied = st.session_state.pop(TEXT_APPLY_KEY, None) == form.number
    submitted = {field: st.session_state.get(form.key(field), form.shown[field]) for field in DETAILS_FORM_FIELDS}
    moved = [field for field in DETAILS_FORM_FIELDS if on_disk[field] != form.shown[field]]
    conflicts = [field for field in moved if submitted[field] != form.shown[field]]
    # No max_chars: a widget would cut a longer value already in the file; a changed value is checked instead.
    with st.form(key=form.key("form")):
        title = st.text_input("Title", value=form.shown["title"], key=form.key("title"))
        excerpt = st.text_area("Excerpt", value=form.shown["excerpt"], key=form.key("excerpt"))
        for field in conflicts:
            st.error(
                f"**Conflict on the {field}:** it changed on disk since this form was drawn, so nothing was saved. "
                f"Your {field} is still in the box; the {field} on disk now is:"
            )
            st.code(on_disk[field] or "(empty)", language=None, wrap_lines=True)
        if conflicts:
            st.form_submit_button(
                f"Apply my {' and '.join(conflicts)} onto the version on disk", key=form.key("apply"),
                on_click=_apply_onto, args=(form, {field: on_disk[field] for field in conflicts}),
                disabled=not board.can_edit,
            )  # fmt: skip
        saved = st.form_submit_button("Save title and excerpt", key=form.key("save"), disabled=not board.can_edit)
    for field in moved:
        if field not in conflicts:
            st.info(f"The {field} changed on disk since this form was drawn; Save leaves it as it is on disk.")
    if moved:
        st.button("Discard my changes and show the version on disk", key=form.key("reload"), on_click=_drop_text_form)
    if saved or applied:
        _save_text(board, doc_id, form, {"title": title, "excerpt": excerpt}, conflicts, row["sha256"])


def _save_text(
    board: Dashboard, doc_id: str, form: TextForm, typed: dict[str, str], conflicts: list[str], sha: str
) -> None:
    changed = changed_values(form.shown, typed)
    try:
        checked = checked_values(changed)
    except InvalidValueError as error:
        _show_invalid(error)
        return
    if conflicts:
        return  # shown in the form; the editor's text stays for "Apply mine"
    if not checked:
        _say_nothing_changed(board, doc_id)
        _drop_text_form()
    elif _save(board, doc_id, sha, checked):  # the values it writes over are the ones the form showed
        _drop_text_form()
    st.rerun()


def render_field_bulk_buttons(columns: list[DeltaGenerator], board: Dashboard, selected: set[str]) -> None:
    """Set category…, Add topic… and Remove topic… for the selected articles."""
    chosen = tuple(sorted(selected))
    for column, (action, label) in zip(columns, BULK_ACTIONS.items(), strict=True):
        column.button(
            f"{label}…", key=f"bulk_field_{action}", on_click=_request_field_bulk, args=(board, action, chosen),
            disabled=not (board.can_edit and selected), help=f"{label} for the {len(selected):,} selected articles",
        )  # fmt: skip


def _request_field_bulk(board: Dashboard, action: str, chosen: tuple[str, ...]) -> None:
    rows = board.collection.frame
    rows = rows[rows.index.isin(chosen)]
    st.session_state[FIELD_BULK_KEY] = FieldBulkRequest(action, tuple(rows.index), dict(rows["sha256"]))


def _bulk_writer(board: Dashboard, action: str, value: str) -> Callable[..., Change]:
    location = board.location
    if action == "category":
        return _setter(board, "category", value)
    change = {"add": [value]} if action == "add" else {"remove": [value]}
    return lambda doc_id, **options: change_topics(location, doc_id, **change, **options)


def _cancel_field_bulk() -> None:
    st.session_state.pop(FIELD_BULK_KEY, None)


def would_change(frame: pd.DataFrame, action: str, value: str) -> pd.Series:
    """Per row: whether the bulk action with this value changes its file."""
    if action == "category":
        return frame["category"] != value
    has_topic = frame["topics"].map(lambda topics: value in topics)
    return ~has_topic if action == "add" else has_topic


@st.dialog("Change the selected articles", on_dismiss=_cancel_field_bulk)
def confirm_field_bulk(board: Dashboard) -> None:
    request: FieldBulkRequest = st.session_state[FIELD_BULK_KEY]
    label = BULK_ACTIONS[request.action]
    field = "category" if request.action == "category" else "topics"
    typed = st.text_input("Category" if field == "category" else "Topic", key="bulk_field_value")
    value: str | None = None
    if typed.strip():
        try:
            value = check_value(field, typed) if field == "category" else check_value(field, [typed])[0]
        except InvalidValueError as error:
            st.error(error.message)
    frame = board.collection.frame.reindex(list(request.ids)).dropna(subset=["sha256"])
    changing = list(frame.index[would_change(frame, request.action, value)]) if value is not None else []
    st.markdown(f"**{len(changing):,} files will change** of the {len(request.ids):,} selected articles.")
    confirm_column, cancel_column = st.columns(2)
    confirm = confirm_column.button(
        f"{label}: {len(changing):,}", key="bulk_field_confirm", type="primary", disabled=not changing
    )
    if confirm:
        outcomes = write_changes(
            board, changing, _bulk_writer(board, request.action, value), request.shas, label, lambda *_: None
        )
        keep_bulk_summary(f"{label}:", outcomes)
        _cancel_field_bulk()
        st.rerun()
    if cancel_column.button("Cancel", key="bulk_field_cancel"):
        _cancel_field_bulk()
        st.rerun()
