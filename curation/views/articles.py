"""Articles: the filtered table with publish checkboxes, details, bulk actions and export.

Table edits are keyed by row position, so each run remembers which ids, shas
and published values it showed; the next run maps the edits back through that
record, writes each change with the sha the editor saw, and then draws a fresh
table (a new key) that shows what is on disk.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import streamlit as st

from curation.errors import CurationError
from curation.export import frame_to_csv, frame_to_json
from curation.presentation import article_details, article_table, export_file_name, image_urls
from curation.safety import escape_markdown, http_url, markdown_link
from curation.views.session import Dashboard, dashboard, write_published
from curation.views.shell import page_of_rows, render_header

PAGE_SIZES = (25, 50, 100, 200)
SHOWN_KEY = "_articles_shown"
SELECTED_KEY = "_articles_selected"
GENERATION_KEY = "_articles_generation"
APPLIED_KEY = "_articles_applied"  # the table key whose edits were written already
BULK_KEY = "_bulk_request"
READ_ONLY_COLUMNS = ("image", "title", "provider", "category", "publishedDateTime", "quality", "heat", "topics", "link")
BULK_SUMMARY_KEY = "_bulk_summary"


def apply_table_edits(board: Dashboard) -> bool:
    """Write the Published ticks and record the Select ticks the last table received."""
    shown = st.session_state.get(SHOWN_KEY)
    # An old table's state outlives st.rerun(); its edits must never be written twice.
    if not shown or st.session_state.get(APPLIED_KEY) == shown["key"]:
        return False
    edits = st.session_state.get(shown["key"])
    if not edits or not edits.get("edited_rows"):
        return False
    st.session_state[APPLIED_KEY] = shown["key"]
    selected: set[str] = st.session_state.setdefault(SELECTED_KEY, set())
    wanted: dict[bool, list[str]] = {True: [], False: []}
    for position, changes in edits["edited_rows"].items():
        index = int(position)
        doc_id = shown["ids"][index]
        if "select" in changes:
            (selected.add if changes["select"] else selected.discard)(doc_id)
        if "published" in changes and bool(changes["published"]) != shown["published"][index]:
            wanted[bool(changes["published"])].append(doc_id)
    expected = dict(zip(shown["ids"], shown["shas"], strict=True))
    for value, doc_ids in wanted.items():
        if doc_ids:
            write_published(board, doc_ids, value, expected)
    st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1
    return True


def selected_in(index: pd.Index) -> set[str]:
    """The selected ids that are in this index (a set of 100,000 ids would cost more than the page)."""
    return {doc_id for doc_id in st.session_state.get(SELECTED_KEY, set()) if doc_id in index}


def request_bulk(value: bool, scope: str) -> None:
    """Button callback: remember what the editor asked for; the dialog confirms it."""
    board = dashboard()  # the run the editor was looking at
    rows = board.shown
    if scope == "selected":
        chosen = st.session_state.get(SELECTED_KEY, set())
        rows = rows[rows.index.isin(chosen)]
    st.session_state[BULK_KEY] = {
        "value": value,
        "scope": scope,
        "ids": list(rows.index),
        "changing": list(rows.index[rows["published"] != value]),
        "shas": dict(rows["sha256"]),
    }


def cancel_bulk() -> None:
    st.session_state.pop(BULK_KEY, None)


@st.dialog("Confirm", on_dismiss=cancel_bulk)
def confirm_bulk(board: Dashboard) -> None:
    request = st.session_state[BULK_KEY]
    verb = "Publish" if request["value"] else "Unpublish"
    changing, total = len(request["changing"]), len(request["ids"])
    st.write(f"{verb} the {total:,} {request['scope']} articles?")
    st.markdown(
        f"**{changing:,} files will change**; {total - changing:,} are already "
        f"{'published' if request['value'] else 'unpublished'} and stay as they are."
    )
    confirm_column, cancel_column = st.columns(2)
    if confirm_column.button(f"{verb} {changing:,}", key="bulk_confirm", type="primary", disabled=not changing):
        outcomes = write_published(board, request["changing"], request["value"], request["shas"])
        statuses = [outcome.status for outcome in outcomes]
        st.session_state[BULK_SUMMARY_KEY] = {
            "verb": f"{verb}ed",
            "counts": {status: statuses.count(status) for status in ("changed", "conflict", "refused")},
            "failures": [(o.id, o.status, o.message) for o in outcomes if o.failed],
        }
        cancel_bulk()
        st.rerun()
    if cancel_column.button("Cancel", key="bulk_cancel"):
        cancel_bulk()
        st.rerun()


def render_bulk_summary() -> None:
    summary = st.session_state.pop(BULK_SUMMARY_KEY, None)
    if not summary:
        return
    counts = summary["counts"]
    text = f"{summary['verb']} {counts['changed']:,} · {counts['conflict']:,} conflicts · {counts['refused']:,} refused"
    (st.warning if summary["failures"] else st.success)(text)
    if summary["failures"]:
        failures = pd.DataFrame(summary["failures"], columns=["id", "status", "message"])
        st.dataframe(failures, hide_index=True, key="bulk_failures")


def render_bulk_and_export(board: Dashboard) -> None:
    selected = selected_in(board.shown_ids)
    columns = st.columns(6)
    writable = board.can_edit
    shown_count = board.shown_count
    for column, (value, scope, count) in zip(
        columns[:4],
        ((True, "shown", shown_count), (False, "shown", shown_count),
         (True, "selected", len(selected)), (False, "selected", len(selected))),
        strict=True,
    ):  # fmt: skip
        verb = "Publish" if value else "Unpublish"
        label = f"{verb} all {count:,} shown" if scope == "shown" else f"{verb} {count:,} selected"
        column.button(
            label, key=f"bulk_{verb.lower()}_{scope}", on_click=request_bulk, args=(value, scope),
            disabled=not (writable and count), width="stretch",
        )  # fmt: skip
    today = dt.datetime.now(dt.UTC).date()
    columns[4].download_button(
        "Download CSV", data=lambda: frame_to_csv(board.shown), file_name=export_file_name(board.filters, "csv", today),
        mime="text/csv", key="export_csv", icon=":material/download:", on_click="ignore", width="stretch",
    )  # fmt: skip
    columns[5].download_button(
        "Download JSON", data=lambda: frame_to_json(board.shown),
        file_name=export_file_name(board.filters, "json", today), mime="application/json",
        key="export_json", icon=":material/download:", on_click="ignore", width="stretch",
    )  # fmt: skip


def render_table(board: Dashboard) -> None:
    size_column, page_column = st.columns([1, 5], vertical_alignment="bottom")
    page_size = size_column.selectbox("Rows per page", PAGE_SIZES, index=1, key="page_size")
    with page_column:
        rows, page, pages = page_of_rows(board, page_size, "articles_page")
    selected = st.session_state.get(SELECTED_KEY, set())
    digest = hashlib.sha1("".join(rows.index + rows["sha256"]).encode(), usedforsecurity=False).hexdigest()[:12]
    key = f"articles_editor_{st.session_state.get(GENERATION_KEY, 0)}_{digest}"
    st.data_editor(
        article_table(rows, selected),
        key=key,
        hide_index=False,
        disabled=[*READ_ONLY_COLUMNS, *([] if board.can_edit else ["published"])],
        column_config={
            "_index": st.column_config.TextColumn("id", width="small"),
            "select": st.column_config.CheckboxColumn("Select", width="small", help="Select for details and bulk"),
            "published": st.column_config.CheckboxColumn(
                "Published", width="small", help="Written to the file at once"
            ),
            "image": st.column_config.ImageColumn("Image", width="small"),
            "title": st.column_config.TextColumn("Title", width="medium"),
            "provider": st.column_config.TextColumn("Provider", width="small"),
            "category": st.column_config.TextColumn("Category", width="small"),
            "publishedDateTime": st.column_config.DatetimeColumn("Date", format="YYYY-MM-DD HH:mm"),
            "quality": st.column_config.ProgressColumn(
                "Quality", min_value=0, max_value=100, format="%d", width="small"
            ),
            "heat": st.column_config.ProgressColumn(
                "Heat", min_value=0, max_value=100, format="%d", color="orange", width="small"
            ),
            "topics": st.column_config.ListColumn("Topics"),
            "link": st.column_config.LinkColumn("Link", display_text="open ↗"),
        },
        height=min(36 * (len(rows) + 1) + 3, 800),
    )  # fmt: skip
    st.session_state[SHOWN_KEY] = {
        "key": key,
        "ids": list(rows.index),
        "shas": list(rows["sha256"]),
        "published": [bool(value) for value in rows["published"]],
    }
    st.caption(f"Page {page} of {pages} · {len(rows):,} of {board.shown_count:,} shown articles")


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
        details = article_details(board.folder, doc_id)
    except CurationError as error:
        st.error(str(error))
        return
    st.subheader(escape_markdown(str(details.get("title", doc_id))))
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
    st.code(str(board.folder / doc_id), language=None)


def _field_text(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(_field_text(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_field_text(item)}" for key, item in value.items())
    return str(value)


board = dashboard()
if apply_table_edits(board):
    st.rerun()
render_header(board, "Articles")
render_bulk_summary()
if st.session_state.get(BULK_KEY):
    confirm_bulk(board)
if not board.can_edit:
    st.info(f"Read-only: {board.why_not}.", icon="🔒")
render_bulk_and_export(board)
render_table(board)
st.divider()
render_details(board)
