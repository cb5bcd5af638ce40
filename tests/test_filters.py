"""Filters: each one narrows the frame on data, and describes itself in words."""

from __future__ import annotations

import datetime as dt

import pytest

from curation.collection import load_collection
from curation.filters import FilterError, Filters
from tests.conftest import write_document

ARTICLES = {
    "a.txt": "title: Climate summit opens\ncategory: news\ntype: article\nquality: 80\nheat: 10\npublished: true\n"
    "publishedDateTime: 2023-01-01T08:00:00Z\nprovider: {name: Reuters, domain: reuters.com}\n"
    "topics: [Climate, Energy]\n"
    'images:\n  - url: "https://img.example/a.jpg"\n',
    "b.txt": "title: Cup final tonight\ncategory: sport\ntype: article\nquality: 40\nheat: 90\npublished: false\n"
    "publishedDateTime: 2023-01-02T23:59:59Z\nprovider: {name: ESPN, domain: espn.com}\ntopics: [Football]\n",
    "c.txt": "title: Markets rally\nexcerpt: Stocks rose as climate fears eased.\ncategory: News\ntype: video\n"
    "quality: 60\nheat: 60\npublishedDateTime: 2023-01-03T00:00:00Z\nprovider: Bloomberg\ntopics: energy\n",
    "d.txt": "title: Undated note\ncategory: opinion\n",
}


@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    folder = tmp_path_factory.mktemp("filters")
    for name, front_matter in ARTICLES.items():
        write_document(folder, name, f"---\n{front_matter}---\n")
    collection = load_collection(folder)
    assert collection.problems == []
    return collection.frame


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), ["a.txt", "b.txt", "c.txt", "d.txt"]),
        (Filters(search="CLIMATE"), ["a.txt", "c.txt"]),  # title and excerpt, any case
        (Filters(search="reuters.com"), []),  # the domain is not searched, the provider name is
        (Filters(search="espN"), ["b.txt"]),
        (Filters(categories=("news",)), ["a.txt", "c.txt"]),  # category is matched in any case
        (Filters(categories=("sport", "opinion")), ["b.txt", "d.txt"]),
        (Filters(type="video"), ["c.txt"]),
        (Filters(providers=("espn.com", "Bloomberg")), ["b.txt", "c.txt"]),  # name or domain
        (Filters(topics=("energy",)), ["a.txt", "c.txt"]),
        (Filters(published="published"), ["a.txt"]),
        (Filters(published="unpublished"), ["b.txt", "c.txt", "d.txt"]),  # missing means unpublished
        (Filters(min_quality=60), ["a.txt", "c.txt"]),  # inclusive; a missing score is out
        (Filters(max_quality=60), ["b.txt", "c.txt"]),
        (Filters(min_heat=60, max_heat=90), ["b.txt", "c.txt"]),
        (Filters(since=dt.date(2023, 1, 2)), ["b.txt", "c.txt"]),
        (Filters(until=dt.date(2023, 1, 2)), ["a.txt", "b.txt"]),  # the whole last day counts
        (Filters(since=dt.date(2023, 1, 2), until=dt.date(2023, 1, 2)), ["b.txt"]),
        (Filters(has_image=True), ["a.txt"]),
        (Filters(categories=("news",), published="unpublished", min_quality=50), ["c.txt"]),
    ],
)
def test_filter_selects(frame, filters, expected):
    assert list(filters.apply(frame).index) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(sort="quality", descending=True), ["a.txt", "c.txt", "b.txt", "d.txt"]),  # missing last
        (Filters(sort="quality"), ["b.txt", "c.txt", "a.txt", "d.txt"]),
        (Filters(sort="publishedDateTime", descending=True), ["c.txt", "b.txt", "a.txt", "d.txt"]),
        (Filters(sort="id", descending=True), ["d.txt", "c.txt", "b.txt", "a.txt"]),
        (Filters(sort="published", descending=True), ["a.txt", "b.txt", "c.txt", "d.txt"]),  # ties by id
    ],
)
def test_sort(frame, filters, expected):
    assert list(filters.apply(frame).index) == expected


@pytest.mark.parametrize(
    ("filters", "sentence"),
    [
        (Filters(), "all articles"),
        (
            Filters(published="unpublished", categories=("news",), min_quality=60),
            "unpublished · category news · quality ≥ 60",
        ),
        (Filters(search=" rally ", providers=("ESPN", "bbc.co.uk")), 'matching "rally" · provider ESPN or bbc.co.uk'),
        (Filters(min_heat=10, max_heat=20, has_image=True), "heat 10–20 · with an image"),
        (Filters(since=dt.date(2023, 1, 1)), "since 2023-01-01"),
        (Filters(since=dt.date(2023, 1, 1), until=dt.date(2023, 2, 1)), "from 2023-01-01 to 2023-02-01"),
        (Filters(topics=("AI",), type="video", max_quality=30), "topic AI · type video · quality ≤ 30"),
    ],
)
def test_describe(filters, sentence):
    assert filters.describe() == sentence


def test_slug_is_safe_for_file_names():
    filters = Filters(published="unpublished", categories=("news/world",), min_quality=60)
    assert filters.slug() == "unpublished-category-news-world-quality-min-60"
    assert Filters(sort="heat").slug() == "all"


def test_bad_values_are_refused_with_a_clear_message():
    with pytest.raises(FilterError, match="cannot sort by 'secured'"):
        Filters(sort="secured")
    with pytest.raises(FilterError, match="published must be one of"):
        Filters(published="maybe")


def test_applying_does_not_change_the_frame(frame):
    before = frame.copy()
    Filters(search="x", sort="heat", descending=True).apply(frame)
    assert frame.equals(before)
