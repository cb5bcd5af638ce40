"""The shared sidebar's filters, and the URL that always says what they apply.

Each widget's key is its URL query parameter. A session's first run reads
every filter from the URL (`Filters.from_query`); every run then writes back
exactly the filters it applied (`Filters.to_query`), so a shared link shows
what the sender saw. Streamlit's own `bind="query-params"` is not used: it
writes an option's label ("news (52)"), and a keyboard change of a slider
could leave the old value in the URL while the page showed the new one.

The facet options carry counts that follow the other filters, as Datasette's
do (curation.query.facets): each is what adding that option would show. The browser
holds a chosen option by its label ("politics (1,776)") and sends that label
back; Streamlit maps it to the value only while it is one of the run's labels.
So a chosen option is given its new label whenever its count changes, and a
label that still comes back (a click that overtook the run, an old link)
becomes its value again (`facet_value`) before anything reads the filters.
Typing in a facet box narrows the options to those that start with the text,
in their sorted order, and there is no "Select all" row: Enter takes the first
row, so a typed value is exactly that value ("news", not also "worldnews").
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from curation.loading.collection import Collection
from curation.query.facets import Selection, counted_label, facet_options, facet_value
from curation.query.filters import (
    DASHBOARD_FILTERS,
    FACET_PARTS,
    PUBLISHED_STATES,
    QUERY_PARAMETERS,
    SORT_COLUMNS,
    Filters,
    parse_day,
)
from curation.safe_markdown import escape_markdown
from curation.views.url_state import write_parameter

FULL_RANGE = (0, 100)
SEEDED_KEY = "_filters_seeded"
URL_COMPLAINTS_KEY = "_filter_url_complaints"
COUNTS_DRAWN_KEY = "_facet_counts_drawn"  # per facet widget: the counts its options were last drawn with
SORT_LABELS = {
    "id": "file name", "title": "title", "category": "category", "type": "type", "provider": "provider",
    "domain": "domain", "publishedDateTime": "date", "quality": "quality", "heat": "heat",
    "published": "published", "images": "number of images", "related": "number of related",
}  # fmt: skip
# Typing narrows a facet's options to those starting with the text (fuzzy would rank "newsy (3)" above
# "news (1,636)": the count is part of the label it scores).
FACET_FILTER_MODE = "prefix"
FACET_WIDGETS = (("Category", "category"), ("Provider", "provider"), ("Domain", "domain"), ("Topic", "topic"))


def widget_values(filters: Filters) -> dict[str, object]:
    """Each filter widget's value (keyed as its URL parameter) that shows these filters."""
    return {
        "search": filters.search,
        "published": filters.published,
        "category": list(filters.categories),
        "type": filters.type or None,
        "provider": list(filters.providers),
        "domain": list(filters.domains),
        "topic": list(filters.topics),
        "quality": (filters.min_quality or 0, 100 if filters.max_quality is None else filters.max_quality),
        "heat": (filters.min_heat or 0, 100 if filters.max_heat is None else filters.max_heat),
        "since": filters.since.isoformat() if filters.since else "",
        "until": filters.until.isoformat() if filters.until else "",
        "has_image": filters.has_image,
        "duplicates": filters.duplicates_only,
        "sort": filters.sort,
        "desc": filters.descending,
    }


def reset_filters() -> None:
    """Button callback: every filter back to the dashboard's default (the URL follows at the end of the run)."""
    st.session_state.update(widget_values(DASHBOARD_FILTERS))


def set_filter_values(**values: object) -> None:
    """Callback helper for charts: set some filter widgets (keys as in widget_values)."""
    st.session_state.update(values)


def seed_from_url() -> None:
    """On a session's first run: every filter widget starts from the URL (the dashboard's default where it is
    silent); a value the URL gives that cannot be used is named above the filters."""
    if st.session_state.get(SEEDED_KEY):
        return
    params = {name: st.query_params.get_all(name) for name in st.query_params}
    filters, complaints = Filters.from_query(params, DASHBOARD_FILTERS)
    st.session_state.update(widget_values(filters))
    st.session_state[URL_COMPLAINTS_KEY] = complaints
    st.session_state[SEEDED_KEY] = True


def write_url(filters: Filters) -> None:
    """Make the URL's filter parameters exactly what is applied (other parameters are the pages')."""
    wanted = filters.to_query(DASHBOARD_FILTERS)
    for name in QUERY_PARAMETERS:
        write_parameter(name, wanted.get(name, []))


def _chosen(key: str) -> list[str]:
    """A facet widget's chosen values (Type holds one value or None, the others a list)."""
    value = st.session_state.get(key)
    return [value] if isinstance(value, str) else list(value or ())


def bare_facet_values(collection: Collection) -> None:
    """Every facet widget holds values, not options' labels: a label that came back from the browser or a link
    ("politics (1,776)") becomes its value again."""
    for key in FACET_PARTS:
        chosen = _chosen(key)
        values = [facet_value(text, collection.facets[key]) for text in chosen]
        if values != chosen:
            st.session_state[key] = values if key != "type" else values[0]


def _send_new_labels(key: str, chosen: list[str], counts: dict[str, int]) -> None:
    """Set a facet widget's state again when a chosen option's count changed since it was last drawn: Streamlit
    then sends the browser the option's new label (else the browser keeps the old one and sends it back)."""
    drawn = st.session_state.setdefault(COUNTS_DRAWN_KEY, {})
    before = drawn.get(key, {})
    if any(before.get(value) != counts.get(value, 0) for value in chosen):
        st.session_state[key] = st.session_state[key]
    drawn[key] = counts


def _typed_day(key: str) -> tuple[object, str]:
    """The day typed into a date box (None when empty) and, when it is not a date, why."""
    text = str(st.session_state.get(key) or "").strip()
    if not text:
        return None, ""
    try:
        return parse_day(text), ""
    except ValueError as error:
        return None, str(error)


def _range_or_none(values: tuple[int, int]) -> tuple[int | None, int | None]:
    low, high = values
    return (None if low <= 0 else low), (None if high >= 100 else high)


def filters_from_state() -> Filters:
    """The Filters the widgets' current values describe (a date that is not one filters nothing)."""
    state = st.session_state
    min_quality, max_quality = _range_or_none(tuple(state.get("quality", FULL_RANGE)))
    min_heat, max_heat = _range_or_none(tuple(state.get("heat", FULL_RANGE)))
    return Filters(
        search=state.get("search") or "",
        categories=tuple(state.get("category") or ()),
        type=state.get("type") or "",
        providers=tuple(state.get("provider") or ()),
        domains=tuple(state.get("domain") or ()),
        topics=tuple(state.get("topic") or ()),
        published=state.get("published") or "all",
        min_quality=min_quality,
        max_quality=max_quality,
        min_heat=min_heat,
        max_heat=max_heat,
        since=_typed_day("since")[0],
        until=_typed_day("until")[0],
        has_image=bool(state.get("has_image")),
        duplicates_only=bool(state.get("duplicates")),
        sort=state.get("sort") or DASHBOARD_FILTERS.sort,
        descending=bool(state.get("desc", DASHBOARD_FILTERS.descending)),
    )


def _with_count(counts: dict[str, int]):
    return lambda value: counted_label(value, counts.get(value, 0))


def _facet_options(key: str, counts: dict[str, pd.Series]) -> tuple[list[str], Callable[[str], str]]:
    """The options of a facet widget and their labels' format; its state made to match the labels drawn."""
    chosen = _chosen(key)
    options, totals = facet_options(counts[key], chosen)
    _send_new_labels(key, chosen, totals)
    return options, _with_count(totals)


def _facet_multiselect(area: DeltaGenerator, label: str, key: str, counts: dict[str, pd.Series]) -> None:
    options, with_count = _facet_options(key, counts)
    # No "Select all" row: Enter takes the first row, which (prefix filtering) is the typed value when there is one.
    area.multiselect(label, options, key=key, format_func=with_count, filter_mode=FACET_FILTER_MODE, select_all=False)


def _facet_widgets(area: DeltaGenerator, counts: dict[str, pd.Series]) -> None:
    for label, key in FACET_WIDGETS[:1]:
        _facet_multiselect(area, label, key, counts)
    types, with_count = _facet_options("type", counts)
    area.selectbox(
        "Type", types, index=None, key="type", placeholder="any type", format_func=with_count,
        filter_mode=FACET_FILTER_MODE,
    )  # fmt: skip
    for label, key in FACET_WIDGETS[1:]:
        _facet_multiselect(area, label, key, counts)


def _date_box(area: DeltaGenerator, label: str, key: str) -> None:
    # A text box: it applies on Enter, Tab and leaving it, and shows the whole date.
    area.text_input(label, key=key, placeholder="YYYY-MM-DD", max_chars=10)
    problem = _typed_day(key)[1]
    if problem:
        area.error(f"{label}: {escape_markdown(problem)}", icon="📅")


def render_filters(collection: Collection, area: DeltaGenerator) -> Selection:
    """Draw the filter widgets in `area` (options with counts), write the URL, and return what they keep."""
    seed_from_url()
    bare_facet_values(collection)
    applied = filters_from_state()  # a widget's change is in its state before the run starts
    selection = Selection(applied, collection.frame, collection.facets, collection.sort_order)
    counts = selection.facet_counts()
    heading, reset = area.columns([3, 2], vertical_alignment="center")
    heading.subheader("Filters")
    reset.button("Reset", key="reset_filters", on_click=reset_filters, icon=":material/restart_alt:", width="stretch")
    for complaint in st.session_state.get(URL_COMPLAINTS_KEY, []):
        area.warning(escape_markdown(complaint), icon="🔗")
    area.text_input("Search", key="search", placeholder="title, excerpt, provider, domain or URL")
    area.segmented_control("Published", PUBLISHED_STATES, key="published", required=True, width="stretch")
    _facet_widgets(area, counts)
    for label, key in (("Quality", "quality"), ("Heat", "heat")):
        area.slider(label, 0, 100, key=key)
    since_column, until_column = area.columns(2)
    _date_box(since_column, "From", "since")
    _date_box(until_column, "To", "until")
    area.checkbox("Only articles with an image", key="has_image")
    area.checkbox("Only likely duplicates", key="duplicates", help="Articles that share a webUrl or originalUrl")
    area.selectbox("Sort by", SORT_COLUMNS, key="sort", format_func=SORT_LABELS.get)
    area.toggle("Descending", key="desc")
    write_url(applied)
    return selection
