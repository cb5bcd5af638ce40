"""One definition of the filters (FILTER_PARTS) makes the command line's flags and the dashboard's links."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from curation.cli import build_parser, main
from curation.loading.collection import load_collection
from curation.query.filters import FILTER_PARTS, Filters
from tests.conftest import write_document


def test_every_filters_field_is_in_a_link_and_every_name_is_used_once():
    """Each field of Filters is set by some part's link parameter; parameters and flags are unique."""
    everything = Filters(
        search="election", categories=("news", "politics"), type="video", providers=("CBC",), domains=("cbc.ca",),
        topics=("AI",), published="unpublished", min_quality=30, max_quality=90, min_heat=10, max_heat=80,
        since=dt.date(2022, 1, 1), until=dt.date(2024, 12, 31), has_image=True, duplicates_only=True,
        sort="quality", descending=True,
    )  # fmt: skip
    for field in dataclasses.fields(Filters):
        set_by = [part.parameter for part in FILTER_PARTS if field.name in part.from_url(part.to_url(everything))]
        assert set_by, f"no link parameter sets Filters.{field.name}"
    parameters = [part.parameter for part in FILTER_PARTS]
    flags = [flag.name for part in FILTER_PARTS for flag in part.flags]
    assert len(set(parameters)) == len(parameters) and len(set(flags)) == len(flags)
    assert Filters.from_query(everything.to_query()) == (everything, [])


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--domain", "cbc.ca", "--domain", "bbc.co.uk"], Filters(domains=("cbc.ca", "bbc.co.uk"))),
        (["--duplicates", "--unpublished"], Filters(duplicates_only=True, published="unpublished")),
        (
            ["--search", "x", "--min-heat", "5", "--sort", "heat:desc"],
            Filters(search="x", min_heat=5, sort="heat", descending=True),
        ),
        ([], Filters()),
    ],
)
def test_the_flags_make_the_filters_a_link_would(argv, expected):
    from curation.cli import filters_from_arguments

    args = build_parser().parse_args(["export", *argv])
    assert filters_from_arguments(args) == expected
    assert Filters.from_query(expected.to_query()) == (expected, [])  # and the same filters as a link


def test_export_by_domain_and_duplicates_selects_what_the_dashboard_selects(capsys, docs):
    """The flags the command line gained: --domain, --duplicates, and search over the domain and URL too."""
    for name in ("copy-a.txt", "copy-b.txt"):
        write_document(docs, name, '---\ntitle: Copy\nwebUrl: "https://copies.example/1"\n'
                                   "provider: {name: Copies, domain: copies.example}\n---\n")  # fmt: skip
    frame = load_collection(docs).frame
    for argv, filters in (
        (["--domain", "copies.example"], Filters(domains=("copies.example",))),
        (["--duplicates"], Filters(duplicates_only=True)),
        (["--search", "copies.example/1"], Filters(search="copies.example/1")),
    ):
        assert main(["export", "--docs", str(docs), "--format", "json", *argv]) == 0
        exported = [record["id"] for record in json.loads(capsys.readouterr().out)]
        assert exported == list(filters.apply(frame).index) and "copy-a.txt" in exported
