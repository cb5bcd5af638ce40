"""Facet counts follow the other filters: each count is what adding that option would show."""

from __future__ import annotations

import pandas as pd
import pytest

from curation.loading.collection import load_collection
from curation.query.facets import Selection, counted_label, facet_options, facet_value
from curation.query.filters import Filters
from tests.conftest import load_front_matters

ARTICLES = {
    "a.txt": "category: news\ntype: article\nprovider: {name: Reuters, domain: reuters.com}\ntopics: [AI, Climate]\n",
    "b.txt": "category: news\ntype: video\nprovider: {name: Reuters, domain: reuters.co.uk}\ntopics: [AI]\n",
    "c.txt": "category: sport\ntype: article\nprovider: {name: ESPN, domain: espn.com}\ntopics: []\n",
    "d.txt": "category: politics\ntype: article\nprovider: {name: ESPN, domain: espn.com}\npublished: true\n",
}


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    titled = {name: f"title: {name}\n{front_matter}" for name, front_matter in ARTICLES.items()}
    return load_front_matters(tmp_path_factory.mktemp("facets"), titled)


def counts(collection, filters: Filters) -> dict[str, dict[str, int]]:
    found = Selection(filters, collection.frame, collection.facets).facet_counts()
    return {name: {label: int(count) for label, count in series.items() if count} for name, series in found.items()}


def test_without_filters_every_value_is_counted(collection):
    assert counts(collection, Filters()) == {
        "category": {"news": 2, "sport": 1, "politics": 1},
        "type": {"article": 3, "video": 1},
        "provider": {"Reuters": 2, "ESPN": 2},
        "domain": {"reuters.com": 1, "reuters.co.uk": 1, "espn.com": 2},
        "topic": {"AI": 2, "Climate": 1},
    }


def test_a_facet_counts_the_rows_the_other_filters_keep(collection):
    """Under category news, the category chips still offer sport (what adding it would give), while the
    other facets count only the news rows."""
    found = counts(collection, Filters(categories=("news",)))
    assert found["category"] == {"news": 2, "sport": 1, "politics": 1}  # its own filter is left out
    assert found["type"] == {"article": 1, "video": 1}
    assert found["domain"] == {"reuters.com": 1, "reuters.co.uk": 1}
    assert found["topic"] == {"AI": 2, "Climate": 1}


def test_non_facet_filters_narrow_every_facet(collection):
    found = counts(collection, Filters(published="unpublished", type="article"))
    assert found["category"] == {"news": 1, "sport": 1}
    assert found["type"] == {"article": 2, "video": 1}  # type's own filter is left out
    assert found["provider"] == {"Reuters": 1, "ESPN": 1}


def test_a_value_no_row_keeps_counts_zero(collection):
    found = Selection(Filters(categories=("sport",)), collection.frame, collection.facets).facet_counts()
    assert int(found["topic"]["AI"]) == 0 and int(found["domain"]["reuters.com"]) == 0


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(categories=("NEWS",)),
        Filters(type="Article", published="unpublished"),
        Filters(providers=("espn.com", "reuters")),  # a name or a domain
        Filters(domains=("reuters.co.uk", "espn.com"), topics=("ai",)),
        Filters(topics=("AI", "climate"), categories=("news", "politics")),
        Filters(categories=("nothing such",)),
        Filters(search="espn", sort="title", descending=True),
    ],
)
def test_a_selection_keeps_exactly_what_the_filters_match(collection, filters):
    """The codes-based facet masks agree with Filters.matches on every row, and so do the positions."""
    selection = Selection(filters, collection.frame, collection.facets)
    assert list(selection.keep) == list(filters.matches(collection.frame))
    assert list(selection.positions()) == list(filters.positions(collection.frame))


def test_a_selection_on_the_seeds_agrees_with_the_filters(docs):
    frame = load_collection(docs).frame
    collection = load_collection(docs)
    categories = tuple(frame["category"].value_counts().index[:2])
    topics = tuple(frame["topics"].explode().dropna().value_counts().index[:3])
    domains = tuple(frame["domain"].value_counts().index[:2])
    for filters in (
        Filters(categories=categories, published="unpublished"),
        Filters(topics=topics, min_quality=40),
        Filters(providers=domains, domains=domains[:1]),
    ):
        selection = Selection(filters, collection.frame, collection.facets)
        assert list(selection.keep) == list(filters.matches(collection.frame)), filters


LABELLED = {
    "e.txt": "category: politics\ntype: article\n",
    "f.txt": "category: news (12)\ntype: article\n",  # a value that looks like a label is still a value
}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("politics", "politics"),
        ("politics (1,776)", "politics"),  # an option's label, with a count that has changed since
        ("POLITICS (34)", "politics"),
        ("politics (34) (0)", "politics"),  # the label of a label
        ("news (12)", "news (12)"),  # a value of the facet
        ("news (12) (1)", "news (12)"),
        ("opinion (3)", "opinion (3)"),  # no such value: left as given (it shows, counted 0)
        ("opinion", "opinion"),
        ("politics (1776)", "politics (1776)"),  # not a label the sidebar draws
    ],
)
def test_an_options_label_names_its_value(tmp_path, text, value):
    loaded = load_front_matters(tmp_path, {name: f"title: {name}\n{text}" for name, text in LABELLED.items()})
    assert loaded.problems == []
    facet = loaded.facets["category"]
    assert facet_value(text, facet) == value


def test_a_label_is_the_value_and_its_count():
    assert counted_label("politics", 1776) == "politics (1,776)"


def test_a_typed_value_is_the_first_option_that_starts_with_it():
    """Prefix filtering keeps the options' order, so Enter on a typed value takes that value, not another that
    starts with it (nor, as fuzzy filtering would, one that merely contains it: "worldnews", "UpliftingNews")."""
    counts = pd.Series({"worldnews": 3, "news": 1636, "UpliftingNews": 12, "newsy": 3, "News-UK": 4, "Newsroom": 1})
    options, totals = facet_options(counts, chosen=["opinion"])
    labels = [counted_label(option, totals.get(option, 0)) for option in options]
    for value in options:
        starting = [label for label in labels if label.lower().startswith(value.lower())]
        assert starting[0] == counted_label(value, totals.get(value, 0)), value
    assert options == ["news", "News-UK", "Newsroom", "newsy", "opinion", "UpliftingNews", "worldnews"]
