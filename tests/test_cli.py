"""The `curation` command, driven through its entry point; exit codes included."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from curation.cli import main
from curation.loading.collection import load_collection
from curation.query.filters import Filters
from curation.wording import plural
from tests.conftest import SEED_ID, write_document


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_a_clean_folder(capsys, seed_only):
    code, out, _ = run(capsys, "validate", "--docs", str(seed_only))
    assert (code, out) == (0, "1 document, 0 problems\n")


def test_validate_reports_each_problem_as_path_line_message(capsys, tmp_path):
    write_document(tmp_path, "good.txt", "---\ntitle: fine\n---\n")
    write_document(tmp_path, "bad.txt", "---\ntitle: t\nquality: 300\n---\n")
    write_document(tmp_path, "sub/nodashes.md", "title: x\n")
    code, out, _ = run(capsys, "validate", "--docs", str(tmp_path))
    assert code == 1
    assert out.splitlines() == [
        "bad.txt:3: `quality` must be a whole number from 0 to 100, not 300",
        "sub/nodashes.md:1: no front matter: the first line must be `---`",
        "1 document, 2 problems",
    ]


def test_validate_json(capsys, golden_copy):
    code, out, _ = run(capsys, "validate", "--json", "--docs", str(golden_copy))
    report = json.loads(out)
    expected = [json.loads(path.read_text(encoding="utf-8")) for path in golden_copy.glob("*.expected.json")]
    assert code == 1
    assert report["documents"] == sum("problem" not in golden for golden in expected) >= 9
    assert len(report["problems"]) == sum("problem" in golden for golden in expected)
    problems = {problem["path"]: problem for problem in report["problems"]}
    assert problems["bad_quality_range.txt"]["line"] == 3
    assert all(set(problem) >= {"path", "line", "message"} for problem in report["problems"])
    assert report["warnings"] == []


def test_validate_lists_duplicate_warnings(capsys, tmp_path):
    for name in ("a.txt", "b.txt"):
        write_document(tmp_path, name, '---\ntitle: same\nwebUrl: "https://x.example/1"\n---\n')
    code, out, _ = run(capsys, "validate", "--docs", str(tmp_path))
    assert code == 0
    assert "b.txt: warning: likely a duplicate of a.txt" in out
    assert out.endswith("2 documents, 0 problems, 1 warning\n")


def test_missing_folder_is_a_usage_error(capsys, tmp_path):
    code, _, err = run(capsys, "validate", "--docs", str(tmp_path / "nope"))
    assert code == 2
    assert "docs folder does not exist" in err


def test_docs_folder_comes_from_the_environment(capsys, monkeypatch, seed_only):
    monkeypatch.setenv("CURATION_DOCS", str(seed_only))
    code, out, _ = run(capsys, "validate")
    assert (code, out) == (0, "1 document, 0 problems\n")


def test_export_csv_to_stdout_with_filters(capsys, docs):
    code, out, _ = run(
        capsys, "export", "--docs", str(docs), "--unpublished", "--min-quality", "70", "--category", "news",
        "--sort", "quality:desc", "--columns", "id,quality,published,category",
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))
    assert code == 0 and rows
    assert all(r["published"] == "false" and int(r["quality"]) >= 70 and r["category"] == "news" for r in rows)
    qualities = [int(row["quality"]) for row in rows]
    assert qualities == sorted(qualities, reverse=True)


def test_export_json_to_a_file(capsys, docs, tmp_path):
    target = tmp_path / "out.json"
    code, out, err = run(capsys, "export", "--docs", str(docs), "--format", "json", "--has-image", "-o", str(target))
    records = json.loads(target.read_text(encoding="utf-8"))
    assert code == 0 and out == ""
    assert records and all(record["image"] for record in records)
    assert f"wrote {len(records)} articles (with an image)" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["export", "--min-quality", "101"],
        ["export", "--since", "yesterday"],
        ["export", "--sort", "secured"],
        ["export", "--published", "--unpublished"],
        ["export", "--columns", "id,secured"],
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(capsys, seed_only, argv):
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--docs", str(seed_only)] if argv[0] == "export" else argv)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


EDGE_DATES = [
    (["--since", "0001-01-01"], Filters(since=dt.date.min)),
    (["--until", "9999-12-31"], Filters(until=dt.date.max)),
    (["--since", "0001-01-01", "--until", "0001-01-01"], Filters(since=dt.date.min, until=dt.date.min)),
    (["--since", "9999-12-31", "--until", "9999-12-31"], Filters(since=dt.date.max, until=dt.date.max)),
]


@pytest.mark.parametrize(("dates", "filters"), EDGE_DATES)
def test_export_with_the_calendars_first_and_last_days(capsys, docs, tmp_path, dates, filters):
    """`export --until 9999-12-31` (and the other edges) export what the filter keeps; no traceback."""
    target = tmp_path / "out.json"
    code, _, err = run(capsys, "export", "--docs", str(docs), "--format", "json", "-o", str(target), *dates)
    expected = filters.apply(load_collection(docs).frame)
    assert code == 0 and [record["id"] for record in json.loads(target.read_text())] == list(expected.index)
    assert f"wrote {plural(len(expected), 'article')} ({filters.describe()})" in err


@pytest.mark.parametrize(("dates", "filters"), EDGE_DATES)
def test_all_matching_with_the_calendars_first_and_last_days(capsys, docs, dates, filters):
    code, out, err = run(capsys, "publish", "--all-matching", "--docs", str(docs), *dates)
    matching = filters.apply(load_collection(docs).frame).query("not published")
    assert code == 0 and out.splitlines() == [f"would publish {doc_id}" for doc_id in matching.index]
    assert f"{plural(len(matching), 'document')} would change" in err


@pytest.mark.parametrize("command", ["export", "publish"])
@pytest.mark.parametrize("dates", [["--until", "10000-01-01"], ["--since", "0000-12-31"]])
def test_a_date_beyond_the_calendar_is_a_usage_error(capsys, seed_only, command, dates):
    argv = [command, "--docs", str(seed_only), *dates] + (["--all-matching"] if command == "publish" else [])
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert f"'{dates[1]}' is not a date; write it as YYYY-MM-DD" in err and "Traceback" not in err


def test_demo_is_deterministic(capsys, tmp_path):
    assert run(capsys, "demo", "--n", "20", "--out", str(tmp_path / "a"), "--seed", "7")[0] == 0
    assert run(capsys, "demo", "--n", "20", "--out", str(tmp_path / "b"), "--seed", "7")[0] == 0
    first = sorted((tmp_path / "a").iterdir())
    second = sorted((tmp_path / "b").iterdir())
    assert [p.name for p in first] == [p.name for p in second]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first, second, strict=True))
    code, out, _ = run(capsys, "validate", "--docs", str(tmp_path / "a"))
    assert (code, out) == (0, "20 documents, 0 problems\n")


def test_demo_data_has_realistic_variety(tmp_path):
    from curation.demo import write_demo_collection
    from curation.loading.collection import load_collection

    write_demo_collection(tmp_path, 400, seed=1)
    frame = load_collection(tmp_path).frame
    assert frame["provider"].nunique() >= 24
    assert frame["category"].nunique() >= 6
    assert set(frame["images"]) == {0, 1, 2, 3} and set(frame["related"]) == {0, 1, 2, 3}
    assert set(frame["topics"].map(len)) == {1, 2, 3, 4}
    assert frame["quality"].min() < 15 and frame["quality"].max() > 90
    assert frame["publishedDateTime"].dt.year.nunique() >= 3
    assert 0.25 < frame["published"].mean() < 0.42
    assert frame["title"].map(lambda title: not title.isascii()).any()


@pytest.mark.parametrize("command", [[sys.executable, "-m", "curation"], [str(Path(sys.prefix) / "bin" / "curation")]])
def test_command_runs_as_a_program(command, seed_only):
    """`python -m curation` and the installed `curation` script both work."""
    argv = [*command, "validate", "--docs", str(seed_only)]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout) == (0, "1 document, 0 problems\n")


def test_export_does_not_include_secured(capsys, seed_only):
    code, out, _ = run(capsys, "export", "--docs", str(seed_only), "--format", "json")
    assert code == 0 and "ZmNiKlXaNX4Y" not in out and SEED_ID in out


def test_export_to_a_folder_that_does_not_exist_is_a_clear_error(seed_only, tmp_path, capsys):
    target = tmp_path / "missing" / "out.csv"
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "--docs", str(seed_only), "-o", str(target)])
    assert exit_info.value.code == 2
    assert f"cannot write {target}: No such file or directory" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["undo", "--last", "-1"],
        ["undo", "--last", "0"],
        ["undo", "--last", "two"],
        ["undo", "--last", "1.5"],
        ["history", "--limit", "-1"],
        ["history", "--limit", "0"],
        ["demo", "--n", "-3", "--out", "OUT"],
        ["demo", "--n", "0", "--out", "OUT"],
        ["bench", "--n", "-5"],
        ["bench", "--n", "99"],
        ["bench", "--runs", "0"],
    ],
)
def test_counts_must_be_positive_whole_numbers(capsys, seed_only, tmp_path, argv):
    """`undo --last -1` once reverted all but one change; every count is now a usage error unless positive."""
    argv = [str(tmp_path / "out") if arg == "OUT" else arg for arg in argv]
    if argv[0] in ("undo", "history"):
        argv += ["--docs", str(seed_only)]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "error: argument" in err and ("positive whole number" in err or "whole number of" in err)
    assert not (tmp_path / "out").exists()


def usage_error(capsys, *argv: str) -> str:
    """Run a command that must stop with a usage error (exit 2); its message."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def demo_names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_demo_refuses_a_folder_that_holds_documents(capsys, tmp_path):
    """An editor's hand-edited documents are never overwritten by `curation demo` without --force."""
    out = tmp_path / "articles"
    assert run(capsys, "demo", "--n", "3", "--out", str(out), "--seed", "1")[0] == 0
    edited = out / demo_names(out)[0]
    edited.write_text("---\ntitle: edited by hand\n---\n", encoding="utf-8")
    write_document(out, "sub/mine.md", "---\ntitle: mine\n---\n")
    err = usage_error(capsys, "demo", "--n", "3", "--out", str(out), "--seed", "1")
    assert f"{out}: already holds 4 documents" in err and "--force" in err
    assert edited.read_text(encoding="utf-8") == "---\ntitle: edited by hand\n---\n"

    code, _, err = run(capsys, "demo", "--n", "3", "--out", str(out), "--seed", "1", "--force")
    assert code == 0 and f"wrote 3 demo documents to {out}" in err
    assert "edited by hand" not in edited.read_text(encoding="utf-8")
    assert (out / "sub" / "mine.md").read_text(encoding="utf-8") == "---\ntitle: mine\n---\n"
    assert not [name for name in demo_names(out) if name.startswith(".")]  # no temp file left


def test_demo_into_a_folder_of_other_files_is_allowed(capsys, tmp_path):
    out = tmp_path / "articles"
    write_document(out, "notes.csv", "a,b\n")
    write_document(out, ".hidden.txt", "not a document: hidden")
    assert run(capsys, "demo", "--n", "2", "--out", str(out))[0] == 0
    assert len([name for name in demo_names(out) if name.startswith("demo_")]) == 2


def test_demo_never_follows_a_symlinked_out_folder(capsys, tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "out"
    link.symlink_to(target)
    for extra in ([], ["--force"]):
        err = usage_error(capsys, "demo", "--n", "2", "--out", str(link), *extra)
        assert f"{link}: is a symbolic link" in err
    assert list(target.iterdir()) == []


def test_demo_never_writes_through_a_symlink_where_a_document_goes(capsys, tmp_path):
    """A link planted under a demo file's name is refused, even with --force; its target is untouched."""
    first = tmp_path / "first"
    assert run(capsys, "demo", "--n", "2", "--out", str(first), "--seed", "4")[0] == 0
    name = demo_names(first)[0]
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / name).symlink_to(victim)
    err = usage_error(capsys, "demo", "--n", "2", "--out", str(out), "--seed", "4", "--force")
    assert f"{out / name}: is a symbolic link" in err
    assert victim.read_text(encoding="utf-8") == "precious"
    assert (out / name).is_symlink()


def test_export_replaces_the_previous_file_atomically(capsys, docs, tmp_path):
    """A disk that fills up midway leaves the previous export whole, and no temp file behind.

    RLIMIT_FSIZE makes the kernel refuse writes past 16 KiB (EFBIG), like a full disk would.
    """
    import resource

    target = tmp_path / "exports" / "articles.csv"
    target.parent.mkdir()
    assert run(capsys, "export", "--docs", str(docs), "--search", "Jung_E", "-o", str(target))[0] == 0
    previous = target.read_bytes()
    assert 0 < len(previous) < 16 * 1024

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, resource.RLIM_INFINITY))

    result = subprocess.run(
        [sys.executable, "-m", "curation", "export", "--docs", str(docs), "-o", str(target)],
        capture_output=True, text=True, check=False, preexec_fn=limit_file_size,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert f"cannot write {target}" in result.stderr
    assert target.read_bytes() == previous
    assert [path.name for path in target.parent.iterdir()] == ["articles.csv"]

    assert run(capsys, "export", "--docs", str(docs), "-o", str(target))[0] == 0  # no limit: replaced whole
    assert len(list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))) == 301


HOSTILE_NAME = "bad\x1b]0;pwned\x07name.txt"


def assert_no_control_characters(text: str) -> None:
    controls = [char for char in text if char != "\n" and (ord(char) < 32 or 0x7F <= ord(char) <= 0x9F)]
    assert controls == [], repr(text)


def test_validate_escapes_control_characters_in_file_names(capsys, tmp_path):
    """A file name that would set the terminal's title is printed escaped."""
    write_document(tmp_path, HOSTILE_NAME, "---\ntitle: t\nquality: 300\n---\n")
    write_document(tmp_path, "two\nlines.txt", "---\ntitle: t\nheat: 300\n---\n")
    code, out, _ = run(capsys, "validate", "--docs", str(tmp_path))
    assert code == 1
    assert_no_control_characters(out)
    assert sorted(out.splitlines()) == [
        "0 documents, 2 problems",
        "bad\\x1b]0;pwned\\x07name.txt:3: `quality` must be a whole number from 0 to 100, not 300",
        "two\\nlines.txt:3: `heat` must be a whole number from 0 to 100, not 300",
    ]
    code, out, _ = run(capsys, "validate", "--json", "--docs", str(tmp_path))
    paths = {problem["path"] for problem in json.loads(out)["problems"]}
    assert paths == {HOSTILE_NAME, "two\nlines.txt"}  # JSON keeps the exact names, escaped by JSON itself
    assert_no_control_characters(out)
