"""`curation set` and `curation topics` from the command line: the same guarantees and exit codes as publish."""

from __future__ import annotations

import pytest

from curation.documents import sha256_of
from curation.loading.collection import load_collection
from curation.store.folder_audit import read_audit_log
from tests.conftest import SEED_ID, write_document
from tests.test_cli import run


def run_usage_error(capsys, *argv: str) -> str:
    """Run a command that must stop with exit code 2; its stderr."""
    with pytest.raises(SystemExit) as stopped:
        run(capsys, *argv)
    assert stopped.value.code == 2
    return capsys.readouterr().err


def test_set_a_title_and_undo_it(capsys, seed_only):
    path = seed_only / SEED_ID
    before = path.read_bytes()
    code, out, err = run(capsys, "set", SEED_ID, "title=Jung_E: a fable", "--docs", str(seed_only), "--editor", "Ann")
    assert (code, out) == (0, f"set title: {SEED_ID}\n")
    assert "1 changed, 0 unchanged, 0 conflict, 0 refused" in err
    assert load_collection(seed_only).frame.loc[SEED_ID, "title"] == "Jung_E: a fable"
    (entry,) = read_audit_log(seed_only / ".curation" / "audit.jsonl")[0]
    assert (entry.editor, entry.field, entry.new) == ("Ann", "title", "Jung_E: a fable")
    code, _, _ = run(capsys, "undo", "--docs", str(seed_only))
    assert code == 0 and path.read_bytes() == before


def test_a_bad_value_is_a_usage_error_naming_the_field(capsys, seed_only):
    before = (seed_only / SEED_ID).read_bytes()
    err = run_usage_error(capsys, "set", SEED_ID, "category=a\x07b", "--docs", str(seed_only))
    assert "category=" in err and "control character U+0007" in err and "\x07" not in err
    err = run_usage_error(capsys, "set", SEED_ID, "quality=99", "--docs", str(seed_only))
    assert "FIELD is one of title, excerpt, category, type" in err
    assert (seed_only / SEED_ID).read_bytes() == before


def test_set_with_a_stale_sha_is_a_conflict(capsys, seed_only):
    code, _, err = run(capsys, "set", SEED_ID, "type=video", "--expect-sha", "0" * 64, "--docs", str(seed_only))
    assert code == 1 and "conflict" in err
    sha = sha256_of((seed_only / SEED_ID).read_bytes())
    code, _, _ = run(capsys, "set", SEED_ID, "type=video", "--expect-sha", sha, "--docs", str(seed_only))
    assert code == 0


def test_recategorize_all_matching_is_a_dry_run_without_yes(capsys, docs):
    frame = load_collection(docs).frame
    sport = set(frame.index[frame["category"] == "sport"])
    code, out, err = run(
        capsys, "set", "category=athletics", "--all-matching", "--category", "sport", "--docs", str(docs)
    )
    assert code == 0 and f"{len(sport)} documents would change" in err
    assert load_collection(docs).frame.loc[list(sport), "category"].eq("sport").all()
    code, out, _ = run(
        capsys, "set", "category=athletics", "--all-matching", "--category", "sport", "--yes", "--docs", str(docs)
    )
    assert code == 0 and out.count("set category: ") == len(sport)
    assert set(load_collection(docs).frame.query("category == 'athletics'").index) == sport


def test_topics_add_and_remove(capsys, tmp_path):
    path = write_document(tmp_path, "a.txt", "---\ntitle: t\ntopics:\n  - AI\n  - Climate\n---\n")
    code, out, _ = run(capsys, "topics", "a.txt", "--add", "Space", "--remove", "Climate", "--docs", str(tmp_path))
    assert (code, out) == (0, "topics changed: a.txt\n")
    assert path.read_bytes() == b"---\ntitle: t\ntopics:\n  - AI\n  - Space\n---\n"
    code, out, _ = run(capsys, "topics", "a.txt", "--add", "AI", "--docs", str(tmp_path))
    assert (code, out) == (0, "already so: a.txt\n")
    assert "--add TOPIC" in run_usage_error(capsys, "topics", "a.txt", "--docs", str(tmp_path))


def test_refused_ids_exit_1_and_the_rest_change(capsys, tmp_path):
    write_document(tmp_path, "a.txt", "---\ntitle: t\n---\n")
    write_document(tmp_path, "bad.txt", "---\ntitle: t\nheat: hot\n---\n")
    code, out, err = run(capsys, "set", "bad.txt", "a.txt", "../x.txt", "type=video", "--docs", str(tmp_path))
    assert code == 1 and out == "set type: a.txt\n"
    assert "1 changed, 0 unchanged, 0 conflict, 2 refused" in err


@pytest.mark.parametrize(
    "change",
    [
        ["--add", "AI", "--topic", "AI"],  # every one has it already: nothing would change
        ["--add", "AI", "--remove", "Climate", "--category", "news"],
        ["--remove", "Nowhere", "--category", "news"],
    ],
)
def test_a_topics_dry_run_counts_the_documents_the_run_changes(capsys, tmp_path, change):
    for name, topics in [("a.txt", "[AI]"), ("b.txt", "[AI, AI]"), ("c.txt", "[Climate]"), ("d.txt", "[]")]:
        write_document(tmp_path, name, f"---\ntitle: t\ncategory: news\ntopics: {topics}\n---\n")
    before = {path.name: path.read_bytes() for path in tmp_path.glob("*.txt")}
    command = ["topics", *change, "--all-matching", "--docs", str(tmp_path)]
    code, out, err = run(capsys, *command)
    would = {line.removeprefix("would change topics of ") for line in out.splitlines()}
    assert code == 0 and f"{len(would)} document" in err
    code, out, _ = run(capsys, *command, "--yes")
    changed = {name for name, raw in before.items() if (tmp_path / name).read_bytes() != raw}
    assert code == 0 and changed == would
