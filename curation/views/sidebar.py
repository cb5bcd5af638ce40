"""The shared sidebar: every filter as a widget bound to the URL, and the editor's name.

Each widget's key is its URL query parameter, so a filtered view can be
shared as a link and survives a reload. Streamlit's `bind="query-params"`
writes an option's *label* into the URL; the facet widgets show counts in
their labels ("news (52)"), which change as articles come and go, so those
four keep the plain values in the URL by hand instead.
"""

from __future__ import annotations

import streamlit as st

from curation.collection import Collection
from curation.filters import PUBLISHED_STATES, SORT_COLUMNS, Filters

FULL_RANGE = (0, 100)
# key -> the value that means "no filter"
FILTER_DEFAULTS: dict[str, object] = {
    "search": "",
    "category": [],
    "type": None,
    "provider": [],
    "topic": [],
    "published": "all",
    "quality": FULL_RANGE,
    "heat": FULL_RANGE,
    "since": None,
    "until": None,
    "has_image": False,
    "sort": "publishedDateTime",
    "desc": True,
}
URL_SYNCED_BY_HAND = ("category", "provider", "topic", "type")
SORT_LABELS = {
    "id": "file name", "title": "title", "category": "category", "type": "type", "provider": "provider",
    "domain": "domain", "publishedDateTime": "date", "quality": "quality", "heat": "heat",
    "published": "published", "images": "number of images", "related": "number of related",
}  # fmt: skip


def reset_filters() -> None:
    """Button callback: forget every filter, so each widget starts from its default."""
    for key, default in FILTER_DEFAULTS.items():
        if key in URL_SYNCED_BY_HAND:
            st.session_state.pop(key, None)  # re-seeded from the URL, so clear that too
            if key in st.query_params:
                del st.query_params[key]
        else:
            st.session_state[key] = default  # a bound URL parameter follows its widget


def set_filter_values(**values: object) -> None:
    """Callback helper for charts: set some filter widgets (keys as in FILTER_DEFAULTS)."""
    for key, value in values.items():
        st.session_state[key] = value


def _facet(collection: Collection, name: str) -> tuple[list[str], dict[str, int]]:
    counts = collection.facets[name]
    return sorted(counts.index, key=str.casefold), counts.to_dict()


def _with_count(counts: dict[str, int]):
    return lambda value: f"{value} ({counts.get(value, 0):,})"


def _range_or_none(values: tuple[int, int]) -> tuple[int | None, int | None]:
    low, high = values
    return (None if low <= 0 else low), (None if high >= 100 else high)


def _initial(key: str, **defaults: object) -> dict[str, object]:
    """A widget's default, unless its state is set already (both at once makes Streamlit warn)."""
    return {} if key in st.session_state else defaults


def _seed_from_url(key: str, options: list[str], single: bool = False) -> None:
    # Only on a session's first run: afterwards the widget's own state wins.
    if key not in st.session_state:
        values = [value for value in st.query_params.get_all(key) if value in options]
        st.session_state[key] = (values[0] if values else None) if single else values


def _write_to_url(key: str) -> None:
    value = st.session_state.get(key)
    if value:
        st.query_params[key] = value
    elif key in st.query_params:
        del st.query_params[key]


def _facet_multiselect(label: str, key: str, options: list[str], counts: dict[str, int]) -> None:
    _seed_from_url(key, options)
    st.sidebar.multiselect(label, options, key=key, format_func=_with_count(counts))
    _write_to_url(key)


def render_filters(collection: Collection) -> Filters:
    """Draw the filter widgets (options with counts) and return what they ask for."""
    sidebar = st.sidebar
    sidebar.header("Filters")
    sidebar.text_input("Search", key="search", bind="query-params", placeholder="title, excerpt or provider")
    _facet_multiselect("Category", "category", *_facet(collection, "category"))
    _facet_multiselect("Provider", "provider", *_facet(collection, "provider"))
    _facet_multiselect("Topic", "topic", *_facet(collection, "topic"))
    types, type_counts = _facet(collection, "type")
    _seed_from_url("type", types, single=True)
    sidebar.selectbox("Type", types, key="type", placeholder="any type", format_func=_with_count(type_counts))
    _write_to_url("type")
    sidebar.segmented_control(
        "Published", PUBLISHED_STATES, key="published", bind="query-params", required=True,
        **_initial("published", default="all"),
    )  # fmt: skip
    for label, key in (("Quality", "quality"), ("Heat", "heat")):
        sidebar.slider(label, 0, 100, key=key, bind="query-params", **_initial(key, value=FULL_RANGE))
    since_column, until_column = sidebar.columns(2)
    since_column.date_input("From", key="since", bind="query-params", **_initial("since", value=None))
    until_column.date_input("To", key="until", bind="query-params", **_initial("until", value=None))
    sidebar.checkbox("Only articles with an image", key="has_image", bind="query-params")
    sort_column, order_column = sidebar.columns([3, 2], vertical_alignment="bottom")
    sort_column.selectbox(
        "Sort by", SORT_COLUMNS, key="sort", bind="query-params", format_func=SORT_LABELS.get,
        **_initial("sort", index=SORT_COLUMNS.index("publishedDateTime")),
    )  # fmt: skip
    order_column.toggle("Descending", key="desc", bind="query-params", **_initial("desc", value=True))
    sidebar.button("Reset filters", key="reset_filters", on_click=reset_filters, icon=":material/restart_alt:")
    return filters_from_state()


def filters_from_state() -> Filters:
    """The Filters the widgets' current values describe."""
    state = st.session_state
    min_quality, max_quality = _range_or_none(tuple(state.get("quality", FULL_RANGE)))
    min_heat, max_heat = _range_or_none(tuple(state.get("heat", FULL_RANGE)))
    return Filters(
        search=state.get("search") or "",
        categories=tuple(state.get("category") or ()),
        type=state.get("type") or "",
        providers=tuple(state.get("provider") or ()),
        topics=tuple(state.get("topic") or ()),
        published=state.get("published") or "all",
        min_quality=min_quality,
        max_quality=max_quality,
        min_heat=min_heat,
        max_heat=max_heat,
        since=state.get("since"),
        until=state.get("until"),
        has_image=bool(state.get("has_image")),
        sort=state.get("sort") or "publishedDateTime",
        descending=bool(state.get("desc", True)),
    )
