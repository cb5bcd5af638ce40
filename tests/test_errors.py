"""One exception tree: every error curation raises is a CurationError, located when it is about a document."""

from __future__ import annotations

import pandas as pd
import pytest

from curation.cli import EXIT_USAGE, UsageError, main
from curation.errors import CurationError, DocumentError, RequestError, format_location
from curation.problems import Problem
from curation.query.export import ExportError, frame_to_csv
from curation.query.filters import FilterError, Filters


@pytest.mark.parametrize(("path", "line", "shown"), [("a/b.txt", 3, "a/b.txt:3"), ("a/b.txt", None, "a/b.txt")])
def test_an_error_and_a_problem_name_their_place_alike(path, line, shown):
    error = DocumentError(path, "no front matter", line, kind="front-matter")
    assert format_location(path, line) == error.location() == shown
    assert str(error) == str(Problem.from_error(error)) == f"{shown}: no front matter"


def test_an_error_about_a_request_has_no_location():
    error = RequestError("say what to change")
    assert (error.path, error.line, error.location()) == (None, None, None)
    assert str(error) == error.message == "say what to change"


def test_a_bad_filter_is_a_curation_error_and_still_a_value_error():
    with pytest.raises(FilterError) as caught:
        Filters(sort="secured")
    assert isinstance(caught.value, CurationError) and isinstance(caught.value, ValueError)
    assert caught.value.location() is None
    assert str(caught.value).startswith("cannot sort by 'secured'; choose one of id, title")


def test_a_bad_export_is_a_curation_error_and_still_a_value_error():
    with pytest.raises(ExportError) as caught:
        frame_to_csv(pd.DataFrame({"title": ["A"]}, index=pd.Index(["a.txt"], name="id")), ["secured"])
    assert isinstance(caught.value, CurationError) and isinstance(caught.value, ValueError)
    assert str(caught.value) == "unknown column secured; choose from id, title"


def test_a_usage_error_is_a_curation_error_the_cli_reports_as_usage(docs, capsys):
    assert issubclass(UsageError, RequestError) and issubclass(UsageError, CurationError)
    with pytest.raises(SystemExit) as exited:
        main(["publish", "--docs", str(docs)])
    assert exited.value.code == EXIT_USAGE
    message = "curation publish: error: give document ids, or --all-matching with filters: curation publish ID...\n"
    assert capsys.readouterr().err == message
