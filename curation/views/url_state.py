"""URL query parameters kept equal to what the page applies.

A widget takes its first value in a session from the URL; after each run the
page writes back exactly what it applied, so a copied link opens the same view.
Only values that differ from the URL are written (each write is a message to
the browser).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import streamlit as st

SEEDED_KEY = "_url_seeded"  # the parameters this session has read from the URL already
ARTICLES_PARAMETERS = ("page", "rows", "show")  # the Articles table's page, rows per page and columns shown
GALLERY_PARAMETERS = ("gpage",)  # the Gallery's page
HISTORY_PARAMETERS = ("article", "editor")  # History's article and editors
TRIAGE_PARAMETERS = ("card",)  # Triage's current card


def seed_from_url(key: str, parameter: str, read: Callable[[list[str]], object]) -> None:
    """Once a session: the widget `key` starts from the URL's `parameter`, when it has a value `read` accepts
    (`read` raises ValueError for one it does not)."""
    seeded: set[str] = st.session_state.setdefault(SEEDED_KEY, set())
    if parameter in seeded:
        return
    seeded.add(parameter)
    values = st.query_params.get_all(parameter)
    # An unusable value is dropped: the widget keeps its default, and the URL is rewritten to match.
    with contextlib.suppress(ValueError):
        if values:
            st.session_state[key] = read(values)


def follow_url(key: str, parameter: str, read: Callable[[list[str]], object], default: object) -> None:
    """The widget `key` takes the URL's `parameter` whenever the URL changed it from what the page last wrote
    (a link followed within the session, as well as a new session); `default` when the URL has none."""
    values = st.query_params.get_all(parameter)
    written_key = f"_url_written_{parameter}"
    if st.session_state.get(written_key) == values:
        return
    st.session_state[written_key] = values
    try:
        st.session_state[key] = read(values) if values else default
    except ValueError:  # an unusable value: the default, and the URL is rewritten to match
        st.session_state[key] = default


def write_followed(parameter: str, values: list[str]) -> None:
    """Write a parameter `follow_url` reads, remembering it as the page's own."""
    st.session_state[f"_url_written_{parameter}"] = values
    write_parameter(parameter, values)


def write_parameter(parameter: str, values: list[str]) -> None:
    """The URL's `parameter` becomes `values` (removed when there are none)."""
    if values and st.query_params.get_all(parameter) != values:
        st.query_params[parameter] = values
    elif not values and parameter in st.query_params:
        del st.query_params[parameter]


def drop_parameters(parameters: tuple[str, ...]) -> None:
    """Remove another page's parameters (they describe a view this page does not show)."""
    for parameter in parameters:
        write_parameter(parameter, [])
