"""Publish, field edits, history and undo behave the same in a folder and in an S3 prefix (a real moto server)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from curation.cli import main
from curation.documents import sha256_of
from curation.editing.publish import (
    change_topics,
    current_sha,
    load_history,
    set_field,
    set_published,
    set_published_many,
    undo_change,
    undo_last,
)
from curation.errors import ConflictError, CurationError, PublishRefusedError, ReadOnlyError, UnsafePathError
from curation.loading.collection import load_collection
from tests.conftest import SEED_ID, SEEDS, get_document, new_prefix, object_keys, put_document
from tests.test_field_edits import EDITS as FIELD_EDITS
from tests.test_publish import EDITS as PUBLISH_EDITS

SEED = (SEEDS / SEED_ID).read_bytes()


@pytest.fixture(params=["folder", "s3"])
def empty_location(request, tmp_path) -> Path | str:
    """An empty docs folder, then an empty S3 prefix."""
    if request.param == "folder":
        folder = tmp_path / "docs"
        folder.mkdir()
        return folder
    request.getfixturevalue("s3_env")
    return new_prefix("empty")


def audit_count(location: Path | str) -> int:
    return len(load_history(location)[0].entries)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("before", "value", "after"), [case[1:] for case in PUBLISH_EDITS], ids=[case[0] for case in PUBLISH_EDITS]
)
def test_a_toggle_changes_exactly_the_published_line_in_either_store(empty_location, before, value, after):
    put_document(empty_location, "a.txt", before)
    change = set_published(empty_location, "a.txt", value)
    assert get_document(empty_location, "a.txt") == after
    assert change.changed and change.sha_after == sha256_of(after) and change.size == len(after)


@pytest.mark.parametrize(
    ("name", "before", "field", "value", "after"), FIELD_EDITS[::3], ids=[edit[0] for edit in FIELD_EDITS[::3]]
)
def test_a_field_edit_and_its_undo_are_byte_exact_in_either_store(empty_location, name, before, field, value, after):
    put_document(empty_location, "a.txt", before)
    change = set_field(empty_location, "a.txt", field, value, editor="Ann")
    assert get_document(empty_location, "a.txt") == after
    assert change.entry.field == field
    (outcome,) = undo_last(empty_location)
    assert outcome.status == "changed" and get_document(empty_location, "a.txt") == before


def test_topics_are_added_and_removed_in_either_store(seed_location):
    topics = list(load_collection(seed_location).frame.loc[SEED_ID, "topics"])
    change_topics(seed_location, SEED_ID, add=["Curation"], remove=[topics[0]], editor="Ann")
    assert list(load_collection(seed_location).frame.loc[SEED_ID, "topics"]) == [*topics[1:], "Curation"]


def test_a_stale_sha_is_a_conflict_and_nothing_is_written_or_logged(seed_location):
    with pytest.raises(ConflictError, match="since you loaded it; nothing was written"):
        set_published(seed_location, SEED_ID, False, expected_sha="0" * 64)
    assert get_document(seed_location, SEED_ID) == SEED
    assert audit_count(seed_location) == 0


def test_setting_the_value_it_has_writes_and_logs_nothing(seed_location):
    change = set_published(seed_location, SEED_ID, True, expected_sha=sha256_of(SEED))
    assert not change.changed and get_document(seed_location, SEED_ID) == SEED
    assert audit_count(seed_location) == 0


@pytest.mark.parametrize(
    "doc_id", ["../outside.txt", "/etc/passwd", "", ".hidden.txt", "a.json", "missing.txt", "a//b.txt"]
)
def test_ids_that_are_not_documents_are_refused_in_either_store(seed_location, doc_id):
    with pytest.raises(UnsafePathError):
        set_published(seed_location, doc_id, True)
    assert audit_count(seed_location) == 0


def test_a_problem_document_is_refused_untouched(empty_location):
    text = b"---\ntitle: t\nquality: 300\npublished: false\n---\n"
    put_document(empty_location, "a.txt", text)
    with pytest.raises(PublishRefusedError, match="must be a whole number"):
        set_published(empty_location, "a.txt", True)
    assert get_document(empty_location, "a.txt") == text


def test_a_document_over_the_size_limit_is_refused_with_its_real_size(empty_location):
    text = b"---\ntitle: t\npublished: false\n---\n" + b"x" * (3 * 1024 * 1024)
    put_document(empty_location, "big.txt", text)
    size = f"{len(text):,} bytes (3.0 MiB), over the limit of 1 MiB (1,048,576 bytes)"
    with pytest.raises(CurationError, match=re.escape(size)):
        set_published(empty_location, "big.txt", True)
    with pytest.raises(CurationError, match=re.escape(size)):
        set_field(empty_location, "big.txt", "title", "New")
    assert get_document(empty_location, "big.txt") == text
    (problem,) = load_collection(empty_location).problems
    assert size in problem.message


def test_a_problem_document_refusal_names_what_was_asked(empty_location):
    put_document(empty_location, "a.txt", b"---\ntitle: t\nquality: 300\npublished: false\n---\n")
    for change, asked in [
        (lambda: set_published(empty_location, "a.txt", False), "cannot be unpublished until fixed"),
        (lambda: set_field(empty_location, "a.txt", "title", "New"), "cannot be given a new title until fixed"),
        (lambda: change_topics(empty_location, "a.txt", add=["AI"]), "cannot be given new topics until fixed"),
    ]:
        with pytest.raises(PublishRefusedError, match=asked):
            change()


def test_bulk_gives_one_outcome_per_id_in_either_store(location):
    frame = load_collection(location).frame
    unpublished = list(frame.index[~frame["published"]][:3])
    published = frame.index[frame["published"]][0]
    put_document(location, "broken.txt", "---\ntitle: t\nheat: hot\n---\n")
    put_document(location, unpublished[1], get_document(location, unpublished[1]) + b"\nedited body\n")
    ids = [*unpublished, published, "broken.txt", "../escape.txt"]
    outcomes = set_published_many(location, ids, True, expected_shas=dict(frame["sha256"]), editor="Ann")
    assert [o.status for o in outcomes] == ["changed", "conflict", "changed", "unchanged", "refused", "refused"]
    after = load_collection(location).frame
    assert after.loc[[unpublished[0], unpublished[2]], "published"].all()
    assert not after.loc[unpublished[1], "published"]
    history, _ = load_history(location)
    assert len(history.entries) == 2 and history.entries[0].batch == history.entries[1].batch is not None


def test_history_and_undo_in_either_store(seed_location):
    first = set_published(seed_location, SEED_ID, False, editor="Ann")
    second = set_field(seed_location, SEED_ID, "title", "A new title", editor="Bob")
    history, problems = load_history(seed_location)
    assert problems == []
    assert [(entry.editor, done) for entry, done in history.newest_first()] == [("Bob", True), ("Ann", True)]
    (outcome,) = undo_last(seed_location, editor="Cy")
    assert outcome.status == "changed" and outcome.change.entry.undoes == second.entry.change
    assert undo_change(seed_location, first.entry.change).status == "changed"
    assert get_document(seed_location, SEED_ID) == SEED  # byte for byte
    assert undo_last(seed_location) == []
    assert current_sha(seed_location, SEED_ID) == sha256_of(SEED)


def test_undo_is_not_blind_to_a_later_change_in_either_store(seed_location):
    change = set_published(seed_location, SEED_ID, False)
    edited = get_document(seed_location, SEED_ID).replace(b"quality: 52", b"quality: 53")
    put_document(seed_location, SEED_ID, edited)
    (outcome,) = undo_last(seed_location)
    assert outcome.status == "conflict" and SEED_ID in outcome.message
    assert get_document(seed_location, SEED_ID) == edited
    assert [entry.change for entry in load_history(seed_location)[0].entries] == [change.entry.change]


def test_an_entry_whose_write_never_happened_is_judged_not_done(s3_seed_only):
    """A host killed after its entry and before its PUT: the object still has sha_before, so history says so."""
    from curation.audit import new_entry
    from curation.store.s3 import S3Store

    entry = new_entry(
        editor="killed", id=SEED_ID, field="published", old=True, new=False,
        sha_before=sha256_of(SEED), sha_after="1" * 64,
    )  # fmt: skip
    S3Store(s3_seed_only).append_audit(entry)
    history, _ = load_history(s3_seed_only)
    assert history.newest_first() == [(entry, False)]
    assert undo_last(s3_seed_only) == []


def test_read_only_refuses_in_either_store(seed_location, monkeypatch):
    monkeypatch.setenv("CURATION_READ_ONLY", "1")
    with pytest.raises(ReadOnlyError):
        set_published(seed_location, SEED_ID, False)
    assert get_document(seed_location, SEED_ID) == SEED


def test_the_command_line_publishes_and_undoes_in_a_bucket(capsys, s3_seed_only):
    code, out, _ = run(capsys, "unpublish", SEED_ID, "--docs", s3_seed_only, "--editor", "Ann")
    assert (code, out) == (0, f"unpublished: {SEED_ID}\n")
    code, _, err = run(capsys, "publish", SEED_ID, "--docs", s3_seed_only, "--expect-sha", sha256_of(SEED))
    assert code == 1 and "conflict" in err and "changed in the bucket" in err
    code, out, _ = run(capsys, "set", SEED_ID, "category=politics", "--docs", s3_seed_only, "--editor", "Bob")
    assert code == 0
    code, out, _ = run(capsys, "history", "--json", "--docs", s3_seed_only)
    entries = json.loads(out)
    assert [(entry["editor"], entry["field"], entry["completed"]) for entry in entries] == [
        ("Bob", "category", True), ("Ann", "published", True),
    ]  # fmt: skip
    code, out, _ = run(capsys, "undo", "--last", "2", "--docs", s3_seed_only)
    assert code == 0 and out.count("reverted") == 2
    assert get_document(s3_seed_only, SEED_ID) == SEED
    assert len(object_keys(s3_seed_only, ".curation/audit/")) == 4


def test_all_matching_writes_through_the_bucket(capsys, s3_docs):
    code, out, err = run(capsys, "publish", "--all-matching", "--docs", s3_docs, "--category", "news", "--unpublished")
    would = out.count("would publish")
    assert code == 0 and would > 0 and "add --yes" in err
    code, _, err = run(capsys, "publish", "--all-matching", "--yes", "--docs", s3_docs, "--category", "news")
    assert code == 0 and f"{would} changed" in err
    frame = load_collection(s3_docs).frame
    assert frame[frame["category"] == "news"]["published"].all()
