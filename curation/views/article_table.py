"""The Articles table as one element: a component drawn from the page's rows as data.

The page (articles.py) sends only the rows of the page it shows: id, sha,
title, webUrl, the chosen details as plain text, published, selected and the
changed / likely-duplicate / deleted marks. The script (assets/articles_table.js)
puts document text into the page only through textContent and attribute
setters, and makes a link only of an http(s) URL, which is checked here and
again there.

The browser sends back events, each with the id and the sha of the row it
was made on, never a position: a tick, a selection (one row, a shift-click
range or the whole page), a page turn, a sort by a column's header, and
opening an article, rows per page and the columns shown. They come as one queue with sequence numbers, sent whole
every time it grows; `new_events` returns the ones not applied yet, so each
is applied exactly once however fast they come. Everything the browser sends
is untrusted input: an event of the wrong shape, or for an id the table does
not show, is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd
import streamlit as st

from curation.safe_markdown import http_url
from curation.views import event_queue
from curation.wording import day_text

COMPONENT_NAME = "curation.articles_table"
TABLE_KEY = "articles_table"
APPLIED_KEY = "_articles_table_applied"  # browser instance -> the last sequence number applied
EVENT_KINDS = ("tick", "select", "page", "sort", "open", "edit", "layout")
PAGE_SIZES = (25, 50, 100, 200)


def _number(value: object) -> str | None:
    return None if pd.isna(value) else str(int(value))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _date(value: object) -> str | None:
    return None if pd.isna(value) else day_text(value)


@dataclass(frozen=True)
class Column:
    """A detail column the editor can show: its header, the sort it stands for, and its text for a row."""

    key: str
    label: str
    sort: str | None  # the column Filters sorts by when its header is clicked
    text: Callable[[pd.Series], str | None]


COLUMNS = {
    column.key: column
    for column in (
        Column("provider", "Provider", "provider", lambda row: _text(row["provider"])),
        Column("domain", "Domain", "domain", lambda row: _text(row["domain"])),
        Column("category", "Category", "category", lambda row: _text(row["category"])),
        Column("date", "Date", "publishedDateTime", lambda row: _date(row["publishedDateTime"])),
        Column("quality", "Quality", "quality", lambda row: _number(row["quality"])),
        Column("heat", "Heat", "heat", lambda row: _number(row["heat"])),
        Column("topics", "Topics", None, lambda row: ", ".join(row["topics"]) or None),
        Column("file", "File", "id", lambda row: str(row.name)),
    )
}
DEFAULT_COLUMNS = ("provider", "category", "date", "quality", "heat", "topics")
# A header click sorts text ascending and numbers and dates newest or highest first, as an editor expects.
DESCENDING_FIRST = frozenset({"publishedDateTime", "quality", "heat", "published", "images", "related"})


def row_data(
    frame: pd.DataFrame,
    duplicates: pd.Series,
    doc_id: str,
    opened_sha: str,
    columns: Iterable[str],
    *,
    selected: bool = False,
    error: str | None = None,
) -> dict[str, Any]:
    """One row as the component draws it (plain values; text is never markup)."""
    if doc_id not in frame.index:  # the file went away since the view was opened
        return {"id": doc_id, "sha": opened_sha, "title": doc_id, "url": None, "cells": {}, "published": False,
                "selected": False, "changed": True, "duplicate": False, "deleted": True, "error": error}  # fmt: skip
    row = frame.loc[doc_id]
    title = row["title"] if isinstance(row["title"], str) and row["title"] else doc_id
    return {
        "id": doc_id,
        "sha": row["sha256"],
        "title": title,
        "url": http_url(row["webUrl"]),
        "cells": {key: COLUMNS[key].text(row) for key in columns},
        "published": bool(row["published"]),
        "selected": selected,
        "changed": row["sha256"] != opened_sha,
        "duplicate": bool(duplicates.get(doc_id, False)),
        "deleted": False,
        "error": error,
    }


def table_data(
    rows: list[dict[str, Any]],
    columns: Iterable[str],
    *,
    sort: str,
    descending: bool,
    page: int,
    pages: int,
    page_size: int,
    can_edit: bool,
    summary_top: str,
    summary: str,
    empty: str,
) -> dict[str, Any]:
    """Everything the component draws, with the sequence numbers it may drop from its queue."""
    return {
        "rows": rows,
        "columns": [{"key": key, "label": COLUMNS[key].label, "sort": COLUMNS[key].sort} for key in columns],
        "columnChoices": [{"key": key, "label": column.label} for key, column in COLUMNS.items()],
        "pageSize": page_size,
        "pageSizes": list(PAGE_SIZES),
        "summaryTop": summary_top,
        "sort": {"column": sort, "descending": descending},
        "page": page,
        "pages": pages,
        "canEdit": can_edit,
        "summary": summary,
        "empty": empty,
        "applied": event_queue.applied_numbers(APPLIED_KEY),
    }


@dataclass(frozen=True)
class TableEvent:
    """One thing the editor did in the table, checked: ids are ones the table shows."""

    seq: int
    kind: str
    ids: tuple[str, ...] = ()
    sha: str = ""
    value: bool = False
    page: int = 0
    column: str = ""
    columns: tuple[str, ...] = ()  # a layout's detail columns, and its rows per page in `page`


def _event(raw: Mapping[str, object], seq: int, shown: frozenset[str], sortable: frozenset[str]) -> TableEvent | None:
    """A checked event, or None for one of the wrong shape (the browser is not trusted)."""
    kind = raw.get("kind")
    if kind not in EVENT_KINDS:
        return None
    if kind in ("tick", "open", "edit"):
        doc_id, sha = raw.get("id"), raw.get("sha")
        if not isinstance(doc_id, str) or doc_id not in shown or not isinstance(sha, str):
            return None
        value = raw.get("value")
        if kind == "tick" and not isinstance(value, bool):
            return None
        return TableEvent(seq, kind, (doc_id,), sha, bool(value))
    if kind == "select":
        ids, value = raw.get("ids"), raw.get("value")
        if not isinstance(ids, list) or not isinstance(value, bool):
            return None
        if not all(isinstance(item, str) and item in shown for item in ids):
            return None
        return TableEvent(seq, kind, tuple(ids), value=value)
    if kind == "page":
        page = raw.get("page")
        return TableEvent(seq, kind, page=page) if isinstance(page, int) and not isinstance(page, bool) else None
    if kind == "layout":
        rows, columns = raw.get("rows"), raw.get("columns")
        if isinstance(rows, bool) or rows not in PAGE_SIZES or not isinstance(columns, list):
            return None
        if not all(isinstance(key, str) and key in COLUMNS for key in columns):
            return None
        return TableEvent(seq, kind, page=rows, columns=tuple(columns))
    column = raw.get("column")
    return TableEvent(seq, kind, column=column) if isinstance(column, str) and column in sortable else None


def new_events(state: object, shown: Iterable[str], sortable: Iterable[str]) -> list[TableEvent]:
    """The events in the browser's queue that were not applied yet, in order, each marked applied
    before it is applied: none is applied twice, even by a run that is interrupted half-way."""
    shown_ids, sortable_columns = frozenset(shown), frozenset(sortable)
    return event_queue.new_events(state, APPLIED_KEY, lambda raw, seq: _event(raw, seq, shown_ids, sortable_columns))


@cache
def _component() -> Callable[..., Any]:
    # Registered on first use: Streamlit finds the files through the package's manifest, which it reads when
    # its runtime starts (so importing this module needs no runtime).
    return st.components.v2.component(
        COMPONENT_NAME, js="articles_table.js", css="articles_table.css", isolate_styles=False
    )


def mount_table(data: dict[str, Any], on_events: Callable[[], None]) -> None:
    """Draw the table (at the same place on every run, so the browser keeps its DOM and the focus)."""
    _component()(key=TABLE_KEY, data=data, on_events_change=on_events)


def table_state() -> object:
    """What the browser last sent: its queue of events."""
    return event_queue.component_state(TABLE_KEY)
