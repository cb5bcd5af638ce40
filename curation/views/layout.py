"""The header every page shows: counts, the filter's sentence and any messages."""

from __future__ import annotations

import math
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from curation.safe_markdown import escape_markdown
from curation.views.session import Dashboard, show_flashes
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


def page_of_rows(board: Dashboard, page_size: int, key: str) -> tuple[pd.DataFrame, int, int]:
    """The shown rows of the current page, with the page number and the page count."""
    pages = max(1, math.ceil(board.shown_count / page_size))
    if st.session_state.get(key, 1) > pages:
        st.session_state[key] = 1  # the filter shrank the list under the page the editor was on
    page = st.pagination(pages, key=key) if pages > 1 else 1
    return board.shown_rows((page - 1) * page_size, page * page_size), page, pages
