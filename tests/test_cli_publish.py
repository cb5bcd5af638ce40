"""`curation publish`, `unpublish`, `history` and `undo` from the command line."""

from __future__ import annotations

import json

import pytest

from curation.documents import sha256_of
from curation.loading.collection import load_collection
from tests.conftest import SEED_ID, write_document
from tests.test_cli import run


def test_unpublish_then_publish_one_document(capsys, seed_only):
    code, out, err = run(capsys, "unpublish", SEED_ID, "--docs", str(seed_only), "--editor", "Ann")
    assert (code, out) == (0, f"unpublished: {SEED_ID}\n")
    assert "1 changed, 0 unchanged, 0 conflict, 0 refused" in err
    assert b"\npublished: false\n" in (seed_only / SEED_ID).read_bytes()
    code, out, _ = run(capsys, "unpublish", SEED_ID, "--docs", str(seed_only))
    assert (code, out) == (0, f"already so: {SEED_ID}\n")


def test_expect_sha_conflict_exits_1_and_writes_nothing(capsys, seed_only):
    before = (seed_only / SEED_ID).read_bytes()
    code, _, err = run(capsys, "unpublish", SEED_ID, "--expect-sha", "0" * 64, "--docs", str(seed_only))
    assert code == 1 and f"conflict: {SEED_ID}: changed on disk" in err
    assert (seed_only / SEED_ID).read_bytes() == before
    code, _, _ = run(capsys, "unpublish", SEED_ID, "--expect-sha", sha256_of(before), "--docs", str(seed_only))
    assert code == 0


def test_refusals_exit_1_and_the_others_still_change(capsys, seed_only):
    write_document(seed_only, "bad.txt", "---\ntitle: t\nheat: very\n---\n")
    code, out, err = run(capsys, "unpublish", "bad.txt", "../x.txt", SEED_ID, "--docs", str(seed_only))
    assert code == 1
    assert out == f"unpublished: {SEED_ID}\n"
    assert "refused: bad.txt:3: cannot be unpublished until fixed" in err
    assert "refused: ../x.txt: not a document id" in err


def test_all_matching_is_a_dry_run_without_yes(capsys, docs):
    frame = load_collection(docs).frame
    matching = frame[(frame["category"] == "sport") & ~frame["published"]]
    before = {doc_id: (docs / doc_id).read_bytes() for doc_id in matching.index}
    code, out, err = run(capsys, "publish", "--all-matching", "--category", "sport", "--docs", str(docs))
    assert code == 0
    assert out.splitlines() == [f"would publish {doc_id}" for doc_id in matching.index]
    assert f"{len(matching)} documents would change; add --yes" in err
    assert all((docs / doc_id).read_bytes() == content for doc_id, content in before.items())

    code, out, _ = run(capsys, "publish", "--all-matching", "--category", "sport", "--yes", "--docs", str(docs))
    after = load_collection(docs).frame
    assert code == 0 and len(out.splitlines()) == len(matching)
    assert after[after["category"] == "sport"]["published"].all()
    assert (after["published"] != frame["published"]).sum() == len(matching)


def test_ids_and_all_matching_together_are_a_usage_error(capsys, seed_only):
    with pytest.raises(SystemExit) as exit_info:
        main_args = ["publish", SEED_ID, "--all-matching", "--docs", str(seed_only)]
        run(capsys, *main_args)
    assert exit_info.value.code == 2


def test_history_and_undo(capsys, seed_only):
    run(capsys, "unpublish", SEED_ID, "--docs", str(seed_only), "--editor", "Ann")
    run(capsys, "publish", SEED_ID, "--docs", str(seed_only), "--editor", "Bob")
    code, out, _ = run(capsys, "history", "--json", "--docs", str(seed_only))
    entries = json.loads(out)
    assert code == 0
    assert [(e["editor"], e["old"], e["new"]) for e in entries] == [("Bob", False, True), ("Ann", True, False)]
    code, out, _ = run(capsys, "history", "--limit", "1", "--docs", str(seed_only))
    assert len(out.splitlines()) == 1 and "Bob" in out and "unpublished -> published" in out

    code, out, _ = run(capsys, "undo", "--docs", str(seed_only), "--editor", "Cy")
    assert (code, out) == (0, f"reverted: {SEED_ID}\n")
    assert b"\npublished: false\n" in (seed_only / SEED_ID).read_bytes()
    code, out, _ = run(capsys, "undo", "--change", entries[1]["change"], "--docs", str(seed_only))
    assert code == 0
    assert b"\npublished: true\n" in (seed_only / SEED_ID).read_bytes()


def test_undo_with_nothing_logged(capsys, seed_only):
    code, out, err = run(capsys, "undo", "--docs", str(seed_only))
    assert (code, out) == (0, "") and "nothing to undo" in err


def test_read_only_refuses_from_the_command_line(capsys, seed_only, monkeypatch):
    monkeypatch.setenv("CURATION_READ_ONLY", "1")
    code, _, err = run(capsys, "unpublish", SEED_ID, "--docs", str(seed_only))
    assert code == 1 and "writing is switched off" in err


@pytest.mark.parametrize("command", [["publish", SEED_ID], ["undo"], ["history"]])
def test_a_missing_folder_is_a_usage_error(capsys, tmp_path, command):
    code, _, err = run(capsys, *command, "--docs", str(tmp_path / "nope"))
    assert code == 2 and "docs folder does not exist" in err


def test_publish_history_and_undo_escape_control_characters(capsys, seed_only):
    """An editor name with a newline cannot forge a history line, and a file name cannot set the terminal title.
    Such a name is refused when it is given (tests/test_editor_names.py), so here the log is edited by hand:
    an old or forged log is read back as untrusted input."""
    name = "evil\x1b]0;pwned\x07\u2028.txt"
    write_document(seed_only, name, "---\ntitle: t\npublished: true\n---\n")
    editor = "Ann\n2026-01-01T00:00:00Z  abc  Bob  x.txt  published -> unpublished\x1b[2K\x9b"
    code, out, err = run(capsys, "unpublish", name, "--docs", str(seed_only), "--editor", "Ann")
    assert code == 0
    assert out == "unpublished: evil\\x1b]0;pwned\\x07\\u2028.txt\n"
    log = seed_only / ".curation" / "audit.jsonl"
    log.write_text(log.read_text().replace('"editor": "Ann"', f'"editor": {json.dumps(editor)}'))

    code, out, _ = run(capsys, "history", "--docs", str(seed_only))
    (line,) = out.splitlines()
    assert "Ann\\n2026-01-01T00:00:00Z  abc  Bob" in line and "\\x1b[2K\\x9b" in line
    assert "evil\\x1b]0;pwned\\x07\\u2028.txt" in line
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\u2028" not in out

    code, out, _ = run(capsys, "history", "--json", "--docs", str(seed_only))
    (entry,) = json.loads(out)
    assert (entry["editor"], entry["id"]) == (editor, name)  # exact, escaped by JSON
    assert "\x1b" not in out and "\x9b" not in out and "\u2028" not in out

    code, out, err = run(capsys, "undo", "--docs", str(seed_only))
    assert (code, out) == (0, "reverted: evil\\x1b]0;pwned\\x07\\u2028.txt\n")
    assert "\x1b" not in err


def test_refusal_messages_escape_control_characters(capsys, seed_only):
    code, _, err = run(capsys, "publish", "../\x1b[31mred.txt", "--docs", str(seed_only))
    assert code == 1 and "refused: ../\\x1b[31mred.txt: not a document id" in err
    assert "\x1b" not in err


def test_history_describes_edits_of_other_fields(capsys, seed_only):
    """A title edit is listed as a title edit, not as a publish."""
    code, _, _ = run(capsys, "set", SEED_ID, "title=A new title", "--docs", str(seed_only), "--editor", "Ann")
    assert code == 0
    code, out, _ = run(capsys, "history", "--docs", str(seed_only))
    (line,) = out.splitlines()
    assert line.endswith(
        f'Ann  {SEED_ID}  title: "Stream It Or Skip It: ‘Jung_E’ on Netflix, a Sci-Fi Fable About AI and Brain-Cloning" -> "A new title"'
    )
