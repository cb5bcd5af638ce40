"""Facet counts follow the other filters: each count is what adding that option would show."""

from __future__ import annotations

import pytest

from curation.collection import load_collection
from curation.facets import facet_counts
from curation.filters import Filters
from tests.conftest import write_document

ARTICLES = {
    "a.txt": "category: news\ntype: article\nprovider: {name: Reuters, domain: reuters.com}\ntopics: [AI, Climate]\n",
    "b.txt": "category: news\ntype: video\nprovider: {name: Reuters, domain: reuters.co.uk}\ntopics: [AI]\n",
    "c.txt": "category: sport\ntype: article\nprovider: {name: ESPN, domain: espn.com}\ntopics: []\n",
    "d.txt": "category: politics\ntype: article\nprovider: {name: ESPN, domain: espn.com}\npublished: true\n",
}


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    folder = tmp_path_factory.mktemp("facets")
    for name, front_matter in ARTICLES.items():
        write_document(folder, name, f"---\ntitle: {name}\n{front_matter}---\n")
    return load_collection(folder)


def counts(collection, filters: Filters) -> dict[str, dict[str, int]]:
    found = facet_counts(collection.facets, collection.frame, filters)
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
    found = facet_counts(collection.facets, collection.frame, Filters(categories=("sport",)))
    assert int(found["topic"]["AI"]) == 0 and int(found["domain"]["reuters.com"]) == 0
