"""Loading never crashes: whatever the files hold, each one becomes exactly one row or one problem.

Property tests write real files into a fresh temp folder per example (pytest's
tmp_path is one folder per test, not per example) and load them with
load_collection, cache and all.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curation import documents
from curation.loading import cache, parsing
from curation.loading.collection import load_collection
from curation.query.filters import Filters
from tests.conftest import examples, write_document

LOADERS = {"libyaml": documents.SafeYamlLoader, "pure-python": yaml.SafeLoader}
FIELD_NAMES = (
    "title", "excerpt", "category", "type", "publishedDateTime", "quality", "heat", "published", "provider",
    "topics", "images", "related", "webUrl", "originalUrl", "ampWebUrl", "cdnAmpWebUrl", "secured",
    "name", "domain", "url",
)  # fmt: skip
# Snippets that have broken a loader somewhere: line breaks only YAML sees, NUL and other control
# characters, escapes for half a UTF-16 pair, anchors, tags, flow and block indicators, a BOM.
TRICKY = (
    "\u2028", "\u2029", "\x85", "\r", "\r\n", "\x00", "\x1b", "\ufeff", "\ufffe", "\t", "\n", "\n---\n", "...",
    '"\\ud800"', '"\\udfff x"', '"\\U0010ffff"', "&a ", "*a", "!!binary ", "!!python/object:os.system ",
    "!!timestamp ", "!!set ", "? ", "- ", ": ", "{", "}", "[", "]", "#", "%YAML 1.1\n", "'", '"', "|", ">",
    "0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "0x" + "f" * 4000, "1" * 5000, ".nan", "-.inf",
)  # fmt: skip

# An example loads a folder once or twice: a third of the budget keeps a test to a few seconds.
SETTINGS = settings(
    max_examples=examples(1 / 3), suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

any_text = st.text(st.characters(), max_size=12)  # every code point, surrogates and controls included
offsets = st.timedeltas(min_value=-dt.timedelta(hours=23, minutes=59), max_value=dt.timedelta(hours=23, minutes=59))
zones = st.none() | st.builds(dt.timezone, offsets)
extreme_datetimes = st.sampled_from(
    [dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59, 999999), dt.datetime(1, 1, 1, 4, 59)]
)
datetimes = st.builds(lambda moment, zone: moment.replace(tzinfo=zone), st.datetimes() | extreme_datetimes, zones)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-1, max_value=101)
    | st.floats()
    | any_text
    | st.sampled_from(["true", "yes", "no", "~", "null", "2023-02-30", "AI", "https://x.example/a.jpg"])
    | st.dates()
    | datetimes
    | st.binary(max_size=8)
)
keys = st.sampled_from(FIELD_NAMES) | any_text | st.integers() | st.booleans() | st.none() | st.dates()
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3),
    max_leaves=8,
)
front_matters = st.dictionaries(keys, values, max_size=8)


@st.composite
def yaml_documents(draw) -> bytes:
    """A file whose front matter is dumped from random data, then maybe damaged with tricky snippets."""
    dumped = yaml.safe_dump(
        draw(front_matters),
        allow_unicode=draw(st.booleans()),
        default_flow_style=draw(st.sampled_from([False, True, None])),
        width=draw(st.sampled_from([80, 10_000])),
    )
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(dumped)))
        dumped = dumped[:at] + draw(st.sampled_from(TRICKY) | any_text) + dumped[at:]
    text = "---\n" + dumped + "---\n" + draw(st.sampled_from(["", "A body.\n", "\x00\u2028 body"]))
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    raw = text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes bytes that are not UTF-8
    return (documents.UTF8_BOM if draw(st.booleans()) else b"") + raw


raw_documents = st.binary(max_size=300) | st.builds(
    lambda middle: b"---\n" + middle + b"\n---\n", st.binary(max_size=300)
)


@pytest.fixture(scope="module")
def frame_types() -> dict:
    """The column types of the frame, as loading an empty folder gives them."""
    with tempfile.TemporaryDirectory() as tmp:
        return load_collection(tmp, use_cache=False).frame.dtypes.to_dict()


def assert_one_row_or_problem_per_file(files: list[bytes], frame_types: dict, *, reload: bool = True) -> None:
    """Load a fresh folder of these files: each one is a row or a problem, never both, never neither.

    With `reload`, load it again from the cache the first load wrote: the same rows and problems come back.
    """
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ids = [f"doc{number}.txt" for number in range(len(files))]
        for doc_id, raw in zip(ids, files, strict=True):
            write_document(folder, doc_id, raw)
        with mock.patch.object(cache, "RACY_NS", 0):  # cache even files written just now
            collection = load_collection(folder)
            again = load_collection(folder) if reload else None
        problem_ids = [problem.path for problem in collection.problems]
        assert sorted([*collection.frame.index, *problem_ids]) == ids
        for problem in collection.problems:
            assert problem.kind and problem.message and len(problem.message.splitlines()) == 1, problem
        assert collection.frame.dtypes.to_dict() == frame_types
        Filters(min_quality=1, since=dt.date(2000, 1, 1), search="a", sort="publishedDateTime").apply(collection.frame)
        if again is None:
            return
        assert again.parsed == 0
        pd.testing.assert_frame_equal(again.frame, collection.frame)
        assert again.problems == collection.problems


@SETTINGS
@given(files=st.lists(yaml_documents(), min_size=1, max_size=4), loader=st.sampled_from(list(LOADERS.values())))
def test_any_front_matter_gives_a_row_or_a_problem_per_file(frame_types, files, loader):
    with mock.patch.object(documents, "SafeYamlLoader", loader):
        assert_one_row_or_problem_per_file(files, frame_types)


@SETTINGS
@given(files=st.lists(raw_documents, min_size=1, max_size=4))
def test_any_bytes_give_a_row_or_a_problem_per_file(frame_types, files):
    # Random bytes rarely make a row, so the cache round trip is left to the front-matter test.
    assert_one_row_or_problem_per_file(files, frame_types, reload=False)


@pytest.mark.parametrize(
    "date",
    [
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:00:00-05:00",
        "'0001-01-01T00:00:00+05:00'",
        '"9999-12-31T23:00:00-05:00"',
        "0001-01-01 04:59:59.999999+05:00",
    ],
)
def test_a_date_outside_the_years_1_to_9999_in_utc_is_a_problem(tmp_path, date):
    """One such date used to crash every load, in the CLI and the dashboard alike."""
    write_document(tmp_path, "far.txt", f"---\ntitle: far\npublishedDateTime: {date}\n---\n")
    write_document(tmp_path, "near.txt", "---\ntitle: near\npublishedDateTime: 2023-01-24T22:31:00Z\n---\n")
    collection = load_collection(tmp_path)
    assert list(collection.frame.index) == ["near.txt"]
    [problem] = collection.problems
    assert (problem.path, problem.line, problem.kind) == ("far.txt", 3, "invalid-field")
    assert "outside the years 1-9999 in UTC" in problem.message


@pytest.mark.parametrize("loader", LOADERS.values(), ids=LOADERS.keys())
def test_an_escape_for_half_a_utf16_pair_is_a_problem(tmp_path, loader, monkeypatch):
    """The pure-Python loader builds "\\ud800" into a string no file or table can hold; it used to crash the load."""
    monkeypatch.setattr(documents, "SafeYamlLoader", loader)
    write_document(tmp_path, "half.txt", '---\ntitle: ok\ntopics: ["AI", "\\ud83d"]\n---\n')
    write_document(tmp_path, "whole.txt", '---\ntitle: "\\U0001F600 is fine"\n---\n')
    collection = load_collection(tmp_path)
    assert collection.frame.loc["whole.txt", "title"] == "\U0001f600 is fine"
    assert [(p.path, p.line) for p in collection.problems] == [("half.txt", 3)]


def test_an_unexpected_error_in_one_file_becomes_a_problem_naming_it(tmp_path, monkeypatch):
    """A bug hit by one file costs that file, with the exception named, and never the whole load."""
    real_read_article = parsing.read_article

    def read_article(raw, path):
        if path == "cursed.txt":
            raise RuntimeError("something nobody foresaw")
        return real_read_article(raw, path)

    monkeypatch.setattr(parsing, "read_article", read_article)
    for name in ("a.txt", "cursed.txt", "z.txt"):
        write_document(tmp_path, name, f"---\ntitle: {name}\n---\n")
    collection = load_collection(tmp_path)
    assert list(collection.frame.index) == ["a.txt", "z.txt"]
    [problem] = collection.problems
    assert (problem.path, problem.kind) == ("cursed.txt", "internal")
    assert "RuntimeError: something nobody foresaw" in problem.message


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_an_interrupt_while_loading_still_stops_the_load(tmp_path, monkeypatch, interrupt):
    """Ctrl-C is not a problem of the file being read: it must not be swallowed as one."""

    def read_article(raw, path):
        raise interrupt

    monkeypatch.setattr(parsing, "read_article", read_article)
    write_document(tmp_path, "a.txt", "---\ntitle: a\n---\n")
    with pytest.raises(interrupt):
        load_collection(tmp_path, use_cache=False)
