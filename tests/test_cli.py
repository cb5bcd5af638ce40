"""The `curation` command, driven through its entry point; exit codes included."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from curation.cli import main
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
    assert code == 1
    assert report["documents"] == 9
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
    from curation.collection import load_collection
    from curation.demo import write_demo_collection

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
