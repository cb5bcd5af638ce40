"""The header every page shows: counts, the filter's sentence and any messages."""

from __future__ import annotations

import math
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from curation.safe_markdown import escape_markdown
from curation.views.session import Dashboard, RowSnapshot, show_flashes
from curation.wording import plural

PROBLEMS_URL_PATH = "problems"  # the URL path st.navigation gives curation/views/problems.py (app.py)


def render_header(dashboard: Dashboard, title: str, *, link_problems: bool = True) -> None:
    collection = dashboard.collection
    st.title(title)
    problems = plural(len(collection.problems), "problem")
    if collection.problems and link_problems:
        problems = f"[{problems}]({problems_link()})"
    counts = f"{plural(len(collection.frame), 'article')} · {dashboard.shown_count:,} shown · {problems}"
    # The sentence carries search text and facet values from the URL and the documents: text, never markup.
    st.markdown(f"**{counts}** — {escape_markdown(dashboard.filters.describe())}")
    show_flashes()


def problems_link() -> str:
    """The Problems page's URL relative to this page's, with this page's query (the filters) percent-encoded.

    Streamlit opens a markdown link in a new tab: the editor's view stays as it is in this one.
    """
    query = urlencode([(key, value) for key in st.query_params for value in st.query_params.get_all(key)])
    return f"{PROBLEMS_URL_PATH}?{query}" if query else PROBLEMS_URL_PATH


def held_rows(board: Dashboard, page_size: int, page: int, view: tuple[object, ...], key: str) -> RowSnapshot:
    """A page's rows (table rows or gallery cards): the ones taken when the view was opened, kept under `key`,
    or taken now for a new view (another filter, sort, page, page size or a Refresh)."""
    rows = st.session_state.get(key)
    if isinstance(rows, RowSnapshot) and rows.view == view:
        return rows
    positions = board.positions[(page - 1) * page_size : page * page_size]
    frame = board.collection.frame
    rows = RowSnapshot(view, tuple(frame.index[positions]), tuple(frame["sha256"].array.take(positions)))
    st.session_state[key] = rows
    return rows


def held_page(board: Dashboard, page_size: int, base_view: tuple[object, ...], page_key: str, rows_key: str) -> int:
    """The pagination widget; the page the editor is on stays while the rows hold, even when the
    filter now matches fewer pages (their own ticks took rows out of it)."""
    pages = max(1, math.ceil(board.shown_count / page_size))
    rows = st.session_state.get(rows_key)
    holding = isinstance(rows, RowSnapshot) and rows.view[:-1] == base_view
    if not holding and st.session_state.get(page_key, 1) > pages:
        st.session_state[page_key] = 1  # a new filter matches fewer pages than the one the editor was on
    pages = max(pages, st.session_state.get(page_key, 1))
    return st.pagination(pages, key=page_key) if pages > 1 else 1


def held_status_text(snapshot: RowSnapshot, frame: pd.DataFrame) -> str:
    """The line above held cards: how many changed since the view was opened (the help says until when
    they hold)."""
    return f"**{sum(snapshot.changed(frame)):,} changed since this view was opened**"


HELD_HELP = (
    "Cards hold still until you refresh, change the filter or the sort, or turn the page; a changed one is marked"
)
