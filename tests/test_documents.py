"""Reading documents: golden fixtures for every problem kind and every lenient case."""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pytest
import yaml

from curation import documents
from curation.documents import MAX_DOCUMENT_BYTES, document_details, image_urls
from curation.editing.publish import set_published
from curation.errors import PublishRefusedError
from curation.loading.collection import load_collection
from curation.problems import Problem
from tests.conftest import FIXTURES, SEED_ID, write_document

GOLDEN = FIXTURES / "documents"
GOLDEN_CASES = sorted(path.name.removesuffix(".expected.json") for path in GOLDEN.glob("*.expected.json"))


@pytest.fixture(scope="module")
def golden_collection(golden_copy):
    return load_collection(golden_copy)


def _plain(value):
    if isinstance(value, pd.Timestamp):
        return value.isoformat().replace("+00:00", "Z")  # strftime writes the year 1 as "1"
    if value is pd.NA:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_golden_document(golden_collection, name):
    """Each fixture loads to exactly the row or the problem its .expected.json names."""
    expected = json.loads((GOLDEN / f"{name}.expected.json").read_text())
    doc_id = f"{name}.txt"
    problems = [problem for problem in golden_collection.problems if problem.path == doc_id]
    if "problem" in expected:
        assert doc_id not in golden_collection.frame.index
        assert len(problems) == 1, problems
        problem = problems[0]
        assert problem.kind == expected["problem"]["kind"]
        assert problem.line == expected["problem"].get("line")
        assert "\n" not in problem.message and "\r" not in problem.message
        phrase = expected["problem"]["message_contains"]  # every problem fixture pins a phrase of its message
        assert phrase.strip() and phrase in problem.message
    else:
        assert problems == []
        row = golden_collection.frame.loc[doc_id]
        for field, value in expected["fields"].items():
            assert _plain(row[field]) == value, field


def test_every_fixture_file_has_an_expectation():
    """A fixture without its .expected.json would silently test nothing."""
    documents_ = {path.stem for path in GOLDEN.glob("*.txt")}
    assert documents_ == set(GOLDEN_CASES)


def test_seed_document_loads_with_its_values(seed_only):
    """The real seed article loads with exactly the values written in it."""
    collection = load_collection(seed_only)
    assert collection.problems == [] and collection.warnings == []
    row = collection.frame.loc[SEED_ID]
    assert row["title"] == "Stream It Or Skip It: ‘Jung_E’ on Netflix, a Sci-Fi Fable About AI and Brain-Cloning"
    assert (row["quality"], row["heat"], row["published"]) == (52, 72, True)
    assert row["topics"] == ["Facebook AI", "AI"]
    assert (row["provider"], row["domain"]) == ("Decider", "decider.com")
    assert (row["images"], row["related"]) == (1, 2)
    assert row["category"] == "news" and row["type"] == "article"
    assert row["publishedDateTime"] == pd.Timestamp("2023-01-24T22:31:00Z")
    assert row["image"].startswith("https://decider.com/wp-content/uploads/2023/01/JUNG_E")


def test_secured_is_never_in_the_frame(seed_only):
    frame = load_collection(seed_only).frame
    assert "secured" not in frame.columns
    assert not frame.astype(str).apply(lambda column: column.str.contains("ZmNiKlXaNX4Y")).any().any()


def test_frame_has_stable_types_even_when_empty(tmp_path, golden_collection):
    empty = load_collection(tmp_path).frame
    full = golden_collection.frame
    assert empty.index.name == full.index.name == "id"
    assert empty.dtypes.to_dict() == full.dtypes.to_dict()
    assert str(full["publishedDateTime"].dtype).endswith("UTC]")
    assert str(full["quality"].dtype) == "Int64"


def test_pure_python_fallback_loader_gives_the_same_results(monkeypatch, golden_collection, golden_copy):
    """Where libyaml is missing the SafeLoader gives the same rows and problems."""
    monkeypatch.setattr(documents, "SafeYamlLoader", yaml.SafeLoader)
    fallback = load_collection(golden_copy, use_cache=False)
    pd.testing.assert_frame_equal(fallback.frame, golden_collection.frame)
    assert [(p.path, p.kind) for p in fallback.problems] == [(p.path, p.kind) for p in golden_collection.problems]


def test_folder_is_read_recursively_with_document_suffixes_only(tmp_path):
    for name in ("a.md", "b.markdown", "sub/c.txt", "sub/deeper/d.yaml", "e.YML", "notes.json", "image.jpg"):
        write_document(tmp_path, name, f"---\ntitle: {name}\n---\n")
    frame = load_collection(tmp_path).frame
    assert list(frame.index) == ["a.md", "b.markdown", "e.YML", "sub/c.txt", "sub/deeper/d.yaml"]


def test_hidden_files_and_folders_are_skipped(tmp_path):
    write_document(tmp_path, "visible.txt", "---\ntitle: shown\n---\n")
    write_document(tmp_path, ".hidden.txt", "not even a document")
    write_document(tmp_path, ".curation/cache/x.txt", "not a document")
    collection = load_collection(tmp_path)
    assert list(collection.frame.index) == ["visible.txt"]
    assert collection.problems == []


def test_symbolic_links_are_reported_and_never_followed(tmp_path):
    outside = write_document(tmp_path, "outside/secret.txt", "---\ntitle: outside the folder\n---\n")
    folder = tmp_path / "docs"
    write_document(folder, "real.txt", "---\ntitle: real\n---\n")
    (folder / "link.txt").symlink_to(outside)
    (folder / "linked-dir").symlink_to(outside.parent, target_is_directory=True)
    collection = load_collection(folder)
    assert list(collection.frame.index) == ["real.txt"]
    assert {(p.path, p.kind) for p in collection.problems} == {("link.txt", "not-a-file"), ("linked-dir", "not-a-file")}


def test_a_fifo_is_reported_not_read(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    collection = load_collection(tmp_path)  # would hang if the fifo were opened
    assert [(p.path, p.kind) for p in collection.problems] == [("pipe.txt", "not-a-file")]


def test_a_folder_or_link_named_like_a_document_is_told_apart_by_one_lstat(tmp_path):
    """The scan classifies a document-named entry by its lstat alone: folders are read, links reported."""
    write_document(tmp_path, "issue.md/inside.txt", "---\ntitle: inside a folder named like a file\n---\n")
    (tmp_path / "to-folder.txt").symlink_to(tmp_path / "issue.md", target_is_directory=True)
    collection = load_collection(tmp_path)
    assert list(collection.frame.index) == ["issue.md/inside.txt"]
    assert [(p.path, p.kind) for p in collection.problems] == [("to-folder.txt", "not-a-file")]


class Listing:
    """What os.scandir returns, as the scan uses it: entries taken one at a time, then closed."""

    def __init__(self, entries) -> None:
        self.entries = iter(entries)

    def __iter__(self):
        return self.entries

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.entries = iter(())


def test_a_file_removed_while_the_folder_is_scanned_is_simply_gone(tmp_path, monkeypatch):
    write_document(tmp_path, "stays.txt", "---\ntitle: stays\n---\n")
    write_document(tmp_path, "goes.txt", "---\ntitle: goes\n---\n")
    listing = os.scandir

    def list_then_remove(path):
        entries = list(listing(path))
        (tmp_path / "goes.txt").unlink(missing_ok=True)  # after the listing, before its stat
        return Listing(entries)

    monkeypatch.setattr(os, "scandir", list_then_remove)
    collection = load_collection(tmp_path)
    assert list(collection.frame.index) == ["stays.txt"] and collection.problems == []


def test_a_listing_that_breaks_off_keeps_what_it_listed_and_names_the_folder(tmp_path, monkeypatch):
    """An I/O error part-way through a folder's listing: the documents listed before it load, and the folder is a
    problem that says the listing is incomplete."""
    write_document(tmp_path, "first.txt", "---\ntitle: first\n---\n")
    write_document(tmp_path, "second.txt", "---\ntitle: second\n---\n")
    listing = os.scandir

    def entries_then_an_error(entries):
        yield next(entry for entry in entries if entry.name == "first.txt")
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "scandir", lambda path: Listing(entries_then_an_error(list(listing(path)))))
    collection = load_collection(tmp_path, use_cache=False)
    assert list(collection.frame.index) == ["first.txt"]
    assert [(p.path, p.kind, p.message) for p in collection.problems] == [
        (".", "unreadable", "cannot list all of the folder: Input/output error")
    ]


def test_a_file_whose_details_cannot_be_read_is_a_problem_and_the_rest_load(tmp_path, monkeypatch):
    write_document(tmp_path, "fine.txt", "---\ntitle: fine\n---\n")
    write_document(tmp_path, "denied.txt", "---\ntitle: denied\n---\n")
    listing = os.scandir

    class DeniedStat:
        """A directory entry whose stat fails the way a file behind a revoked permission does."""

        def __init__(self, entry):
            self.entry, self.name, self.path = entry, entry.name, entry.path

        def stat(self, *, follow_symlinks=True):
            raise PermissionError(13, "Permission denied", self.path)

    def listing_with_a_denied_file(path):
        return Listing([DeniedStat(entry) if entry.name == "denied.txt" else entry for entry in listing(path)])

    monkeypatch.setattr(os, "scandir", listing_with_a_denied_file)
    collection = load_collection(tmp_path)
    assert list(collection.frame.index) == ["fine.txt"]
    assert [(p.path, p.kind, p.message) for p in collection.problems] == [
        ("denied.txt", "unreadable", "cannot read file details: Permission denied")
    ]


def test_a_file_or_folder_name_that_is_not_utf8_is_a_problem_and_the_rest_load(tmp_path):
    """Names are bytes on Linux; one in Latin-1 once made every load fail (the ids go into Arrow as UTF-8)."""
    write_document(tmp_path, "fine.txt", "---\ntitle: fine\n---\n")
    folder = os.fsencode(tmp_path)
    with open(folder + b"/caf\xe9.txt", "wb") as handle:
        handle.write(b"---\ntitle: a Latin-1 name\n---\n")
    os.mkdir(folder + b"/r\xe9sum\xe9s")
    with open(folder + b"/r\xe9sum\xe9s/inside.txt", "wb") as handle:
        handle.write(b"---\ntitle: inside a Latin-1 folder\n---\n")
    with open(folder + b"/notes-\xe9.jpg", "wb") as handle:
        handle.write(b"not a document, whatever its name")
    for _ in range(2):  # the second load reads the cache
        collection = load_collection(tmp_path)
        assert list(collection.frame.index) == ["fine.txt"]
        assert [(p.path, p.kind) for p in collection.problems] == [
            ("caf\\xe9.txt", "encoding"),
            ("r\\xe9sum\\xe9s", "encoding"),
        ]
        assert "rename it" in collection.problems[0].message


def test_a_file_over_one_mebibyte_is_a_problem(tmp_path):
    body = "x" * MAX_DOCUMENT_BYTES
    write_document(tmp_path, "huge.txt", f"---\ntitle: huge\n---\n{body}")
    collection = load_collection(tmp_path)
    assert collection.frame.empty
    assert [(p.path, p.kind) for p in collection.problems] == [("huge.txt", "too-large")]


def test_duplicate_urls_are_warnings_not_problems(tmp_path):
    write_document(tmp_path, "a.txt", '---\ntitle: A\nwebUrl: "https://x.example/1"\n---\n')
    write_document(tmp_path, "b.txt", '---\ntitle: B\nwebUrl: "https://x.example/1"\n---\n')
    write_document(tmp_path, "c.txt", '---\ntitle: C\noriginalUrl: "https://x.example/2"\n---\n')
    write_document(tmp_path, "d.txt", '---\ntitle: D\noriginalUrl: "https://x.example/2"\n---\n')
    write_document(tmp_path, "e.txt", "---\ntitle: E\n---\n")
    collection = load_collection(tmp_path)
    assert len(collection.frame) == 5 and collection.problems == []
    assert [(w.path, w.kind) for w in collection.warnings] == [("b.txt", "duplicate"), ("d.txt", "duplicate")]
    assert "a.txt" in collection.warnings[0].message


def test_seeds_folder_is_clean(seeds_copy):
    """The shipped seeds load without a single problem."""
    collection = load_collection(seeds_copy)
    assert collection.problems == []
    assert len(collection.frame) > 200
    assert 0.2 < collection.frame["published"].mean() < 0.45


def test_the_loader_writes_only_its_hidden_cache(tmp_path):
    """Loading never touches a document; its own state stays in .curation/."""
    shutil.copytree(GOLDEN, tmp_path / "docs")
    before = {p: p.read_bytes() for p in (tmp_path / "docs").iterdir() if p.is_file()}
    load_collection(tmp_path / "docs")
    after = {p: p.read_bytes() for p in (tmp_path / "docs").iterdir() if p.is_file()}
    assert after == before
    assert {p.name for p in (tmp_path / "docs").iterdir() if p.is_dir()} == {".curation"}


@pytest.mark.parametrize(
    ("character", "name"),
    [("\u2028", "U+2028 LINE SEPARATOR"), ("\u2029", "U+2029 PARAGRAPH SEPARATOR"), ("\x85", "U+0085 NEXT LINE")],
)
def test_a_yaml_only_line_break_names_itself_at_load_and_at_publish(tmp_path, character, name):
    """An editor who pasted an invisible line separator learns which line and which character, and the file is kept."""
    text = f'---\ntitle: "Pasted{character}from a web page"\ncategory: news\nheat: 4\n---\n'
    path = write_document(tmp_path, "pasted.txt", text)
    [problem] = load_collection(tmp_path).problems
    assert (problem.kind, problem.line) == ("line-break", 2)
    assert name in problem.message and "replace it with a space" in problem.message
    with pytest.raises(PublishRefusedError) as refused:
        set_published(tmp_path, "pasted.txt", True, audit_log=tmp_path / "audit.jsonl")
    assert refused.value.line == 2 and name in refused.value.message
    assert path.read_text(encoding="utf-8") == text


def test_a_separator_inside_a_comment_cannot_hide_a_key(tmp_path):
    """YAML would read `published: true` after U+2028 in a comment; the file is a problem instead of published."""
    write_document(tmp_path, "hidden.txt", "---\ntitle: t\n# note\u2028published: true\n---\n")
    collection = load_collection(tmp_path)
    assert collection.frame.empty
    assert [(p.kind, p.line) for p in collection.problems] == [("line-break", 3)]


def test_crlf_files_are_not_mistaken_for_lone_carriage_returns(tmp_path):
    write_document(tmp_path, "crlf.txt", b"---\r\ntitle: Windows\r\nquality: 5\r\n---\r\nbody\rwith a lone CR\r\n")
    collection = load_collection(tmp_path)
    assert collection.problems == []
    assert collection.frame.loc["crlf.txt", "quality"] == 5


@pytest.mark.parametrize(
    "message",
    ["YAML error: unacceptable character\n  in <unicode string>, position 8", "one\r\ntwo", "a\u2028b", "trailing\n"],
)
def test_a_problem_message_is_always_one_line(message):
    """Reports print one problem per line, whatever a parser or a cache file said."""
    problem = Problem("a.txt", 3, message, "yaml-syntax")
    assert len(problem.message.splitlines()) == 1 and problem.message == problem.message.strip()
    assert len(str(problem).splitlines()) == 1


def test_a_duplicate_key_with_a_line_break_is_reported_on_one_line(tmp_path):
    write_document(tmp_path, "keys.txt", '---\ntitle: t\n"a\\nb": 1\n"a\\nb": 2\n---\n')
    [problem] = load_collection(tmp_path).problems
    assert problem.kind == "duplicate-key" and problem.line == 4
    assert "a\\nb" in problem.message and "\n" not in problem.message


@pytest.mark.parametrize(
    ("written", "loaded"),
    [
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("0001-01-01 05:00:00+05:00", "0001-01-01T00:00:00Z"),
        ("'9999-12-31T23:59:59.999999+00:00'", "9999-12-31T23:59:59.999999Z"),
        ("9999-12-31", "9999-12-31T00:00:00Z"),
    ],
)
def test_the_first_and_last_instants_in_utc_load(tmp_path, written, loaded):
    """Every date the row builder accepts fits the frame's datetime64[us, UTC] column."""
    write_document(tmp_path, "edge.txt", f"---\ntitle: edge\npublishedDateTime: {written}\n---\n")
    collection = load_collection(tmp_path)
    assert collection.problems == []
    assert collection.frame.loc["edge.txt", "publishedDateTime"] == pd.Timestamp(loaded)


def test_details_never_include_secured(seed_only):
    details = document_details((seed_only / SEED_ID).read_bytes(), SEED_ID)
    assert "secured" not in details
    assert details["quality"] == 52 and len(details["related"]) == 2
    assert image_urls(details) == ([details["images"][0]["url"]], 0)
