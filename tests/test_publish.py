"""Publishing rewrites one line of one file, safely; everything else stays byte for byte."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from curation.audit import new_entry
from curation.documents import sha256_of
from curation.editing.publish import (
    Outcome,
    OutcomeStatus,
    load_history,
    published_edit,
    set_field,
    set_published,
    set_published_many,
    undo_change,
    undo_entry,
    undo_last,
)
from curation.errors import ConflictError, PublishRefusedError, ReadOnlyError, UnsafePathError
from curation.loading.collection import load_collection
from curation.store.atomic_files import document_lock
from curation.store.folder import DocsFolder
from curation.store.folder_audit import read_audit_log
from tests.conftest import SEED_ID, write_document

# (name, before, value, after): the exact bytes a toggle must produce.
EDITS = [
    ("plain", b"---\ntitle: t\npublished: false\n---\n", True, b"---\ntitle: t\npublished: true\n---\n"),
    (
        "crlf",
        b"---\r\ntitle: t\r\npublished: true\r\n---\r\n",
        False,
        b"---\r\ntitle: t\r\npublished: false\r\n---\r\n",
    ),
    (
        "bom",
        b"\xef\xbb\xbf---\ntitle: t\npublished: false\n---\n",
        True,
        b"\xef\xbb\xbf---\ntitle: t\npublished: true\n---\n",
    ),
    (
        "comment after the value",
        b"---\ntitle: t\npublished: false   # ask Ann first\n---\n",
        True,
        b"---\ntitle: t\npublished: true   # ask Ann first\n---\n",
    ),
    ("yaml 1.1 spelling", b"---\ntitle: t\npublished: No\n---\n", True, b"---\ntitle: t\npublished: true\n---\n"),
    ("odd spacing", b"---\ntitle: t\npublished :\tfalse \n---\n", True, b"---\ntitle: t\npublished :\ttrue \n---\n"),
    (
        "missing key goes after heat",
        b"---\ntitle: t\nquality: 5\nheat: 7  # hot\ntopics: [a]\n---\n",
        True,
        b"---\ntitle: t\nquality: 5\nheat: 7  # hot\npublished: true\ntopics: [a]\n---\n",
    ),
    (
        "missing key without heat goes last",
        b"---\ntitle: t\ntopics:\n  - a\n---\nbody\n",
        True,
        b"---\ntitle: t\ntopics:\n  - a\npublished: true\n---\nbody\n",
    ),
    (
        "missing key, crlf",
        b"---\r\ntitle: t\r\nheat: 1\r\n---\r\n",
        True,
        b"---\r\ntitle: t\r\nheat: 1\r\npublished: true\r\n---\r\n",
    ),
    (
        "nested published comes first",
        b"---\ntitle: t\nrelated:\n  - title: r\n    published: false\npublished: false\n---\n",
        True,
        b"---\ntitle: t\nrelated:\n  - title: r\n    published: false\npublished: true\n---\n",
    ),
    (
        "nested published only: insert the top-level key",
        b"---\ntitle: t\nheat: 3\nrelated:\n  - published: false\n---\n",
        True,
        b"---\ntitle: t\nheat: 3\npublished: true\nrelated:\n  - published: false\n---\n",
    ),
    (
        "body with a --- line",
        b"---\ntitle: t\npublished: true\n---\nbody\n---\npublished: true\n",
        False,
        b"---\ntitle: t\npublished: false\n---\nbody\n---\npublished: true\n",
    ),
    (
        "quoted and unusual values elsewhere",
        b"---\ntitle: 'it''s: \"quoted\"'\nexcerpt: |\n  published: true\n  more\nsecured: \"a==;b==\"\npublished: true\n---\n",
        False,
        b"---\ntitle: 'it''s: \"quoted\"'\nexcerpt: |\n  published: true\n  more\nsecured: \"a==;b==\"\npublished: false\n---\n",
    ),
]


@pytest.mark.parametrize(("before", "value", "after"), [case[1:] for case in EDITS], ids=[case[0] for case in EDITS])
def test_edit_changes_exactly_the_published_line(tmp_path, before, value, after):
    path = write_document(tmp_path, "a.txt", before)
    change = set_published(tmp_path, "a.txt", value)
    assert path.read_bytes() == after
    assert change.changed and change.new is value


def test_the_seed_document_changes_by_one_line_only(seed_only):
    path = seed_only / SEED_ID
    before = path.read_bytes()
    set_published(seed_only, SEED_ID, False)
    after = path.read_bytes()
    assert after == before.replace(b"\npublished: true\n", b"\npublished: false\n", 1)
    assert b"secured: " in after and after.split(b"secured: ")[1] == before.split(b"secured: ")[1]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"---\ntitle: t\npublished:\n  true\n---\n", "not a plain true/false on one line"),
        (b"---\ntitle: t\npublished: !!bool true\n---\n", "not a plain true/false on one line"),
        (b'---\ntitle: t\n"published": true\n---\n', "not a plain true/false on one line"),
        (b"---\ntitle: t\npublished: 'yes'\n---\n", "must be true or false"),  # a problem document
        (b"---\ntitle: t\nquality: 300\npublished: false\n---\n", "must be a whole number"),
        (b"---\ntitle: t\npublished: true\npublished: false\n---\n", "appears twice"),
        (b"---\ntitle: t\n", "never closed"),
    ],
)
def test_uncertain_or_invalid_documents_are_refused_untouched(tmp_path, text, reason):
    path = write_document(tmp_path, "a.txt", text)
    before = os.stat(path)
    with pytest.raises(PublishRefusedError, match=reason) as refusal:
        set_published(tmp_path, "a.txt", False)
    assert refusal.value.path == "a.txt"
    assert path.read_bytes() == text and os.stat(path).st_mtime_ns == before.st_mtime_ns
    assert not (tmp_path / ".curation" / "audit.jsonl").exists()


def test_a_published_line_inside_a_quoted_title_is_not_the_key():
    """The key is found by its YAML position, not by searching the text."""
    text = b'---\ntitle: "first\npublished: false"\nheat: 1\n---\n'
    assert (
        published_edit(text, True, "a.txt").raw
        == b'---\ntitle: "first\npublished: false"\nheat: 1\npublished: true\n---\n'
    )


def test_an_edit_that_would_change_more_is_refused(monkeypatch):
    """The safety net: the edited text is parsed again and must differ only in `published`."""
    from curation.editing import publish

    def misplaced_insert(front_matter, value):  # a bug that lands inside the title
        return front_matter.text.replace("title: t", "title: 'published: true'", 1), 2, "title: 'published: true'"

    monkeypatch.setattr(publish, "_insert_published", misplaced_insert)
    with pytest.raises(PublishRefusedError, match="would change more than `published`"):
        published_edit(b"---\ntitle: t\nheat: 1\n---\n", True, "a.txt")


@pytest.mark.parametrize("text", [b"---\ntitle: t\n---\n", b"---\ntitle: t\npublished: No\n---\n"])
def test_unpublishing_what_is_already_unpublished_writes_nothing(tmp_path, text):
    """No `published` line means unpublished; `No` is already false: both stay as written."""
    path = write_document(tmp_path, "a.txt", text)
    assert not set_published(tmp_path, "a.txt", False).changed
    assert path.read_bytes() == text


def test_setting_the_value_a_file_has_writes_nothing(seed_only):
    path = seed_only / SEED_ID
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    change = set_published(seed_only, SEED_ID, True)
    assert not change.changed and change.sha_before == change.sha_after
    assert os.stat(path).st_mtime_ns == 1_000_000_000
    assert not (seed_only / ".curation" / "audit.jsonl").exists()


@pytest.mark.parametrize(
    "doc_id",
    ["../outside.txt", "/etc/passwd", "sub/../a.txt", "", ".hidden.txt", "a.json", "missing.txt", "sub", "a.txt/"],
)
def test_ids_outside_the_folder_are_refused(tmp_path, doc_id):
    folder = tmp_path / "docs"
    write_document(folder, "a.txt", "---\ntitle: t\n---\n")
    write_document(folder, "sub/b.txt", "---\ntitle: t\n---\n")
    write_document(folder, "a.json", "---\ntitle: t\n---\n")
    write_document(folder, ".hidden.txt", "---\ntitle: t\n---\n")
    write_document(tmp_path, "outside.txt", "---\ntitle: t\n---\n")
    with pytest.raises(UnsafePathError):
        set_published(folder, doc_id, True)
    assert b"published" not in (tmp_path / "outside.txt").read_bytes()


def test_symbolic_links_are_never_written_through(tmp_path):
    folder = tmp_path / "docs"
    target = write_document(tmp_path, "outside/real.txt", "---\ntitle: t\n---\n")
    folder.mkdir()
    (folder / "link.txt").symlink_to(target)
    (folder / "linkdir").symlink_to(target.parent, target_is_directory=True)
    for doc_id in ("link.txt", "linkdir/real.txt"):
        with pytest.raises(UnsafePathError, match="symbolic link"):
            set_published(folder, doc_id, True)
    assert target.read_bytes() == b"---\ntitle: t\n---\n"


def test_a_changed_file_is_a_conflict_and_the_external_change_survives(seed_only):
    path = seed_only / SEED_ID
    seen_sha = load_collection(seed_only).frame.loc[SEED_ID, "sha256"]
    path.write_bytes(path.read_bytes().replace(b"heat: 72", b"heat: 73"))  # someone else's edit
    external = path.read_bytes()
    with pytest.raises(ConflictError, match="changed on disk since you loaded it") as conflict:
        set_published(seed_only, SEED_ID, False, expected_sha=seen_sha)
    assert conflict.value.path == SEED_ID
    assert path.read_bytes() == external


def test_permission_bits_are_kept(seed_only):
    path = seed_only / SEED_ID
    path.chmod(0o640)
    set_published(seed_only, SEED_ID, False)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_every_change_is_one_audit_line(seed_only):
    first = set_published(seed_only, SEED_ID, False, editor="Ann")
    set_published(seed_only, SEED_ID, False, editor="Ann")  # unchanged: not logged
    second = set_published(seed_only, SEED_ID, True)
    entries, problems = read_audit_log(seed_only / ".curation" / "audit.jsonl")
    assert problems == []
    assert [(e.editor, e.id, e.old, e.new) for e in entries] == [
        ("Ann", SEED_ID, True, False),
        ("anonymous", SEED_ID, False, True),
    ]
    assert entries[0].sha_before == first.sha_before and entries[0].sha_after == first.sha_after
    assert entries[1].sha_before == first.sha_after and entries[1].sha_after == second.sha_after
    assert all(entry.time.endswith("Z") for entry in entries)
    assert [(e.line, e.before, e.after) for e in entries] == [
        (13, "published: true", "published: false"),
        (13, "published: false", "published: true"),
    ]


def test_audit_log_location_is_configurable(seed_only, tmp_path, monkeypatch):
    set_published(seed_only, SEED_ID, False, audit_log=tmp_path / "given.jsonl")
    monkeypatch.setenv("CURATION_AUDIT_LOG", str(tmp_path / "env.jsonl"))
    set_published(seed_only, SEED_ID, True)
    assert len((tmp_path / "given.jsonl").read_text().splitlines()) == 1
    assert len((tmp_path / "env.jsonl").read_text().splitlines()) == 1
    assert not (seed_only / ".curation" / "audit.jsonl").exists()


def test_undo_the_last_changes(docs):
    ids = sorted(path.name for path in docs.glob("demo_*.txt"))[:3]
    before = {doc_id: (docs / doc_id).read_bytes() for doc_id in ids}
    for doc_id in ids:
        set_published(docs, doc_id, not load_collection(docs).frame.loc[doc_id, "published"], editor="Ann")
    outcomes = undo_last(docs, 2, editor="Bob")
    assert [(o.id, o.status) for o in outcomes] == [(ids[2], "changed"), (ids[1], "changed")]
    assert (docs / ids[1]).read_bytes() == before[ids[1]] and (docs / ids[2]).read_bytes() == before[ids[2]]
    assert (docs / ids[0]).read_bytes() != before[ids[0]]
    # Undo skips what is already undone, like Ctrl-Z going further back.
    assert [(o.id, o.status) for o in undo_last(docs, 5)] == [(ids[0], "changed")]
    assert all((docs / doc_id).read_bytes() == before[doc_id] for doc_id in ids)
    entries, _ = read_audit_log(docs / ".curation" / "audit.jsonl")
    assert len(entries) == 6
    assert [e.editor for e in entries[3:5]] == ["Bob", "Bob"]
    assert entries[3].undoes == entries[2].change
    assert undo_last(docs, 1) == []


def test_undo_one_change_by_its_log_entry(seed_only):
    first = set_published(seed_only, SEED_ID, False)
    outcome = undo_change(seed_only, first.entry.change, editor="Ann")
    assert outcome.status == "changed"
    assert load_collection(seed_only).frame.loc[SEED_ID, "published"]
    assert undo_change(seed_only, "nonexistent").status == "refused"


def test_undo_is_not_blind_to_later_changes(seed_only):
    path = seed_only / SEED_ID
    change = set_published(seed_only, SEED_ID, False)
    path.write_bytes(path.read_bytes().replace(b"quality: 52", b"quality: 53"))
    edited = path.read_bytes()
    (outcome,) = undo_last(seed_only)
    assert outcome.status == "conflict" and SEED_ID in outcome.message
    assert path.read_bytes() == edited
    entries, _ = read_audit_log(seed_only / ".curation" / "audit.jsonl")
    assert [entry.change for entry in entries] == [change.entry.change]


FORGED_DOCUMENT = "---\ntitle: Real title\nwebUrl: https://news.example/a\npublished: false\n---\nbody\n"


def _append_forged_entry(folder: Path, **fields) -> None:
    """An entry written into the log by hand: its shas match the file, its lines say what the forger wants."""
    log = folder / ".curation" / "audit.jsonl"
    log.parent.mkdir(exist_ok=True)
    entry = new_entry(editor="mallory", **fields)
    with log.open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry.to_json()) + "\n")


@pytest.mark.parametrize(
    ("field", "old", "before"),
    [
        ("title", "Real title", "webUrl: https://evil.example/phish"),  # a title entry holding a webUrl line
        ("title", "Forged", "title: Forged\nwebUrl: https://evil.example/phish"),  # the title and one line more
    ],
)
def test_undo_restores_only_lines_of_the_entrys_own_editable_field(tmp_path, field, old, before):
    write_document(tmp_path, "a.txt", FORGED_DOCUMENT)
    raw = (tmp_path / "a.txt").read_bytes()
    line = 3 if before.startswith("webUrl") else 2
    after = "webUrl: https://news.example/a" if line == 3 else "title: Real title\nwebUrl: https://news.example/a"
    forged = raw.decode().replace(after, before).encode()
    _append_forged_entry(
        tmp_path, id="a.txt", field=field, old=old, new="Real title", sha_before=sha256_of(forged),
        sha_after=sha256_of(raw), line=line, before=before, after=after,
    )  # fmt: skip
    (outcome,) = undo_last(tmp_path)
    assert outcome.status == "refused"
    assert "audit entry" in outcome.message and field in outcome.message and "nothing was undone" in outcome.message
    assert (tmp_path / "a.txt").read_bytes() == raw
    entries, _ = read_audit_log(tmp_path / ".curation" / "audit.jsonl")
    assert len(entries) == 1  # the refusal logged nothing


def test_undo_refuses_an_entry_for_a_field_editors_cannot_change(tmp_path):
    """The log reader drops such an entry with a warning; undo refuses one handed to it all the same."""
    write_document(tmp_path, "a.txt", FORGED_DOCUMENT)
    raw = (tmp_path / "a.txt").read_bytes()
    before, after = "webUrl: https://evil.example/phish", "webUrl: https://news.example/a"
    entry = new_entry(
        editor="mallory", id="a.txt", field="webUrl", old="https://evil.example/phish", new="https://news.example/a",
        sha_before=sha256_of(raw.decode().replace(after, before).encode()), sha_after=sha256_of(raw), line=3,
        before=before, after=after,
    )  # fmt: skip
    outcome = undo_entry(tmp_path, entry)
    assert outcome.status == "refused" and "`webUrl`, a field editors cannot change" in outcome.message
    assert (tmp_path / "a.txt").read_bytes() == raw


def test_undo_of_a_field_that_reads_as_text_restores_its_exact_line(tmp_path):
    write_document(tmp_path, "a.txt", "---\ntitle: t\ncategory: 123\n---\n")
    raw = (tmp_path / "a.txt").read_bytes()
    set_field(tmp_path, "a.txt", "category", "news")
    (outcome,) = undo_last(tmp_path)
    assert outcome.status == "changed"
    assert (tmp_path / "a.txt").read_bytes() == raw


def test_bulk_reports_each_id_and_one_failure_stops_nothing(docs):
    frame = load_collection(docs).frame
    unpublished = list(frame.index[~frame["published"]][:3])
    published = frame.index[frame["published"]][0]
    write_document(docs, "broken.txt", "---\ntitle: t\nheat: hot\n---\n")
    (docs / unpublished[1]).write_bytes((docs / unpublished[1]).read_bytes() + b"\nedited body\n")
    expected = dict(frame["sha256"])
    ids = [*unpublished, published, "broken.txt", "../escape.txt"]
    outcomes = set_published_many(docs, ids, True, expected_shas=expected, editor="Ann")
    assert [o.status for o in outcomes] == ["changed", "conflict", "changed", "unchanged", "refused", "refused"]
    assert all(isinstance(o.status, OutcomeStatus) for o in outcomes)
    assert all(o.message for o in outcomes if o.failed)
    after = load_collection(docs).frame
    assert after.loc[[unpublished[0], unpublished[2]], "published"].all()
    assert not after.loc[unpublished[1], "published"]


def test_an_outcome_status_is_a_member_that_reads_as_its_word():
    """Callers compare with words, print statuses and dump them as JSON: each sees the plain word."""
    outcome = Outcome("a.txt", "conflict", "a.txt: changed on disk")
    assert outcome.status is OutcomeStatus.CONFLICT and outcome.status == "conflict" and outcome.failed
    assert f"{outcome.status}: {outcome.message}" == "conflict: a.txt: changed on disk"
    assert json.dumps({"status": outcome.status}) == '{"status": "conflict"}'
    assert [str(status) for status in OutcomeStatus] == ["changed", "unchanged", "conflict", "refused"]
    with pytest.raises(ValueError, match="'conflicted' is not a valid OutcomeStatus"):
        Outcome("a.txt", "conflicted")


def test_read_only_mode_refuses_in_the_library(seed_only, monkeypatch):
    monkeypatch.setenv("CURATION_READ_ONLY", "1")
    before = (seed_only / SEED_ID).read_bytes()
    with pytest.raises(ReadOnlyError):
        set_published(seed_only, SEED_ID, False)
    assert (seed_only / SEED_ID).read_bytes() == before


def _aged(path: Path, seconds: float) -> Path:
    """Set a file's times `seconds` into the past."""
    when = path.stat().st_mtime - seconds
    os.utime(path, (when, when))
    return path


def test_orphan_temp_files_are_swept_on_load_but_not_while_a_writer_holds_the_lock(seed_only):
    orphan = _aged(write_document(seed_only, f".{SEED_ID}.curation-0123456789abcdef.tmp", "half a file"), 120)
    write_document(seed_only, "b.txt", "---\ntitle: b\n---\n")
    in_flight = _aged(write_document(seed_only, ".b.txt.curation-fedcba9876543210.tmp", "being written"), 120)
    with DocsFolder(seed_only) as folder, document_lock(folder, "b.txt"):
        collection = load_collection(seed_only)
    assert not orphan.exists()
    assert in_flight.exists()
    assert list(collection.frame.index) == [SEED_ID, "b.txt"]


def test_the_sweep_removes_only_old_files_of_our_exact_pattern(seed_only):
    """A person's hidden file that merely looks like a temp file is never deleted, nor a fresh one of ours."""
    theirs = [
        _aged(write_document(seed_only, name, "mine"), 3600)
        for name in (
            f".{SEED_ID}.abcd1234.tmp",
            f".{SEED_ID}.curation-XYZ.tmp",
            ".notes.txt.curation-0123456789abcdef.tmp~",
        )
    ]
    fresh = write_document(seed_only, f".{SEED_ID}.curation-0123456789abcdef.tmp", "in flight")
    load_collection(seed_only)
    assert all(path.exists() for path in [*theirs, fresh])


def test_no_temp_files_are_left_behind(seed_only):
    for value in (False, True, False):
        set_published(seed_only, SEED_ID, value)
    assert sorted(p.name for p in seed_only.iterdir()) == [".curation", SEED_ID]


def test_audit_log_with_a_torn_line_still_reads(seed_only):
    set_published(seed_only, SEED_ID, False)
    log = seed_only / ".curation" / "audit.jsonl"
    with log.open("a") as handle:
        handle.write('{"change": "abc", "id": \n')
    entries, problems = read_audit_log(log)
    assert len(entries) == 1
    assert [(p.line, p.kind) for p in problems] == [(2, "audit")]
    assert json.loads(log.read_text().splitlines()[0])["new"] is False


def test_value_must_be_a_bool(seed_only):
    with pytest.raises(TypeError):
        set_published(seed_only, SEED_ID, "true")  # requests set a value; they never flip or guess


def test_lock_files_live_outside_the_documents(seed_only):
    before = sorted(path.name for path in seed_only.iterdir())
    set_published(seed_only, SEED_ID, False)
    assert sorted(path.name for path in seed_only.iterdir()) == sorted({*before, ".curation"})
    locks = list((seed_only / ".curation" / "locks").iterdir())
    assert len(locks) == 1 and locks[0].suffix == ".lock"


def test_an_audit_log_that_cannot_be_opened_refuses_before_the_file_changes(seed_only, tmp_path):
    blocker = tmp_path / "a-file-not-a-folder"
    blocker.write_text("x")
    before = (seed_only / SEED_ID).read_bytes()
    with pytest.raises(PublishRefusedError, match=r"cannot open the audit log.*nothing was written"):
        set_published(seed_only, SEED_ID, False, audit_log=blocker / "audit.jsonl")
    assert (seed_only / SEED_ID).read_bytes() == before
    assert sorted(p.name for p in seed_only.iterdir()) == [".curation", SEED_ID]  # no temp file left


def test_a_failed_audit_write_leaves_the_file_alone(seed_only, monkeypatch):
    """The entry is written before the file: a log that cannot take it stops the change."""
    real_write = os.write

    def full_disk(fd, data):
        if b'"sha_after"' in bytes(data):
            real_write(fd, bytes(data)[:20])  # a short write leaves a fragment
            raise OSError(28, "No space left on device")
        return real_write(fd, data)

    set_published(seed_only, SEED_ID, False)
    monkeypatch.setattr(os, "write", full_disk)
    before = (seed_only / SEED_ID).read_bytes()
    with pytest.raises(PublishRefusedError, match=r"could not write the audit log.*nothing was written"):
        set_published(seed_only, SEED_ID, True)
    monkeypatch.undo()
    assert (seed_only / SEED_ID).read_bytes() == before
    log = seed_only / ".curation" / "audit.jsonl"
    assert log.read_bytes().endswith(b"}\n")  # the fragment was cut off again
    assert len(read_audit_log(log)[0]) == 1


def test_a_failed_file_write_leaves_the_file_and_the_log_alone(seed_only, monkeypatch):
    from curation.store import local

    def full_disk(folder_fd, name, data, mode=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(local, "replace_atomically", full_disk)
    before = (seed_only / SEED_ID).read_bytes()
    with pytest.raises(PublishRefusedError, match="it is unchanged"):
        set_published(seed_only, SEED_ID, False)
    assert (seed_only / SEED_ID).read_bytes() == before
    # The entry was logged first; history knows the change never took effect and undo skips it.
    history, problems = load_history(seed_only)
    assert problems == [] and [happened for _, happened in history.newest_first()] == [False]
    assert undo_last(seed_only) == []
