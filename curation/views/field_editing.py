"""Editing fields from the Articles page: title, excerpt, category, type and topics in an article's dialog
(opened from its row), and bulk category and topic changes on the selection.

Every write goes through the same safe path as a Published tick (curation.editing.publish), by id, with the
sha of the version the editor saw, and swaps the written row into the shared collection, so the rows
hold still and show the new values, marked as changed.

A form writes only the fields whose value the editor changed, compared exactly with what it showed: a
value in the file that a typed one could not be (too long, spaces around it, a tab) stays as it is
unless the editor changes it. The dialog's save is per field: a changed field is written onto the newest
version of the file when its value there is still the one the form showed (another editor's Published
tick or excerpt fix meanwhile stays), and is a conflict when it is not: nothing is written, the editor's
text stays in the form beside what is on disk, and "Apply mine" writes it onto that version.
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
from curation.views.article_details import render_details
from curation.views.scheduled import render_row_schedule
from curation.views.session import Dashboard, article_name, flash, keep_bulk_summary, write_changes

EDIT_KEY = "_field_edit"  # the row whose edit dialog is open
APPLY_KEY = "_field_edit_apply"  # "Apply mine" was pressed in the dialog
FIELD_BULK_KEY = "_field_bulk"  # the bulk field change waiting for confirmation
SAVED_KEY = "_field_edit_saved"  # (id, the change ids) of the dialog's last save: Triage's `z` can undo them
BULK_ACTIONS = {"category": "Set category", "add": "Add topic", "remove": "Remove topic"}
ROW_FIELDS = ("title", "excerpt", "category", "type", "topics")  # the article's dialog
HISTORY_PAGE = "curation/views/history.py"  # as app.py registers it
LABELS = {"title": "Title", "excerpt": "Excerpt", "category": "Category", "type": "Type", "topics": "Topics"}


@dataclass(frozen=True)
class RowEdit:
    """The article an editor opened: the values the form shows (what the editor started from) and the values
    a save applies onto (the same, until the editor applies their text onto another editor's change)."""

    doc_id: str
    sha: str
    shown: dict[str, object]
    base: dict[str, object] | None = None

    @property
    def applied_onto(self) -> dict[str, object]:
        return self.shown if self.base is None else self.base


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


def row_edit(row: pd.Series) -> RowEdit:
    """The dialog's request for this row: its id, and the sha and values as the row shows them now."""
    return RowEdit(row.name, row["sha256"], shown_values(row, ROW_FIELDS))


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
    saved, changes = [], []
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
            if outcome.change.entry is not None:
                changes.append(outcome.change.entry.change)
    errors = [(kind, text) for kind, text in messages if kind == "error"]
    for kind, text in errors:
        flash(kind, text)
    st.session_state[SAVED_KEY] = (doc_id, tuple(changes))
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


def _apply_onto(request: RowEdit, on_disk: dict[str, object]) -> None:
    """Apply mine: the editor's text is written onto the values now on disk for these fields."""
    st.session_state[EDIT_KEY] = replace(request, base={**request.applied_onto, **on_disk})
    st.session_state[APPLY_KEY] = True


@st.dialog("Article", width="large", on_dismiss=_close_editor)
def edit_dialog(board: Dashboard) -> None:
    """The article the editor opened from its row: its fields as the row showed them, and its details."""
    request: RowEdit = st.session_state[EDIT_KEY]
    frame = board.collection.frame
    if request.doc_id not in frame.index:
        st.warning("This article's file went away.")
        return
    shown = request.shown
    current = frame.loc[request.doc_id]
    on_disk = shown_values(current, ROW_FIELDS)
    applied = st.session_state.pop(APPLY_KEY, False)
    st.markdown(article_name(request.doc_id, frame["title"]))
    topic_choices = sorted({*board.collection.facets["topic"].labels, *shown["topics"]})
    # No max_chars: a widget would cut a longer value already in the file; a changed value is checked instead.
    with st.form(key="edit_form", border=False):
        title = st.text_input("Title", value=shown["title"], key="edit_title")
        excerpt = st.text_area("Excerpt", value=shown["excerpt"], key="edit_excerpt")
        category_column, type_column = st.columns(2)
        category = category_column.text_input("Category", value=shown["category"], key="edit_category")
        kind = type_column.text_input("Type", value=shown["type"], key="edit_type")
        topics = st.multiselect(
            "Topics", topic_choices, default=shown["topics"], key="edit_topics", accept_new_options=True
        )
        typed = {"title": title, "excerpt": excerpt, "category": category, "type": kind, "topics": list(topics)}
        changed = changed_values(shown, typed)
        base = request.applied_onto
        conflicts = [field for field in changed if on_disk[field] != base[field]]
        for field in conflicts:
            st.error(
                f"**Conflict on the {field}:** it changed on disk since this article was opened, so nothing was "
                f"saved. Your {field} is still in the form; the {field} on disk now is:"
            )
            st.code(_text(on_disk[field]) or "(empty)", language=None, wrap_lines=True)
        if conflicts:
            st.form_submit_button(
                f"Apply my {' and '.join(conflicts)} onto the version on disk", key="edit_apply",
                on_click=_apply_onto, args=(request, {field: on_disk[field] for field in conflicts}),
                disabled=not board.can_edit,
            )  # fmt: skip
        submitted = st.form_submit_button("Save", type="primary", disabled=not board.can_edit)
    if (submitted or applied) and not conflicts:
        try:
            checked = checked_values(changed)
        except InvalidValueError as error:
            _show_invalid(error)
            return
        if checked:  # onto the newest version: every field written was still what the form stood on
            _save(board, request.doc_id, current["sha256"], checked)
        else:
            _say_nothing_changed(board, request.doc_id)
        _close_editor()
        st.rerun()
    render_row_schedule(board, request.doc_id)
    st.page_link(
        HISTORY_PAGE, label="History of this article", icon=":material/history:",
        query_params={"article": request.doc_id},
    )  # fmt: skip
    render_details(board.location, request.doc_id)


def _text(value: object) -> str:
    return ", ".join(value) if isinstance(value, list) else str(value)


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
    st.rerun()  # the button is in the table's fragment; the confirmation is a dialog of the whole page


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
