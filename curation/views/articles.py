"""Articles: the filtered table with publish ticks, selection, details, bulk actions and export.

The table is one element (article_table.py and its script): the page sends
the rows of the page it shows as data, and the browser sends back events by
id and sha, applied here in one callback, exactly once each. A tick writes
through the same safe path as every write, and reruns only the table's
fragment (the toolbar and the table): the write, a toast, and new data for
one element.

Rows hold still: the page's ids are a RowSnapshot, taken again only when the
filter, the sort, the page or the page size changes, or the editor presses
Refresh. Between, each row shows its article's current state (ours or another
editor's change), marked when it changed since the view was opened.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterator, Sequence

import pandas as pd
import streamlit as st

from curation.editing.publish import OutcomeStatus
from curation.query.export import (
    EXPORT_COLUMNS,
    csv_chunks,
    export_file_name,
    exportable_columns,
    joined_chunks,
    json_chunks,
)
from curation.query.filters import DASHBOARD_FILTERS
from curation.safe_markdown import WORD_JOINER
from curation.views.article_table import (
    COLUMNS,
    DEFAULT_COLUMNS,
    DESCENDING_FIRST,
    PAGE_SIZES,
    TableEvent,
    mount_table,
    new_events,
    row_data,
    table_data,
    table_state,
)
from curation.views.field_editing import (
    EDIT_KEY,
    FIELD_BULK_KEY,
    confirm_field_bulk,
    edit_dialog,
    render_field_bulk_buttons,
    row_edit,
)
from curation.views.layout import held_rows, render_header
from curation.views.scheduled import render_selection_schedule
from curation.views.session import (
    BULK_SUMMARY_KEY,
    BulkRequest,
    BulkSummary,
    Dashboard,
    RowSnapshot,
    dashboard,
    keep_bulk_summary,
    live_collection,
    write_published,
)
from curation.views.url_state import seed_from_url, write_parameter
from curation.wording import published_label

PAGE_KEY = "articles_page"
PAGE_VIEW_KEY = "_articles_page_view"  # the filter and page size the page was chosen for
PAGE_SIZE_KEY = "page_size"
COLUMNS_KEY = "details_shown"  # the detail columns shown; kept apart from its widget, which a run may not draw
EXPORT_KEY = "export_columns"
ROWS_KEY = "_articles_rows"
REFRESHES_KEY = "_articles_refreshes"
SELECTED_KEY = "_articles_selected"
OWN_WRITES_KEY = "_articles_own_writes"  # id -> (sha before, sha after) of this session's last write
ROW_ERRORS_KEY = "_articles_row_errors"  # id -> why its last tick was not written
BULK_KEY = "_bulk_request"
PENDING_TOASTS_KEY = "_articles_toasts"  # (icon, markdown) shown by the next run of the table


def _toast(icon: str, text: str) -> None:
    st.session_state.setdefault(PENDING_TOASTS_KEY, []).append((icon, text))


def plain_text(markdown: str) -> str:
    """One of our messages as a person reads it, for the table, which draws text as it is: the file name
    that markdown puts in small type in brackets, no backslash escapes, no word joiners."""
    text = re.sub(r":small\[((?:\\.|[^\\\]])*)\]", r"(\1)", markdown)
    return re.sub(r"\\(.)", r"\1", text).replace(WORD_JOINER, "")


def tick(board: Dashboard, doc_id: str, shown_sha: str, value: bool) -> None:
    """Write what the editor ticked to this article, with the sha its row showed; the table's next run shows
    the outcome (the box settles, or goes back with the row's error) and a toast names the article."""
    own_writes: dict[str, tuple[str, str]] = st.session_state.setdefault(OWN_WRITES_KEY, {})
    errors: dict[str, str] = st.session_state.setdefault(ROW_ERRORS_KEY, {})
    errors.pop(doc_id, None)

    def announce(kind: str, text: str) -> None:
        if kind == "error":
            errors[doc_id] = plain_text(text)  # shown in the row (as text, not markdown) until its next tick
        _toast({"success": "✅", "info": "ℹ️"}.get(kind, "⚠️"), text)

    last = own_writes.get(doc_id)
    # A second tick on the row before it was drawn again still carries the sha from before our first one.
    expected = last[1] if last and last[0] == shown_sha else shown_sha
    outcomes = write_published(board, [doc_id], value, {doc_id: expected}, announce)
    outcome = outcomes[0] if outcomes else None
    if outcome is not None and outcome.change is not None and outcome.status == OutcomeStatus.CHANGED:
        own_writes[doc_id] = (outcome.change.sha_before, outcome.change.sha_after)


def set_selected(doc_ids: tuple[str, ...], value: bool) -> None:
    selected: set[str] = st.session_state.setdefault(SELECTED_KEY, set())
    (selected.update if value else selected.difference_update)(doc_ids)


def sort_by(column: str) -> None:
    """A header click: the same state as the sidebar's Sort (and so the URL); again on it turns the order."""
    if st.session_state.get("sort", DASHBOARD_FILTERS.sort) == column:
        st.session_state["desc"] = not st.session_state.get("desc", DASHBOARD_FILTERS.descending)
    else:
        st.session_state["sort"] = column
        st.session_state["desc"] = column in DESCENDING_FIRST


def open_article(board: Dashboard, doc_id: str) -> None:
    frame = live_collection(board.location).current().frame
    if doc_id in frame.index:
        st.session_state[EDIT_KEY] = row_edit(frame.loc[doc_id])


def apply_table_events(board: Dashboard) -> None:
    """The table's callback: apply each new event from the browser once, in order. A sort or an opened
    article needs the whole page (the sidebar's Sort, a dialog); the rest only the table's fragment."""
    snapshot = st.session_state.get(ROWS_KEY)
    shown = snapshot.ids if isinstance(snapshot, RowSnapshot) else ()
    whole_page = False
    for event in new_events(table_state(), shown, {column.sort for column in COLUMNS.values() if column.sort}
                            | {"title"}):  # fmt: skip
        whole_page |= apply_event(board, event)
    if whole_page:
        st.rerun()


def apply_event(board: Dashboard, event: TableEvent) -> bool:
    """Apply one event; whether the whole page must run again."""
    if event.kind == "tick":
        tick(board, event.ids[0], event.sha, event.value)
    elif event.kind == "select":
        set_selected(event.ids, event.value)
    elif event.kind == "page":  # from the pager, which stays within the pages; a forged number is clamped
        page_size = st.session_state.get(PAGE_SIZE_KEY, PAGE_SIZES[0])
        st.session_state[PAGE_KEY] = min(max(1, event.page), max(1, math.ceil(board.shown_count / page_size)))
    elif event.kind == "layout":
        st.session_state[PAGE_SIZE_KEY] = event.page
        st.session_state[COLUMNS_KEY] = event.columns
    elif event.kind == "sort":
        sort_by(event.column)
        return True
    else:  # open or edit: the article's dialog
        open_article(board, event.ids[0])
        return True
    return False


def refresh() -> None:
    """Refresh callback: take the rows again (the filter may match other rows by now)."""
    st.session_state[REFRESHES_KEY] = st.session_state.get(REFRESHES_KEY, 0) + 1
    st.session_state.pop(ROW_ERRORS_KEY, None)
    st.rerun()  # the whole page: the fragment alone would take the rows from the filter's last full run


def clear_selection() -> None:
    st.session_state.pop(SELECTED_KEY, None)


def request_bulk(board: Dashboard, value: bool, scope: str) -> None:
    """Button callback: remember what the editor asked for, from the rows the button was drawn with; the
    dialog confirms it."""
    rows = board.shown
    if scope == "selected":
        chosen = st.session_state.get(SELECTED_KEY, set())
        rows = rows[rows.index.isin(chosen)]
    st.session_state[BULK_KEY] = BulkRequest(
        value, scope, tuple(rows.index), tuple(rows.index[rows["published"] != value]), dict(rows["sha256"])
    )
    st.rerun()  # the button is in the table's fragment; the confirmation is a dialog of the whole page


def cancel_bulk() -> None:
    st.session_state.pop(BULK_KEY, None)


@st.dialog("Confirm", on_dismiss=cancel_bulk)
def confirm_bulk(board: Dashboard) -> None:
    request: BulkRequest = st.session_state[BULK_KEY]
    verb = "Publish" if request.value else "Unpublish"
    changing, total = len(request.changing), len(request.ids)
    st.write(f"{verb} the {total:,} {request.scope} articles?")
    st.markdown(
        f"**{changing:,} files will change**; {total - changing:,} are already "
        f"{published_label(request.value)} and stay as they are."
    )
    confirm_column, cancel_column = st.columns(2)
    if confirm_column.button(f"{verb} {changing:,}", key="bulk_confirm", type="primary", disabled=not changing):
        outcomes = write_published(board, list(request.changing), request.value, request.shas)
        keep_bulk_summary(f"{verb}ed", outcomes)
        cancel_bulk()
        st.rerun()
    if cancel_column.button("Cancel", key="bulk_cancel"):
        cancel_bulk()
        st.rerun()


def render_bulk_summary() -> None:
    box = st.container(key="bulk_summary")  # drawn on every run: the table below keeps its place
    summary = st.session_state.pop(BULK_SUMMARY_KEY, None)
    if not isinstance(summary, BulkSummary):
        return
    counts = summary.counts
    text = f"{summary.verb} {counts['changed']:,} · {counts['conflict']:,} conflicts · {counts['refused']:,} refused"
    (box.warning if summary.failures else box.success)(text)
    if summary.failures:
        failures = pd.DataFrame(summary.failures, columns=["id", "status", "message"])
        box.dataframe(failures, hide_index=True, key="bulk_failures")


def _page_size_from(values: list[str]) -> int:
    size = int(values[-1])
    if size not in PAGE_SIZES:
        raise ValueError(f"rows per page is one of {PAGE_SIZES}")
    return size


def _columns_from(values: list[str]) -> tuple[str, ...]:
    return tuple(value for value in values if value in COLUMNS)


def chosen_layout() -> tuple[int, tuple[str, ...]]:
    """Rows per page and the detail columns, as chosen (a widget's change is kept before the run starts);
    both kept in the URL."""
    seed_from_url(PAGE_SIZE_KEY, "rows", _page_size_from)
    seed_from_url(COLUMNS_KEY, "show", _columns_from)
    st.session_state.setdefault(PAGE_SIZE_KEY, PAGE_SIZES[0])
    st.session_state.setdefault(COLUMNS_KEY, DEFAULT_COLUMNS)
    page_size = st.session_state[PAGE_SIZE_KEY]
    shown = tuple(key for key in COLUMNS if key in st.session_state[COLUMNS_KEY])  # in the table's order
    write_parameter("rows", [] if page_size == PAGE_SIZES[0] else [str(page_size)])
    write_parameter("show", [] if set(shown) == set(DEFAULT_COLUMNS) else [*shown] or ["none"])
    return page_size, shown


def render_toolbar(board: Dashboard, snapshot: RowSnapshot, frame: pd.DataFrame) -> None:
    """One row: the selection's actions, the shown rows' actions, export, layout, Refresh and the
    "N changed" count."""
    bar = st.container(horizontal=True, wrap=True, gap="small", vertical_alignment="center", key="articles_toolbar")
    selected = board.shown_among(st.session_state.get(SELECTED_KEY, set()))
    count = len(selected)
    render_bulk_buttons(bar, board, "selected", count, lambda verb: f"{verb} {count:,} selected")
    edit = bar.popover(f"Edit {count:,} selected", disabled=not count)
    render_field_bulk_buttons([edit] * 3, board, selected)
    edit.button("Clear the selection", key="clear_selection", on_click=clear_selection)
    render_selection_schedule(edit, board, selected)
    shown_count = board.shown_count
    everything = bar.popover(f"All {shown_count:,} shown")
    render_bulk_buttons(everything, board, "shown", shown_count, lambda verb: f"{verb} all {shown_count:,} shown")
    render_export(board, bar.popover("Export"))
    bar.button(
        "Refresh", key="articles_refresh", on_click=refresh, icon=":material/refresh:",
        help="Take the rows again: articles that no longer match the filter leave, new ones come in",
    )  # fmt: skip
    changed = sum(snapshot.changed(frame))
    bar.markdown(
        f"**{changed:,} changed**", help="Since this view was opened. Rows hold still until you refresh, change "
        "the filter or the sort, or turn the page; a changed row is marked",
    )  # fmt: skip


def render_bulk_buttons(
    area: st.delta_generator.DeltaGenerator, board: Dashboard, scope: str, count: int, label: Callable[[str], str]
) -> None:
    """Publish and Unpublish for the selection or for every shown row; each opens the confirmation."""
    for value in (True, False):
        verb = "Publish" if value else "Unpublish"
        area.button(
            label(verb), key=f"bulk_{verb.lower()}_{scope}", on_click=request_bulk, args=(board, value, scope),
            disabled=not (board.can_edit and count),
        )  # fmt: skip


def render_export(board: Dashboard, area: st.delta_generator.DeltaGenerator) -> None:
    """The export's columns (the CLI's --columns) and the two downloads of every shown row."""
    choices = list(exportable_columns(board.collection.columns))
    st.session_state.setdefault(EXPORT_KEY, list(EXPORT_COLUMNS))
    columns = area.multiselect(
        "Columns exported", choices, key=EXPORT_KEY, help="The columns of the CSV and JSON downloads, in this order"
    ) or list(EXPORT_COLUMNS)
    today = dt.datetime.now(dt.UTC).date()
    area.download_button(
        "Download CSV", data=lambda: download_bytes(board, csv_chunks, columns),
        file_name=export_file_name(board.filters, "csv", today), mime="text/csv", key="export_csv",
        icon=":material/download:", on_click="ignore",
    )  # fmt: skip
    area.download_button(
        "Download JSON", data=lambda: download_bytes(board, json_chunks, columns),
        file_name=export_file_name(board.filters, "json", today), mime="application/json", key="export_json",
        icon=":material/download:", on_click="ignore",
    )  # fmt: skip


def download_bytes(
    board: Dashboard, write: Callable[[Iterator[pd.DataFrame], Sequence[str]], Iterator[bytes]], columns: list[str]
) -> bytes:
    """The file a download button serves, made when it is clicked. Streamlit 1.67 holds a download's
    bytes whole in memory (a callable's result or a file object's read() alike), so the file is made
    once here, read a chunk of rows at a time: no copy of every column of every shown row besides it."""
    return joined_chunks(write(board.collection.column_chunks(board.positions, columns), columns))


def current_page(board: Dashboard, page_size: int, base_view: tuple[object, ...]) -> tuple[int, int]:
    """The page the editor is on and how many there are. Another filter, sort or page size starts at the
    first page (a link's page is kept on the first run). The page stays while the rows hold, even when the
    filter now matches fewer pages (their own ticks took rows out of it)."""
    pages = max(1, math.ceil(board.shown_count / page_size))
    page = st.session_state.get(PAGE_KEY, 1)
    before = st.session_state.get(PAGE_VIEW_KEY)
    if before is not None and before != base_view[:-1]:  # the refresh count aside: Refresh keeps the page
        page = 1
    elif before is None and page > pages:
        page = pages
    st.session_state[PAGE_VIEW_KEY] = base_view[:-1]
    st.session_state[PAGE_KEY] = page
    return page, max(pages, page)


def page_rows(board: Dashboard, page_size: int, page: int, view: tuple[object, ...]) -> RowSnapshot:
    """The page's rows: the ones taken when the view was opened, or taken now for a new view."""
    before = st.session_state.get(ROWS_KEY)
    rows = held_rows(board, page_size, page, view, ROWS_KEY)
    if rows is not before:
        st.session_state.pop(ROW_ERRORS_KEY, None)  # a row's error is shown until its rows are taken again
    return rows


def render_table(board: Dashboard) -> None:
    """The toolbar and the table (a fragment: a tick, a selection or a page turn runs only this)."""
    collection = live_collection(board.location).current()  # in a run of the fragment alone, what is on disk now
    frame = collection.frame
    page_size, columns = chosen_layout()
    base_view = (str(board.location), board.filters, page_size, st.session_state.get(REFRESHES_KEY, 0))
    seed_from_url(PAGE_KEY, "page", lambda values: max(1, int(values[-1])))
    page, pages = current_page(board, page_size, base_view)
    write_parameter("page", [str(page)] if page > 1 else [])
    snapshot = page_rows(board, page_size, page, (*base_view, page))
    render_toolbar(board, snapshot, frame)
    selected = st.session_state.get(SELECTED_KEY, set())
    errors = st.session_state.get(ROW_ERRORS_KEY, {})
    duplicates = collection.likely_duplicates
    rows = [
        row_data(frame, duplicates, doc_id, opened_sha, columns, selected=doc_id in selected, error=errors.get(doc_id))
        for doc_id, opened_sha in zip(snapshot.ids, snapshot.shas, strict=True)
    ]
    first = (page - 1) * page_size
    summary = (f"Page {page:,} of {pages:,} · rows {first + 1:,}–{first + len(rows):,} of {board.shown_count:,}"
               if rows else f"Page {page:,} of {pages:,}")  # fmt: skip
    data = table_data(
        rows, columns, sort=board.filters.sort, descending=board.filters.descending, page=page, pages=pages,
        page_size=page_size, can_edit=board.can_edit, summary_top=f"{board.shown_count:,} rows", summary=summary,
        empty="No articles match the filters. Loosen them in the sidebar.",
    )  # fmt: skip
    mount_table(data, lambda: apply_table_events(board))
    for icon, text in st.session_state.pop(PENDING_TOASTS_KEY, []):
        st.toast(text, icon=icon)


def render(board: Dashboard) -> None:
    """The Articles page for this run's dashboard."""
    render_header(board, "Articles")
    render_bulk_summary()
    if not board.can_edit:
        st.info(f"Read-only: {board.why_not}.", icon="🔒")
    st.fragment(render_table)(board)
    # Last, so opening a dialog moves nothing above it; one dialog at a time.
    if st.session_state.get(BULK_KEY):
        confirm_bulk(board)
    elif st.session_state.get(FIELD_BULK_KEY):
        confirm_field_bulk(board)
    elif st.session_state.get(EDIT_KEY):
        edit_dialog(board)


if __name__ == "__main__":  # run as a page by st.navigation (app.py); importable without running
    render(dashboard())
