"""The Problems page and the header's link to it, driven through AppTest; the kinds' headings in the library."""

from __future__ import annotations

import ast
import json
import re
from urllib.parse import parse_qs

import pytest

from curation.problems import KIND_HEADINGS, Problem, ProblemKind, kind_heading, problem_report, problems_by_kind
from tests.conftest import REPO, write_document

UNCLOSED_QUOTE = '---\ntitle: "Parliament votes on the budget\nquality: 60\nheat: 12\n---\n'


def on_problems_page(app):
    app.run()
    return app.switch_page("curation/views/problems.py").run()


def frame_with(app, path: str):
    """The Problems table that lists this file."""
    return next(frame.value for frame in app.dataframe if path in list(frame.value.get("path", [])))


def test_problems_show_under_human_headings_with_the_kind_code_in_small_type(app, docs):
    """An editor opens Problems and reads what is wrong in words; the kind's code is there for whoever fixes it."""
    write_document(docs, "quote.txt", UNCLOSED_QUOTE)
    app = on_problems_page(app)
    assert not app.exception
    headings = [subheader.value for subheader in app.subheader]
    assert headings[:2] == ["Fields with invalid values (1)", "YAML syntax errors (1)"]
    assert not set(headings) & set(KIND_HEADINGS)  # no heading is a bare code like "yaml-syntax"
    captions = [caption.value.replace("\\", "") for caption in app.caption]
    assert "kind: invalid-field" in captions and "kind: yaml-syntax" in captions
    assert list(frame_with(app, "broken.txt")["path"]) == ["broken.txt"]


def test_the_header_count_of_problems_links_to_the_problems_page(app):
    """On any page, an editor who sees "1 problem" in the header clicks it to open the Problems page."""
    app.run()
    assert app.markdown[0].value == "**301 articles · 301 shown · [1 problem](problems)** — all articles"
    app.switch_page("curation/views/gallery.py").run()
    assert "· [1 problem](problems)**" in app.markdown[0].value
    app = on_problems_page(app)
    assert app.markdown[0].value == "**301 articles · 301 shown · 1 problem** — all articles"  # not to itself


def test_the_link_to_problems_keeps_the_filters_as_text_in_the_url(app):
    """The Problems page opens with the same filters; a hostile search stays inside the link's URL."""
    app.query_params["search"] = "x](javascript:alert(1)) [y"
    app.query_params["category"] = ["news", "sport"]
    app.run()
    link = re.search(r"\[1 problem\]\(([^)\s]*)\)", app.markdown[0].value)
    assert link is not None
    target = link.group(1)
    assert target.startswith("problems?") and not set(target) & set("()[]<> `\"'")
    query = parse_qs(target.removeprefix("problems?"))
    assert query["search"] == ["x](javascript:alert(1)) [y"] and query["category"] == ["news", "sport"]


def test_without_problems_the_header_has_no_link(docs, monkeypatch):
    """With nothing to fix there is nothing to link to: the header just says 0 problems."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("CURATION_DOCS", str(docs))
    monkeypatch.delenv("CURATION_READ_ONLY", raising=False)
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    app.run()
    assert app.markdown[0].value == "**301 articles · 301 shown · 0 problems** — all articles"


def test_an_unclosed_quote_names_the_line_where_it_opened(app, docs):
    """libyaml reports the end of the front matter (line 5); the message also says the quote opened on line 2."""
    write_document(docs, "quote.txt", UNCLOSED_QUOTE)
    app = on_problems_page(app)
    table = frame_with(app, "quote.txt")
    (message,) = list(table["message"])
    assert list(table["line"]) == [5]
    assert "found unexpected end of stream" in message and "the quote opened on line 2 is never closed" in message
    assert f"quote.txt:5: {message}" in app.code[0].value  # the report to send says the same


def _kinds_given_in(source: str) -> set[str]:
    """Problem kinds the source gives: `ProblemKind.NAME` (a name ProblemKind lacks comes back as itself),
    and words written as literals, `kind="..."` and the fourth argument of `Problem(...)`."""
    kinds = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ProblemKind":
            kinds.add(ProblemKind.__members__.get(node.attr, node.attr))
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg == "kind" and isinstance(keyword.value, ast.Constant):
                kinds.add(keyword.value.value)
        is_problem = isinstance(node.func, ast.Name) and node.func.id == "Problem" and len(node.args) == 4
        if is_problem and isinstance(node.args[3], ast.Constant):
            kinds.add(node.args[3].value)
    return kinds


def test_the_kind_scan_finds_words_members_and_misspellings():
    source = 'Problem(p, None, m, "state")\nDocumentError(p, m, kind=ProblemKind.ANCHOR)\nProblemKind.ANKOR\n'
    assert _kinds_given_in(source) == {"state", "anchor", "ANKOR"}


def test_every_problem_kind_has_a_heading():
    assert set(KIND_HEADINGS) == set(ProblemKind)
    assert all(isinstance(kind, ProblemKind) for kind in KIND_HEADINGS)


def test_every_problem_kind_the_code_gives_is_a_problem_kind():
    """A kind outside ProblemKind would have no heading and show as its code: the library gives none."""
    kinds = set().union(*(_kinds_given_in(path.read_text()) for path in (REPO / "curation").rglob("*.py")))
    kinds.discard("stable")  # pandas' sort kind in filters.py, not a problem
    assert {"yaml-syntax", "front-matter", "duplicate", "internal"} <= kinds
    assert kinds <= set(ProblemKind)


def test_a_problem_kind_is_a_member_and_prints_as_its_code():
    """Problems from the loaders, the cache (plain words) and older caches (unknown words) alike."""
    problem = Problem("a.txt", 2, "bad", "yaml-syntax")
    assert problem.kind is ProblemKind.YAML_SYNTAX and problem.kind == "yaml-syntax"
    assert json.dumps(problem.to_dict()) == '{"path": "a.txt", "line": 2, "message": "bad", "kind": "yaml-syntax"}'
    assert f"{problem.kind}" == str(problem.kind) == "yaml-syntax"
    old = Problem("b.txt", None, "gone", "retired-kind")
    assert old.kind == "retired-kind" and kind_heading(old.kind) == "Retired kind"


@pytest.mark.parametrize(
    ("kind", "heading"),
    [("yaml-syntax", "YAML syntax errors"), ("front-matter", "Missing or unclosed front matter"),
     ("some-new-kind", "Some new kind")],
)  # fmt: skip
def test_kind_heading(kind, heading):
    assert kind_heading(kind) == heading


def test_problems_group_by_kind_in_the_order_of_their_headings(tmp_path):
    problems = [
        Problem("b.txt", 4, "YAML syntax error: x", "yaml-syntax"),
        Problem("a.txt", 1, "no front matter", "front-matter"),
        Problem("c.txt", 3, "`heat` must be a whole number", "invalid-field"),
        Problem("d.txt", 2, "YAML syntax error: y", "yaml-syntax"),
    ]
    grouped = problems_by_kind(problems)
    assert list(grouped) == ["invalid-field", "front-matter", "yaml-syntax"]
    assert [problem.path for problem in grouped["yaml-syntax"]] == ["b.txt", "d.txt"]
    report = problem_report(tmp_path, problems, [])
    assert report.splitlines()[1:] == [f"  {problem}" for problem in problems]
