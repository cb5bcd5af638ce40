"""Where the documents are: one default for the command line and the dashboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation.cli import build_parser
from curation.store import default_docs_location
from curation.views.session import docs_location


@pytest.mark.parametrize(
    ("environment", "location"),
    [
        ({}, Path("seeds")),
        ({"CURATION_DOCS": ""}, Path("seeds")),
        ({"CURATION_DOCS": "/srv/articles"}, Path("/srv/articles")),
        ({"CURATION_DOCS": "s3://newsroom//articles"}, "s3://newsroom//articles"),  # text: a Path folds the //
    ],
)
def test_the_default_docs_location(environment, location):
    assert default_docs_location(environment) == location
    assert type(default_docs_location(environment)) is type(location)


@pytest.mark.parametrize("configured", [None, "/srv/articles", "s3://newsroom/articles"])
def test_the_command_line_and_the_dashboard_open_the_same_default(monkeypatch, configured):
    if configured is None:
        monkeypatch.delenv("CURATION_DOCS", raising=False)
    else:
        monkeypatch.setenv("CURATION_DOCS", configured)
    expected = default_docs_location()
    assert build_parser().parse_args(["validate"]).docs == expected
    assert docs_location() == expected


def test_a_malformed_bucket_in_the_environment_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setenv("CURATION_DOCS", "s3:///articles")
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["validate"])
    assert exited.value.code == 2
    assert "argument --docs: names no bucket: write s3://bucket/prefix" in capsys.readouterr().err
