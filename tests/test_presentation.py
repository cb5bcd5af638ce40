"""What the pages show: only http(s) links and images, never `secured`, escaped text."""

from __future__ import annotations

import datetime as dt

import pytest

from curation.collection import load_collection
from curation.filters import Filters
from curation.presentation import (
    TABLE_COLUMNS,
    article_details,
    article_table,
    export_file_name,
    image_urls,
    problem_report,
)
from curation.safety import escape_markdown, http_url, markdown_link
from tests.conftest import SEED_ID, write_document


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://decider.com/a.jpg?quality=75&strip=all", True),
        ("http://example.com/", True),
        ("HTTPS://EXAMPLE.COM/x", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("JaVaScRiPt:alert(1)", False),
        ("data:image/png;base64,AAAA", False),
        ("vbscript:msgbox", False),
        ("//evil.example/x", False),
        ("https://", False),
        ("https://exa mple.com", False),
        ("https://example.com/\nx", False),
        ("ftp://example.com/file", False),
        ("", False),
        (None, False),
        (42, False),
    ],
)
def test_only_http_urls_are_allowed(url, safe):
    assert (http_url(url) is not None) is safe


def test_markdown_is_escaped_and_links_only_for_http():
    assert escape_markdown("**bold** [x](y) <b>") == "\\*\\*bold\\*\\* \\[x\\]\\(y\\) \\<b\\>"
    assert markdown_link("Title", "javascript:alert(1)") == "Title"
    assert markdown_link("A (b)", "https://x.example/a(b)") == "[A \\(b\\)](https://x.example/a%28b%29)"


def test_article_table_drops_unsafe_urls(tmp_path):
    write_document(tmp_path, "a.txt", '---\ntitle: A\nwebUrl: "javascript:alert(1)"\nimages:\n  - url: "data:x"\n---\n')
    write_document(
        tmp_path,
        "b.txt",
        '---\ntitle: B\nwebUrl: "https://b.example/"\nimages:\n  - url: "https://b.example/i.jpg"\n---\n',
    )
    table = article_table(load_collection(tmp_path).frame, selected=["b.txt"])
    assert list(table.columns) == list(TABLE_COLUMNS)
    assert table.loc["a.txt", "link"] is not None and str(table.loc["a.txt", "link"]) == "<NA>"
    assert table.loc["b.txt", "link"] == "https://b.example/"
    assert table.loc["b.txt", "image"] == "https://b.example/i.jpg"
    assert list(table["select"]) == [False, True]


def test_article_table_of_nothing_keeps_boolean_columns(seed_only):
    table = article_table(load_collection(seed_only).frame.iloc[0:0])
    assert str(table["select"].dtype) == "bool" and str(table["published"].dtype) == "bool"


def test_export_file_name_carries_the_date_and_filter():
    filters = Filters(published="unpublished", categories=("news",))
    assert (
        export_file_name(filters, "csv", dt.date(2026, 11, 25)) == "articles-2026-11-25-unpublished-category-news.csv"
    )
    assert export_file_name(Filters(), "json", dt.date(2026, 1, 2)) == "articles-2026-01-02-all.json"


def test_details_never_include_secured(seed_only):
    details = article_details(seed_only, SEED_ID)
    assert "secured" not in details
    assert details["quality"] == 52 and len(details["related"]) == 2
    assert image_urls(details) == ([details["images"][0]["url"]], 0)


def test_problem_report_is_plain_text(tmp_path):
    write_document(tmp_path, "bad.txt", "---\ntitle: t\nheat: 101\n---\n")
    write_document(tmp_path, "a.txt", '---\ntitle: t\nwebUrl: "https://x/1"\n---\n')
    write_document(tmp_path, "b.txt", '---\ntitle: t\nwebUrl: "https://x/1"\n---\n')
    collection = load_collection(tmp_path)
    report = problem_report(tmp_path, collection.problems, collection.warnings)
    assert "  bad.txt:3: `heat` must be a whole number from 0 to 100, not 101" in report
    assert "Likely duplicates (1):\n  b.txt: likely a duplicate of a.txt" in report
