"""The fast front-matter reader gives what PyYAML's CSafeLoader gives, or steps aside.

Differential tests: every document is read twice, with the fast path and with
PyYAML alone (`fast=False`), and the two must give equal rows (values and
types) or equal problems (kind, line and message). Hypothesis writes front
matter aimed at what YAML 1.1 and 1.2 read differently, and at the edges of
the subset; the golden fixtures, the seed and a generated corpus run too.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import string
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation import documents
from curation.demo import write_demo_collection
from curation.documents import ListSummary, parse_front_matter, read_article
from curation.errors import DocumentError
from curation.fast_front_matter import read_plain_front_matter
from curation.loading.collection import load_collection
from tests.conftest import GOLDEN_DIR, SEED_ID

SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow])
FIELDS = (
    "title", "excerpt", "category", "type", "publishedDateTime", "quality", "heat", "published", "provider",
    "topics", "images", "related", "webUrl", "originalUrl", "secured", "name", "domain", "url", "width",
)  # fmt: skip
# Plain scalars YAML 1.1 (PyYAML) and 1.2 read differently, or that only look like plain text.
DISPUTED = (
    "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
    "yEs", "nO", "oN", "True", "TRUE", "False", "tRUE", "null", "Null", "NULL", "nULL", "~",
    "012", "007", "0o17", "0x1F", "0b101", "1:30", "-1:30", "1_000", "+5", "-0", "-3", "1e3", "1.0e+3",
    "1.5", ".5", ".inf", "-.inf", ".Inf", ".nan", ".NaN", "<<", "=", "9" * 19,
    "2023-02-30", "2023-1-2", "0000-01-01", "2023-01-24 22:31:00", "2023-01-24t22:31:00z",
    "2023-01-24T22:31:00", "2023-01-24T22:31:00.5Z", "2023-01-24T22:31:00+05:00", "2023-01-24T25:00:00Z",
)  # fmt: skip
# Everything else the guard must leave to PyYAML.
NOT_PLAIN = (
    '"2022-02-05T14:10:41Z"', "'2022-02-05T14:10:41Z'", '"2023-01-24"', "'single'", "!!str 5",
    "!!timestamp soon", "!!binary aGk=", "&a x", "*a", "x # a comment", "[a, b]", "{a: 1}", "|", ">",
    '"a\\x41"', '"\\u00e9"', '"\\/"', '"\\ud800"', '"a" "b"', '"a"b', "AT&T", "a: b: c", "C++",
    "é", "Café", "a\tb", '"a\tb"', '"\u2028"', '"\x85"', '"\ufeff"', '"\x7f"', "a\u00a0b",
)  # fmt: skip
IN_SUBSET = (
    "news", "Game Rant", "Facebook AI", "decider.com", "a/b-c_d.e", "x -", "true", "false", "0", "52",
    "100", "2023-01-24T22:31:00Z", "2023-01-24", '""', '"x"', '"a \\"b\\" c"', '"back\\\\slash"',
    '"line\\nbreak"', '"tab\\there"', '"Café ☕ 東京"', '"# not a comment"', '"&a *b !c"', '"yes"',
    '"1:30"', '"012"', "9" * 18,
)  # fmt: skip


def typed(value: Any) -> Any:
    """The value with every scalar's type beside it: True and 1, or two time zones, never compare equal."""
    if isinstance(value, dict):
        return {typed(key): typed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [typed(item) for item in value]
    if isinstance(value, dt.date):
        return (type(value).__name__, value.isoformat())
    if isinstance(value, ListSummary):
        return ("ListSummary", value.length, value.first_url)
    return (type(value).__name__, value)


def outcome(raw: bytes, *, fast: bool) -> tuple:
    """The row one file gives, or its problem (kind, line, message)."""
    try:
        return ("row", typed(read_article(raw, "doc.txt", fast=fast)))
    except DocumentError as error:
        return ("problem", error.kind, error.line, error.message)


def front_matter(raw: bytes, *, fast: bool) -> tuple | None:
    """What parse_front_matter keeps for the row: the data, key lines and single-line keys."""
    try:
        parsed = parse_front_matter(raw, "doc.txt", summarized=("related", "images"), fast=fast)
    except DocumentError:
        return None
    return typed(parsed.data), parsed.key_lines, parsed.single_line_keys


def assert_same_as_pyyaml(raw: bytes) -> None:
    assert outcome(raw, fast=True) == outcome(raw, fast=False)
    assert front_matter(raw, fast=True) == front_matter(raw, fast=False)


# --- Hypothesis: front matter aimed at the edges ----------------------------------------------------

# Values in the subset, and values at or past its edge.
PLAIN_CHARACTERS = string.ascii_letters + string.digits + " ._/-"
safe_scalars = (
    st.sampled_from(IN_SUBSET)
    | st.builds(str.__add__, st.sampled_from(string.ascii_letters), st.text(PLAIN_CHARACTERS, max_size=10))
    | st.integers(0, 10**18 - 1).map(str)
    | st.datetimes().map(lambda moment: moment.isoformat(timespec="seconds") + "Z")
    | st.dates().map(dt.date.isoformat)
    | st.text(st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S")) | st.just(" "), max_size=8).map(
        lambda text: json.dumps(text, ensure_ascii=False)
    )
)
edge_scalars = (
    st.sampled_from(DISPUTED)
    | st.sampled_from(NOT_PLAIN)
    | st.text(st.sampled_from("aZ09 ._/-:#&*!'\"\\é\t"), min_size=1, max_size=8)
)
safe_keys = st.sampled_from(FIELDS) | st.builds(
    str.__add__,
    st.sampled_from(string.ascii_letters + "_"),
    st.text(string.ascii_letters + string.digits + "_", max_size=6),
)
edge_keys = st.sampled_from(["yes", "No", "on", "y", "N", "null", "True", "<<", "=", '"title"', "'a'", "? a", "1", "é"])
trees = st.dictionaries(
    safe_keys,
    st.recursive(
        safe_scalars,
        lambda children: (
            st.lists(children, min_size=1, max_size=3) | st.dictionaries(safe_keys, children, min_size=1, max_size=3)
        ),
    ),
    min_size=1,
    max_size=6,
)


def _render(node: Any, indent: int, step: int) -> list[str]:
    """Block YAML for a nested list/dict of scalars, children `step` columns in."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict | list):
                lines += [f"{pad}{key}:", *_render(value, indent + step, step)]
            else:
                lines.append(f"{pad}{key}: {value}")
        return lines
    for item in node:
        if isinstance(item, dict):
            inner = _render(item, indent + 2, step)
            lines += [f"{pad}- {inner[0].lstrip(' ')}", *inner[1:]]
        elif isinstance(item, list):
            lines += [f"{pad}-", *_render(item, indent + step, step)]
        else:
            lines.append(f"{pad}- {item}")
    return lines


TRICKY_LINES = ("", " ", "\t", "# note", "- x", "---", "...", "%YAML 1.1", "? a", "&x", "\r", "x", "  y: 1")


@st.composite
def front_matter_files(draw) -> bytes:
    """Front matter in the subset, or one step outside it: a value, a key, a line or an indent."""
    tree = {"title": draw(safe_scalars), **draw(trees)} if draw(st.booleans()) else draw(trees)
    lines = _render(tree, 0, draw(st.sampled_from([2, 4, 1])))
    at = draw(st.integers(0, len(lines) - 1))
    line = lines[at]
    change = draw(st.sampled_from(["none", "value", "key", "line", "indent", "spaces"]))
    if change == "value" and (": " in line or "- " in line):
        head = line[: line.index(": ") + 2] if ": " in line else line[: line.index("- ") + 2]
        lines[at] = head + draw(edge_scalars)
    elif change == "key" and ":" in line:
        lines[at] = line[: len(line) - len(line.lstrip(" -"))] + draw(edge_keys) + line[line.index(":") :]
    elif change == "line":
        lines.insert(at, draw(st.sampled_from(TRICKY_LINES)))
    elif change == "indent":
        lines[at] = " " * draw(st.integers(0, 6)) + line.lstrip(" ")
    elif change == "spaces":
        lines = [text + draw(st.sampled_from(["", " ", "  "])) for text in lines]
    text = "---\n" + "\n".join(lines) + "\n---\nbody\n"
    if draw(st.integers(0, 4)) == 0:
        text = text.replace("\n", "\r\n")
    return text.encode("utf-8")


@SETTINGS
@given(raw=front_matter_files())
def test_fast_path_equals_pyyaml_on_generated_front_matter(raw):
    """Whatever the front matter holds, the row or the problem is the one PyYAML alone gives."""
    assert_same_as_pyyaml(raw)


@SETTINGS
@given(
    value=safe_scalars | edge_scalars,
    key=st.sampled_from(["title", "quality", "published", "publishedDateTime", "topics", "category"]),
    shape=st.sampled_from(
        [
            "{key}: {value}",
            "{key}:\n  - {value}",
            "related:\n  - url: {value}\n    {key}: x",
            "images:\n  - {value}\n  - url: x",
            "images:\n  - url: x\n    width: {value}\n    {key}: {value}",
            "related:\n  - title: x\n    {key}: {value}\n    images:\n      - url: {value}\n  - url: y",
        ]
    ),
)
def test_fast_path_equals_pyyaml_on_each_edge_value(value, key, shape):
    """One edge-case value, at the top level or inside the lists a row only counts, in a small document."""
    seed = (GOLDEN_DIR / "ok_minimal.txt").read_text(encoding="utf-8")
    raw = seed.replace("---\n", "---\n" + shape.format(key=key, value=value) + "\n", 1).encode("utf-8", "surrogatepass")
    assert_same_as_pyyaml(raw)


# --- The guard, value by value ----------------------------------------------------------------------


@pytest.mark.parametrize("value", DISPUTED + NOT_PLAIN)
def test_the_guard_leaves_disputed_values_to_pyyaml(value):
    """yes/no/on/off/y/n, leading zeros, 1:30, <<, =, ~, null, .inf, 1e3, 0x, tags, anchors, quoted dates…"""
    for text in (f"title: t\nvalue: {value}\n", f"title: t\nlist:\n  - {value}\n", f"title: t\n{value}: x\n"):
        assert read_plain_front_matter(text) is None, text


@pytest.mark.parametrize("value", IN_SUBSET)
def test_the_subset_reads_its_values_as_pyyaml_does(value):
    text = f"title: t\nvalue: {value}\nlist:\n  - {value}\n  - key: {value}\n"
    plain = read_plain_front_matter(text)
    assert plain is not None
    assert typed(plain[0]) == typed(yaml.load(text, Loader=documents.SafeYamlLoader))


@pytest.mark.parametrize(
    "text",
    [
        "",  # empty: not a mapping
        "  title: t\n",  # a top-level mapping that is indented
        "title: t\ntitle: u\n",  # a key twice
        "a:\n  b: 1\n  b: 2\n",  # a key twice in a nested mapping
        "title:\n",  # an empty value is null
        "title: a\n  b\n",  # a multi-line plain scalar
        "topics:\n- a\n",  # an indentless sequence
        "topics:\n  - a\n   - b\n",  # items at two indents
        "a:\n  - b: 1\n   c: 2\n",  # an item mapping's keys at two indents
        "a:\n  -\n    b: 1\n",  # an item on the next line
        "a:\n  - - b\n",  # a nested compact sequence
        "title: t\n...\n",  # a document end marker
        "title: t\r\n\rb: 1\n",  # a lone carriage return
        "deep:\n" + "".join(" " * (2 * n) + f"k{n}:\n" for n in range(1, 20)) + " " * 40 + "z: 1\n",  # 20 levels
        "k" * 129 + ": x\n",  # a key longer than the subset allows
    ],
)
def test_structures_outside_the_subset_are_left_to_pyyaml(text):
    assert read_plain_front_matter(text) is None


def test_key_lines_and_single_line_keys_are_those_of_pyyaml(seed_only):
    raw = (seed_only / SEED_ID).read_bytes()
    fast = parse_front_matter(raw, SEED_ID, fast=True)
    reference = parse_front_matter(raw, SEED_ID)
    assert fast.key_lines == reference.key_lines and fast.key_lines["published"] == 13
    assert fast.single_line_keys == reference.single_line_keys and "provider" not in fast.single_line_keys


# --- Real documents -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(GOLDEN_DIR.glob("*.txt")), ids=lambda path: path.stem)
def test_golden_fixtures_give_the_same_row_or_problem(path):
    assert_same_as_pyyaml(path.read_bytes())


def test_the_seed_takes_the_fast_path_and_gives_the_same_row(seed_only):
    raw = (seed_only / SEED_ID).read_bytes()
    text = raw.decode("utf-8")
    assert read_plain_front_matter(text[4 : text.index("\n---\n") + 1]) is not None
    assert_same_as_pyyaml(raw)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("generated") / "docs"
    write_demo_collection(folder, 300, seed=17)
    return folder


def test_a_generated_corpus_takes_the_fast_path_and_gives_the_same_rows(generated):
    """Every demo document is in the subset, so the benchmark measures the fast path, and each row is PyYAML's."""
    for path in sorted(generated.glob("*.txt")):
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        assert read_plain_front_matter(text[4 : text.index("\n---\n") + 1]) is not None, path.name
        assert_same_as_pyyaml(raw)


def test_a_load_is_the_same_without_the_fast_path(generated, golden_copy, tmp_path, monkeypatch):
    """The frame and the problems never depend on the fast path, only the time they take."""
    folder = tmp_path / "mixed"
    shutil.copytree(generated, folder)
    shutil.copytree(golden_copy, folder / "golden", ignore=shutil.ignore_patterns(".curation", "*.json"))
    fast = load_collection(folder, use_cache=False)
    monkeypatch.setattr(documents, "read_plain_front_matter", lambda *args: None)
    slow = load_collection(folder, use_cache=False)
    pd.testing.assert_frame_equal(fast.frame, slow.frame)
    assert fast.problems == slow.problems and len(fast.problems) > 20
