"""Articles: the filtered table with publish ticks, details, bulk actions and export.

The table is built from Streamlit widgets, one row of them per article on the
page. Each Published checkbox is keyed by its article's id, and its callback
receives that id and the sha the row showed as arguments: a tick can only
ever write the article in its row. Streamlit calls the callback of every
checkbox that changed, also when ticks come faster than the reruns, so no
tick is lost either.

Each row is a fragment (keyed `row:<id>`), and a tick reruns only its row and
the "N changed" line (`st.rerun` with fragment keys, from the callback): the
write, a toast and about twenty elements, not the whole page.

Rows hold still: the page's ids are a RowSnapshot, taken again only when the
filter, the sort, the page or the page size changes, or the editor presses
Refresh. Between, each row shows its article's current state (ours or another
editor's change), marked when it changed since the view was opened. The page
keeps the same elements in the same places, so the browser keeps the focused
checkbox, the scroll position and the column widths.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from curation.documents import document_details, image_urls
from curation.editing.publish import OutcomeStatus
from curation.errors import CurationError
from curation.query.export import export_file_name, frame_to_csv, frame_to_json
from curation.safe_markdown import escape_markdown, http_url, markdown_link, plain_label
from curation.store import open_store, read_document_bytes
from curation.views.field_editing import (
    EDIT_KEY,
    FIELD_BULK_KEY,
    confirm_field_bulk,
    edit_button,
    edit_dialog,
    render_field_bulk_buttons,
    render_text_editor,
)
from curation.views.layout import held_page, held_rows, held_status_text, render_header
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
from curation.views.table_keys import enable_table_keys
from curation.views.url_state import seed_from_url, write_parameter
from curation.wording import day_text, published_label

PAGE_SIZES = (25, 50, 100, 200)
PAGE_KEY = "articles_page"
ROWS_KEY = "_articles_rows"
REFRESHES_KEY = "_articles_refreshes"
SELECTED_KEY = "_articles_selected"
OWN_WRITES_KEY = "_articles_own_writes"  # id -> (sha before, sha after) of this session's last write
ROW_ERRORS_KEY = "_articles_row_errors"  # id -> why its last tick was not written
TICKED_KEY = "_articles_ticked"  # ids ticked since their row last ran
BULK_KEY = "_bulk_request"
PENDING_TOASTS_KEY = "_articles_toasts"  # id -> (icon, markdown) its row shows as a toast when it reruns
# A row is few elements (every element on the page costs the browser time on every update): its fragment,
# a horizontal container, two checkboxes of a fixed width (so the columns line up and never move), the edit
# button and one markdown with the title and the details.
CHECKBOX_WIDTH = 76


def published_key(doc_id: str) -> str:
    return f"published:{doc_id}"


def select_key(doc_id: str) -> str:
    return f"select:{doc_id}"


def row_fragment_key(doc_id: str) -> str:
    return f"row:{doc_id}"


def tick(board: Dashboard, doc_id: str, shown_sha: str) -> None:
    """Published callback: write what the editor ticked to this article, with the sha its row showed, as the
    run that drew the row (`board`) allows; Streamlit then reruns only its row (a fragment), which also
    updates the "N changed" line."""
    key = published_key(doc_id)
    value = bool(st.session_state[key])
    own_writes: dict[str, tuple[str, str]] = st.session_state.setdefault(OWN_WRITES_KEY, {})
    errors: dict[str, str] = st.session_state.setdefault(ROW_ERRORS_KEY, {})
    errors.pop(doc_id, None)

    def announce(kind: str, text: str) -> None:
        if kind == "error":
            errors[doc_id] = text  # shown in the row until its next tick
        icon = {"success": "✅", "info": "ℹ️"}.get(kind, "⚠️")
        st.session_state.setdefault(PENDING_TOASTS_KEY, {}).setdefault(doc_id, []).append((icon, text))

    last = own_writes.get(doc_id)
    # A second tick on the row before it was drawn again still carries the sha from before our first one.
    expected = last[1] if last and last[0] == shown_sha else shown_sha
    outcomes = write_published(board, [doc_id], value, {doc_id: expected}, announce)
    outcome = outcomes[0] if outcomes else None
    if outcome is not None and outcome.change is not None and outcome.status == OutcomeStatus.CHANGED:
        own_writes[doc_id] = (outcome.change.sha_before, outcome.change.sha_after)
    if outcome is None or outcome.failed:
        st.session_state[key] = not value  # the row shows what is on disk again
    st.session_state.setdefault(TICKED_KEY, set()).add(doc_id)  # its row updates the "N changed" line


def toggle_selected(doc_id: str) -> None:
    """Select callback; the whole page reruns (the bulk buttons and the details follow the selection)."""
    selected: set[str] = st.session_state.setdefault(SELECTED_KEY, set())
    (selected.add if st.session_state[select_key(doc_id)] else selected.discard)(doc_id)
    st.rerun()


def refresh() -> None:
    """Refresh callback: take the rows again (the filter may match other rows by now)."""
    st.session_state[REFRESHES_KEY] = st.session_state.get(REFRESHES_KEY, 0) + 1
    st.session_state.pop(ROW_ERRORS_KEY, None)


def selected_in(index: pd.Index) -> set[str]:
    """The selected ids that are in this index (a set of 100,000 ids would cost more than the page)."""
    return {doc_id for doc_id in st.session_state.get(SELECTED_KEY, set()) if doc_id in index}


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


def render_bulk_and_export(board: Dashboard) -> None:
    # One wrapping row of buttons as wide as their labels: no label is ever cut short.
    actions = st.container(horizontal=True, wrap=True, gap="small", key="articles_actions")
    selected = selected_in(board.shown_ids)
    writable = board.can_edit
    shown_count = board.shown_count
    for value, scope, count in (
        (True, "shown", shown_count), (False, "shown", shown_count),
        (True, "selected", len(selected)), (False, "selected", len(selected)),
    ):  # fmt: skip
        verb = "Publish" if value else "Unpublish"
        label = f"{verb} all {count:,} shown" if scope == "shown" else f"{verb} {count:,} selected"
        actions.button(
            label, key=f"bulk_{verb.lower()}_{scope}", on_click=request_bulk, args=(board, value, scope),
            disabled=not (writable and count),
        )  # fmt: skip
    render_field_bulk_buttons([actions] * 3, board, selected)
    today = dt.datetime.now(dt.UTC).date()
    actions.download_button(
        "Download CSV", data=lambda: frame_to_csv(board.shown), file_name=export_file_name(board.filters, "csv", today),
        mime="text/csv", key="export_csv", icon=":material/download:", on_click="ignore",
    )  # fmt: skip
    actions.download_button(
        "Download JSON", data=lambda: frame_to_json(board.shown),
        file_name=export_file_name(board.filters, "json", today), mime="application/json",
        key="export_json", icon=":material/download:", on_click="ignore",
    )  # fmt: skip


def page_rows(board: Dashboard, page_size: int, page: int, view: tuple[object, ...]) -> RowSnapshot:
    """The page's rows: the ones taken when the view was opened, or taken now for a new view."""
    before = st.session_state.get(ROWS_KEY)
    rows = held_rows(board, page_size, page, view, ROWS_KEY)
    if rows is not before:
        st.session_state.pop(ROW_ERRORS_KEY, None)  # a row's error is shown until its rows are taken again
    return rows


def choose_page(board: Dashboard, page_size: int, base_view: tuple[object, ...]) -> int:
    """The pagination widget; the page stays while the rows hold (see layout.held_page)."""
    return held_page(board, page_size, base_view, PAGE_KEY, ROWS_KEY)


def _sync_widget(key: str, value: bool) -> None:
    # Before the widget is drawn: show what is on disk (another editor's change, or a failed write).
    if st.session_state.get(key) is not value:
        st.session_state[key] = value


def _text(value: object) -> str:
    return escape_markdown(str(value)) if isinstance(value, str) and value else ""


def _number(value: object) -> str:
    return "–" if pd.isna(value) else str(int(value))


def _date(row: pd.Series) -> str:
    date = row["publishedDateTime"]
    return "no date" if pd.isna(date) else day_text(date)


# What the line under a title can show, in its order; the editor picks which (kept in the URL as `show`).
DETAIL_PARTS = {
    "provider": lambda row: _text(row["provider"]) or "–",
    "domain": lambda row: _text(row["domain"]) or "–",
    "category": lambda row: _text(row["category"]) or "–",
    "date": _date,
    "quality": lambda row: f"quality {_number(row['quality'])}",
    "heat": lambda row: f"heat {_number(row['heat'])}",
    "topics": lambda row: escape_markdown(", ".join(row["topics"])),
    "file": lambda row: escape_markdown(str(row.name)),
}
DEFAULT_DETAILS = ("provider", "category", "date", "quality", "heat", "topics")


def row_details(row: pd.Series, shown: tuple[str, ...] = DEFAULT_DETAILS) -> str:
    """What the row shows under the title, as one line of escaped markdown (empty parts left out)."""
    return " · ".join(text for part in DETAIL_PARTS if part in shown and (text := DETAIL_PARTS[part](row)))


def render_row(
    board: Dashboard, doc_id: str, opened_sha: str, status: DeltaGenerator, details: tuple[str, ...]
) -> None:
    """One row of the table (a fragment: a tick reruns only this). Reads the current collection, so a rerun
    of the row alone shows what is on disk now; after a tick it also writes the "N changed" line into
    `status`, a placeholder outside the fragment (one element: each write replaces the last)."""
    collection = live_collection(board.location).current()
    frame = collection.frame
    for icon, text in st.session_state.get(PENDING_TOASTS_KEY, {}).pop(doc_id, []):
        st.toast(text, icon=icon)
    key = published_key(doc_id)
    ticked: set[str] = st.session_state.get(TICKED_KEY, set())
    if doc_id in ticked:
        ticked.discard(doc_id)
        status.markdown(status_text(st.session_state[ROWS_KEY], frame))
    else:
        status.empty()  # a fragment may write outside itself only where it wrote in the full run
    cells = st.container(horizontal=True, wrap=False, vertical_alignment="center", gap="small")
    if doc_id not in frame.index:  # the file went away since the view was opened
        cells.checkbox("Published", key=key, disabled=True, label_visibility="collapsed", width=CHECKBOX_WIDTH)
        cells.markdown(f"*{escape_markdown(doc_id)}* :red-badge[deleted]")
        return
    row = frame.loc[doc_id]
    label = plain_label(row["title"])
    _sync_widget(key, bool(row["published"]))
    cells.checkbox(
        f"Published: {label}", key=key, on_change=tick, args=(board, doc_id, row["sha256"]),
        disabled=not board.can_edit,
        label_visibility="collapsed", width=CHECKBOX_WIDTH,
    )  # fmt: skip
    _sync_widget(select_key(doc_id), doc_id in st.session_state.get(SELECTED_KEY, set()))
    cells.checkbox(
        f"Select: {label}", key=select_key(doc_id), on_change=toggle_selected, args=(doc_id,),
        label_visibility="collapsed", width=CHECKBOX_WIDTH,
    )  # fmt: skip
    edit_button(cells, row, label, board.can_edit)
    mark = " :orange-badge[changed]" if row["sha256"] != opened_sha else ""
    if collection.likely_duplicates.at[doc_id]:
        mark += " :violet-badge[likely duplicate]"
    cells.markdown(f"{markdown_link(row['title'], row['webUrl'])}{mark}  \n:gray[{row_details(row, details)}]")
    error = st.session_state.get(ROW_ERRORS_KEY, {}).get(doc_id)
    if error:
        st.error(error, icon="⚠️")


def render_header_row(details: tuple[str, ...]) -> None:
    cells = st.container(horizontal=True, wrap=False, vertical_alignment="bottom", gap="small", key="articles_columns")
    cells.markdown("**Published**", width=CHECKBOX_WIDTH)
    cells.markdown("**Select**", width=CHECKBOX_WIDTH)
    cells.markdown(" · ".join(["**Article**", *(part for part in DETAIL_PARTS if part in details)]))


def status_text(snapshot: RowSnapshot, frame: pd.DataFrame) -> str:
    return held_status_text(snapshot, frame, "rows")


def _page_size_from(values: list[str]) -> int:
    size = int(values[-1])
    if size not in PAGE_SIZES:
        raise ValueError(f"rows per page is one of {PAGE_SIZES}")
    return size


def _details_from(values: list[str]) -> list[str]:
    return [value for value in values if value in DETAIL_PARTS]


def choose_layout() -> tuple[int, tuple[str, ...], DeltaGenerator]:
    """Rows per page and the details shown (both kept in the URL); and where the pager goes."""
    seed_from_url("page_size", "rows", _page_size_from)
    seed_from_url("details_shown", "show", _details_from)
    st.session_state.setdefault("page_size", PAGE_SIZES[0])
    st.session_state.setdefault("details_shown", list(DEFAULT_DETAILS))
    # In a popover: two heavy widgets drawn in the page cost every rerun, a tick's too.
    layout_column, page_column = st.columns([1, 5], vertical_alignment="center")
    layout = layout_column.popover(
        f"{st.session_state['page_size']} rows · details",
        icon=":material/view_list:",
        help="Rows per page and the details shown",
    )
    page_size = layout.selectbox("Rows per page", PAGE_SIZES, key="page_size")
    details = tuple(
        layout.multiselect(
            "Details shown", list(DETAIL_PARTS), key="details_shown", placeholder="title only",
            help="What the line under each title shows; a shared link keeps the choice",
        )
    )  # fmt: skip
    write_parameter("rows", [] if page_size == PAGE_SIZES[0] else [str(page_size)])
    write_parameter("show", [] if set(details) == set(DEFAULT_DETAILS) else [*details] or ["none"])
    return page_size, details, page_column


def render_table(board: Dashboard) -> None:
    page_size, details, page_column = choose_layout()
    base_view = (str(board.location), board.filters, page_size, st.session_state.get(REFRESHES_KEY, 0))
    seed_from_url(PAGE_KEY, "page", lambda values: max(1, int(values[-1])))
    with page_column:
        page = choose_page(board, page_size, base_view)
    write_parameter("page", [str(page)] if page > 1 else [])
    snapshot = page_rows(board, page_size, page, (*base_view, page))
    status_column, refresh_column = st.columns([5, 1], vertical_alignment="center")
    status = status_column.empty()
    refresh_column.button(
        "Refresh", key="articles_refresh", on_click=refresh, icon=":material/refresh:", width="stretch",
        help="Take the rows again: articles that no longer match the filter leave, new ones come in",
    )  # fmt: skip
    st.session_state.pop(TICKED_KEY, None)  # this run draws every row as it is now
    enable_table_keys()
    with st.container(key="articles_table"):
        render_header_row(details)
        for doc_id, opened_sha in zip(snapshot.ids, snapshot.shas, strict=True):
            row = st.fragment(render_row, key=row_fragment_key(doc_id))
            row(board, doc_id, opened_sha, status, details)
    # After the rows: each row reserved its place in `status` (one element, each write replaces the last).
    status.markdown(status_text(snapshot, board.collection.frame))
    # A tick on a row this run no longer draws (the filter changed meanwhile) still gets its message.
    for toasts in st.session_state.pop(PENDING_TOASTS_KEY, {}).values():
        for icon, text in toasts:
            st.toast(text, icon=icon)
    st.caption(f"Page {page} · {len(snapshot.ids):,} rows · {board.shown_count:,} articles match the filter now")


def render_details(board: Dashboard) -> None:
    selected = sorted(selected_in(board.collection.frame.index))
    if not selected:
        st.caption("Tick **Select** on a row to see all of its details here.")
        return
    titles = board.collection.frame["title"]
    doc_id = st.selectbox(
        "Details of", selected, key="details_id", format_func=lambda value: f"{titles[value]} ({value})"
    )
    try:
        details = document_details(read_document_bytes(board.location, doc_id), doc_id)  # fresh from disk
    except CurationError as error:
        st.error(str(error))
        return
    st.subheader(escape_markdown(str(details.get("title", doc_id))))
    render_text_editor(board, doc_id)
    if http_url(details.get("webUrl")):
        st.markdown(markdown_link("Open the article", details.get("webUrl")))
    if details.get("excerpt"):
        st.markdown(escape_markdown(str(details["excerpt"])))
    urls, left_out = image_urls(details)
    if urls:
        st.image(urls[:6], width=240)
    if left_out:
        st.caption(f"{left_out} image(s) not shown: only http(s) URLs are.")
    related = details.get("related") or []
    if isinstance(related, list) and related:
        st.markdown("**Related articles**")
        for item in related:
            if isinstance(item, dict):
                provider = item.get("provider", {})
                name = provider.get("name", "") if isinstance(provider, dict) else str(provider or "")
                link = markdown_link(str(item.get("title", "untitled")), item.get("webUrl"))
                st.markdown(f"- {link} — {escape_markdown(name)}")
    fields = pd.DataFrame(
        [(key, _field_text(value)) for key, value in details.items() if key not in ("related",)],
        columns=["field", "value"],
    )
    st.dataframe(fields, hide_index=True, key="details_fields")
    st.caption("File")
    st.code(open_store(board.location).address(doc_id), language=None)


def _field_text(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(_field_text(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_field_text(item)}" for key, item in value.items())
    return str(value)


def render(board: Dashboard) -> None:
    """The Articles page for this run's dashboard."""
    render_header(board, "Articles")
    render_bulk_summary()
    if not board.can_edit:
        st.info(f"Read-only: {board.why_not}.", icon="🔒")
    render_bulk_and_export(board)
    render_table(board)
    st.divider()
    render_details(board)
    # Last, so opening a dialog moves nothing above it; one dialog at a time.
    if st.session_state.get(BULK_KEY):
        confirm_bulk(board)
    elif st.session_state.get(FIELD_BULK_KEY):
        confirm_field_bulk(board)
    elif st.session_state.get(EDIT_KEY):
        edit_dialog(board)


if __name__ == "__main__":  # run as a page by st.navigation (app.py); importable without running
    render(dashboard())
