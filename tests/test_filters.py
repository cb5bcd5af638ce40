"""Filters: each one narrows the frame on data, and describes itself in words."""

from __future__ import annotations

import datetime as dt

import pytest

from curation.query.filters import DASHBOARD_FILTERS, SORT_COLUMNS, FilterError, Filters
from tests.conftest import load_front_matters

ARTICLES = {
    "a.txt": "title: Climate summit opens\ncategory: news\ntype: article\nquality: 80\nheat: 10\npublished: true\n"
    "publishedDateTime: 2023-01-01T08:00:00Z\nprovider: {name: Reuters, domain: reuters.com}\n"
    "topics: [Climate, Energy]\nwebUrl: https://www.reuters.com/world/climate-summit\n"
    'images:\n  - url: "https://img.example/a.jpg"\n',
    "b.txt": "title: Cup final tonight\ncategory: sport\ntype: article\nquality: 40\nheat: 90\npublished: false\n"
    "publishedDateTime: 2023-01-02T23:59:59Z\nprovider: {name: ESPN, domain: espn.com}\ntopics: [Football]\n",
    "c.txt": "title: Markets rally\nexcerpt: Stocks rose as climate fears eased.\ncategory: News\ntype: video\n"
    "quality: 60\nheat: 60\npublishedDateTime: 2023-01-03T00:00:00Z\nprovider: Bloomberg\ntopics: energy\n",
    "d.txt": "title: Undated note\ncategory: opinion\nwebUrl: https://www.reuters.com/world/climate-summit\n",
}


@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    collection = load_front_matters(tmp_path_factory.mktemp("filters"), ARTICLES)
    assert collection.problems == []
    return collection.frame


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), ["a.txt", "b.txt", "c.txt", "d.txt"]),
        (Filters(search="CLIMATE"), ["a.txt", "c.txt", "d.txt"]),  # title, excerpt and URL, any case
        (Filters(search="reuters.com"), ["a.txt", "d.txt"]),  # the domain and the URL are searched too
        (Filters(search="climate-summit"), ["a.txt", "d.txt"]),
        (Filters(domains=("REUTERS.com",)), ["a.txt"]),
        (Filters(duplicates_only=True), ["a.txt", "d.txt"]),  # the same webUrl
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
        (Filters(since=dt.date.min), ["a.txt", "b.txt", "c.txt"]),  # the calendar's first and last days
        (Filters(until=dt.date.max), ["a.txt", "b.txt", "c.txt"]),
        (Filters(since=dt.date.min, until=dt.date.max), ["a.txt", "b.txt", "c.txt"]),
        (Filters(since=dt.date.max), []),
        (Filters(until=dt.date.min), []),
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
        (Filters(since=dt.date(1, 1, 1)), "since 0001-01-01"),  # always YYYY-MM-DD
        (Filters(until=dt.date(999, 12, 31)), "until 0999-12-31"),
        (Filters(since=dt.date(1, 1, 1), until=dt.date(9999, 12, 31)), "from 0001-01-01 to 9999-12-31"),
        (Filters(topics=("AI",), type="video", max_quality=30), "topic AI · type video · quality ≤ 30"),
    ],
)
def test_describe(filters, sentence):
    assert filters.describe() == sentence


def test_articles_dated_on_the_calendars_first_and_last_days(tmp_path):
    """The years 1 and 9999 are valid dates in a document and in a filter: the whole last day counts."""
    collection = load_front_matters(tmp_path, {
        "first.txt": "title: First\npublishedDateTime: 0001-01-01T00:00:00Z\n",
        "last.txt": "title: Last\npublishedDateTime: 9999-12-31T23:59:59Z\n",
    })  # fmt: skip
    assert collection.problems == []
    first, last = dt.date.min, dt.date.max
    for filters, expected in [
        (Filters(until=first), ["first.txt"]),
        (Filters(since=last), ["last.txt"]),
        (Filters(until=last), ["first.txt", "last.txt"]),
        (Filters(since=first, until=first), ["first.txt"]),
        (Filters(since=last, until=last), ["last.txt"]),
    ]:
        assert list(filters.apply(collection.frame).index) == expected, filters


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


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        DASHBOARD_FILTERS,
        Filters(
            search="cup final",
            categories=("news", "sport"),
            type="video",
            providers=("ESPN",),
            domains=("espn.com",),
            topics=("Football", "AI"),
            published="unpublished",
            min_quality=60,
            max_heat=90,
            since=dt.date(2022, 6, 2),
            until=dt.date(2022, 6, 30),
            has_image=True,
            duplicates_only=True,
            sort="quality",
            descending=False,
        ),
        Filters(max_quality=99, min_heat=1),
        Filters(since=dt.date.min, until=dt.date.max),
    ],
)
def test_a_filter_survives_its_url(filters):
    """to_query then from_query gives the same filters, whatever the base the URL leaves out."""
    for base in (Filters(), DASHBOARD_FILTERS):
        assert Filters.from_query(filters.to_query(base), base) == (filters, [])


def test_the_url_leaves_out_what_equals_the_base():
    assert DASHBOARD_FILTERS.to_query(DASHBOARD_FILTERS) == {}
    assert Filters(published="unpublished", min_quality=60).to_query(DASHBOARD_FILTERS) == {
        "published": ["unpublished"], "quality": ["60", "100"], "sort": ["id"], "desc": ["false"],
    }  # fmt: skip


def test_the_calendars_edges_in_a_url_apply_and_a_date_beyond_them_is_named():
    filters, complaints = Filters.from_query({"since": ["0001-01-01"], "until": ["9999-12-31"]})
    assert (filters.since, filters.until, complaints) == (dt.date.min, dt.date.max, [])
    filters, complaints = Filters.from_query({"since": ["0000-12-31"], "until": ["10000-01-01"]})
    assert (filters.since, filters.until) == (None, None)
    assert complaints == [
        "the link's since=0000-12-31 was ignored: '0000-12-31' is not a date; write it as YYYY-MM-DD, e.g. 2024-03-31",
        "the link's until=10000-01-01 was ignored: '10000-01-01' is not a date; write it as YYYY-MM-DD, "
        "e.g. 2024-03-31",
    ]


def test_unusable_url_values_are_named_and_the_rest_applies():
    params = {"quality": ["abc"], "since": ["2022-13-01"], "sort": ["colour"], "published": ["maybe"],
              "category": ["news"], "page": ["3"]}  # fmt: skip
    filters, complaints = Filters.from_query(params, DASHBOARD_FILTERS)
    assert filters == Filters(categories=("news",), sort="publishedDateTime", descending=True)
    assert complaints == [
        "the link's quality=abc was ignored: give two numbers from 0 to 100, low then high",
        "the link's since=2022-13-01 was ignored: '2022-13-01' is not a date; write it as YYYY-MM-DD, e.g. 2024-03-31",
        "the link's sort=colour was ignored: choose one of " + ", ".join(SORT_COLUMNS),
        "the link's published=maybe was ignored: choose one of all, published, unpublished",
    ]
