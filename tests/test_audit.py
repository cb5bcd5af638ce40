"""The audit log: entries validated on the way in, torn lines healed, undo byte-exact."""

from __future__ import annotations

import json

import pytest

from curation.audit import AuditEntry, AuditHistory
from curation.editing.publish import load_history, set_published, set_published_many, undo_change, undo_last
from curation.store.folder_audit import read_audit_log
from tests.conftest import SEED_ID, write_document

GOOD = {
    "change": "a1b2c3d4e5f6",
    "time": "2026-01-02T03:04:05.000001Z",
    "editor": "Ann",
    "id": "a.txt",
    "old": False,
    "new": True,
    "sha_before": "0" * 64,
    "sha_after": "1" * 64,
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": 5}, "`id` must be non-empty text"),
        ({"undoes": ["q"]}, "`undoes` must be text"),
        ({"time": 5}, "`time` must be non-empty text"),
        ({"time": "yesterday"}, "`time` must be a UTC time"),
        ({"old": "yes"}, "`old` and `new` are not values `published` can have"),
        ({"field": "topics", "new": "AI"}, "`old` and `new` are not values `topics` can have"),
        ({"sha_after": "abc"}, "sha256 hex digests"),
        ({"line": -1}, "`line` must be a positive whole number"),
        ({"line": True}, "`line` must be a positive whole number"),
        ({"field": "secured"}, "unknown field 'secured'"),
    ],
)
def test_an_entry_of_the_wrong_shape_is_refused_with_the_reason(change, reason):
    with pytest.raises(ValueError, match=reason):
        AuditEntry.from_json({**GOOD, **change})


def test_lines_of_the_wrong_types_are_skipped_with_a_warning_and_break_nothing(seed_only):
    """Valid JSON is not enough: `"id": 5` must not crash undo or the history."""
    change = set_published(seed_only, SEED_ID, False, editor="Ann")
    log = seed_only / ".curation" / "audit.jsonl"
    with log.open("a", encoding="utf-8") as handle:
        for forged in ({**GOOD, "id": 5}, {**GOOD, "undoes": ["q"]}, {**GOOD, "time": 5}, [1, 2], "text"):
            handle.write(json.dumps(forged) + "\n")
    entries, problems = read_audit_log(log)
    assert [entry.change for entry in entries] == [change.entry.change]
    assert [problem.line for problem in problems] == [2, 3, 4, 5, 6]
    assert all(str(log) in str(problem) for problem in problems)
    (outcome,) = undo_last(seed_only)
    assert outcome.status == "changed"


def test_a_torn_last_line_never_swallows_the_next_change(seed_only):
    """A fragment without its newline (a short write) gets a newline before the next entry."""
    set_published(seed_only, SEED_ID, False)
    log = seed_only / ".curation" / "audit.jsonl"
    with log.open("ab") as handle:
        handle.write(b'{"change": "torn", "id": "x')
    second = set_published(seed_only, SEED_ID, True)
    entries, problems = read_audit_log(log)
    assert [entry.change for entry in entries][-1] == second.entry.change
    assert [(problem.line, problem.kind) for problem in problems] == [(2, "audit")]
    assert undo_change(seed_only, second.entry.change).status == "changed"


def test_a_torn_fragment_at_the_end_is_reported_as_torn(seed_only):
    set_published(seed_only, SEED_ID, False)
    log = seed_only / ".curation" / "audit.jsonl"
    with log.open("ab") as handle:
        handle.write(b'{"change": "to')
    _, problems = read_audit_log(log)
    assert len(problems) == 1 and "torn last line" in problems[0].message


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: t\npublished: Yes\n---\n",
        "---\ntitle: t\npublished:   no   # ask Ann\n---\n",
        "---\r\ntitle: t\r\npublished: ON\r\n---\r\n",
        "---\ntitle: t\nheat: 3\ntopics: [a]\n---\nbody\n",  # no published line: one is inserted
        "---\r\ntitle: t\r\n---\r\n",
        "\ufeff---\ntitle: t\n---\n",
    ],
)
def test_undo_restores_the_exact_bytes(tmp_path, text):
    """`published: Yes` comes back as `Yes`, and an inserted line goes away again."""
    path = write_document(tmp_path, "a.txt", text)
    original = path.read_bytes()
    current = b"published: true" in original.lower() or b"published: yes" in original.lower()
    current = current or b"published: on" in original.lower()
    change = set_published(tmp_path, "a.txt", not current)
    assert change.changed and path.read_bytes() != original
    (outcome,) = undo_last(tmp_path)
    assert outcome.status == "changed"
    assert path.read_bytes() == original
    # Undoing the undo puts the edit back, byte for byte too.
    again = undo_change(tmp_path, outcome.change.entry.change)
    assert again.status == "changed" and again.change.sha_after == change.sha_after


def test_undo_of_a_change_whose_line_moved_still_sets_the_value(tmp_path):
    """When the exact bytes cannot be proven, undo falls back to setting the old value (with the sha check)."""
    path = write_document(tmp_path, "a.txt", "---\ntitle: t\npublished: Yes\n---\n")
    change = set_published(tmp_path, "a.txt", False)
    entries, _ = read_audit_log(tmp_path / ".curation" / "audit.jsonl")
    forged = {**entries[0].to_json(), "line": 1}  # a line that no longer holds the edit
    (tmp_path / ".curation" / "audit.jsonl").write_text(json.dumps(forged) + "\n")
    outcome = undo_change(tmp_path, change.entry.change)
    assert outcome.status == "changed"
    assert path.read_bytes() == b"---\ntitle: t\npublished: true\n---\n"


def test_a_bulk_request_shares_one_batch_id(docs):
    ids = sorted(path.name for path in docs.glob("demo_*.txt"))[:3]
    set_published_many(docs, ids, True)
    set_published(docs, ids[0], False)
    entries, _ = read_audit_log(docs / ".curation" / "audit.jsonl")
    batches = [entry.batch for entry in entries]
    changed = [entry for entry in entries if entry.batch]
    assert len({entry.batch for entry in changed}) == 1 and batches[-1] is None


def test_history_judges_an_entry_whose_write_never_happened(seed_only):
    """An entry is written before its file: if the file still has sha_before, the change did not happen."""
    change = set_published(seed_only, SEED_ID, False)
    (seed_only / SEED_ID).write_bytes(
        (seed_only / SEED_ID).read_bytes().replace(b"published: false", b"published: true")
    )
    history, _ = load_history(seed_only)
    assert [happened for _, happened in history.newest_first()] == [False]
    outcome = undo_change(seed_only, change.entry.change)
    assert outcome.status == "refused" and "never took effect" in outcome.message


def _sha(name: str) -> str:
    return name * 64


@pytest.mark.parametrize(
    ("log", "now", "done"),
    [
        (["0>1", "1>2", "2>3"], "3", [True, True, True]),
        (["0>1", "1>2"], "1", [True, False]),  # killed before its write
        (["0>1"], "0", [False]),
        (["0>1", "1>2", "1>3"], "3", [True, False, True]),  # killed, and the next writer started from the same sha
        (["0>1", "0>2"], "1", [True, False]),  # a race's loser, killed before withdrawing its entry, logged last
        (["0>1", "0>2", "1>3"], "3", [True, False, True]),  # ... and a later change: still the winner's
        (["0>2", "0>1", "1>3"], "3", [False, True, True]),  # the loser logged first
        (["0>2", "0>1"], "1", [False, True]),  # a race from the first sha logged, which no entry left
        (["0>1", "1>2", "0>2"], "2", [True, True, False]),  # a slow loser logged after the next change, same edit
        (["0>1", "1>0", "0>1"], "1", [True, True, True]),  # toggled: shas come back
        (["0>1", "5>6"], "6", [True, True]),  # changed by something else between the two
        (["0>1", "1>2"], "9", [True, True]),  # ... or after the last change
        (["0>1", "1>2"], None, [True, True]),  # the document cannot be read
    ],
)
def test_took_effect_follows_the_chain_of_shas_to_the_document_now(log, now, done):
    """Whether a change took effect is the chain sha_before -> sha_after that ends at the document as it is now,
    not a comparison of neighbours in time order."""
    entries = [
        AuditEntry.from_json({**GOOD, "change": f"c{number}", "sha_before": _sha(step[0]), "sha_after": _sha(step[2])})
        for number, step in enumerate(log)
    ]
    history = AuditHistory(entries, lambda doc_id: None if now is None else _sha(now))
    assert [history.took_effect(position) for position in range(len(entries))] == done


def test_undoing_twice_is_refused_the_second_time(seed_only):
    change = set_published(seed_only, SEED_ID, False)
    assert undo_change(seed_only, change.entry.change).status == "changed"
    second = undo_change(seed_only, change.entry.change)
    assert second.status == "unchanged" and "undone already" in second.message


@pytest.mark.parametrize("count", [0, -1, 1.5, True])
def test_undo_counts_must_be_positive_whole_numbers(seed_only, count):
    set_published(seed_only, SEED_ID, False)
    with pytest.raises(ValueError, match="1 or more"):
        undo_last(seed_only, count)
    assert b"published: false" in (seed_only / SEED_ID).read_bytes()
