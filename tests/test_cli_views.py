"""`curation views` and `--view NAME` on the commands that take filters, on a folder and on an S3 prefix."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from curation.cli import main
from curation.loading.collection import load_collection
from curation.query.filters import Filters
from curation.query.saved_views import read_views
from tests.test_cli import run


def test_save_list_json_and_delete(capsys, location):
    docs = str(location)
    code, out, _ = run(capsys, "views", "save", "Morning", "--unpublished", "--category", "news",
                       "--sort", "quality:desc", "--docs", docs, "--editor", "ann")  # fmt: skip
    assert (code, out) == (0, "saved view Morning: unpublished · category news\n")
    code, out, _ = run(capsys, "views", "list", "--docs", docs)
    assert code == 0
    assert out.startswith("Morning: unpublished · category news · sorted by quality, descending  (saved by ann at ")
    code, out, _ = run(capsys, "views", "list", "--json", "--docs", docs)
    (listed,) = json.loads(out)
    assert listed["name"] == "Morning" and listed["saved_by"] == "ann" and listed["problems"] == []
    assert listed["query"] == {
        "category": ["news"],
        "published": ["unpublished"],
        "sort": ["quality"],
        "desc": ["true"],
    }
    code, out, _ = run(capsys, "views", "delete", "Morning", "--docs", docs)
    assert code == 0 and out.startswith("deleted view Morning (it was saved by ann at ")
    code, out, _ = run(capsys, "views", "list", "--json", "--docs", docs)
    assert (code, json.loads(out)) == (0, [])


def test_saving_a_name_taken_needs_replace(capsys, tmp_path):
    docs = str(tmp_path)
    assert run(capsys, "views", "save", "Morning", "--published", "--docs", docs, "--editor", "ann")[0] == 0
    code, out, err = run(capsys, "views", "save", "Morning", "--unpublished", "--docs", docs, "--editor", "bob")
    assert code == 1 and out == ""
    assert "a view named Morning exists (saved by ann at " in err and "add --replace to overwrite it" in err
    assert read_views(tmp_path).named("Morning").filters()[0] == Filters(published="published")
    code, _, _ = run(
        capsys, "views", "save", "Morning", "--unpublished", "--replace", "--docs", docs, "--editor", "bob"
    )
    assert code == 0 and read_views(tmp_path).named("Morning").saved_by == "bob"


def test_rename_and_unknown_names(capsys, tmp_path):
    docs = str(tmp_path)
    run(capsys, "views", "save", "Morning", "--published", "--docs", docs)
    assert run(capsys, "views", "rename", "Morning", "Dawn", "--docs", docs)[:2] == (
        0,
        "renamed view Morning to Dawn\n",
    )
    for argv in (["views", "delete", "Morning"], ["export", "--view", "Morning"], ["views", "rename", "Morning", "X"]):
        with pytest.raises(SystemExit) as exit_info:
            main([*argv, "--docs", docs])
        assert exit_info.value.code == 2
        assert "no view named 'Morning'; the saved views are: Dawn (`curation views list`)" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["", "x" * 81, "bad\x1bname"])
def test_a_bad_view_name_is_a_usage_error(capsys, tmp_path, name):
    with pytest.raises(SystemExit) as exit_info:
        main(["views", "save", name, "--docs", str(tmp_path)])
    assert exit_info.value.code == 2 and "view's name" in capsys.readouterr().err
    assert not (tmp_path / ".curation" / "views.json").exists()


def test_export_view_exports_exactly_what_the_same_flags_export(capsys, location):
    docs = str(location)
    flags = ["--unpublished", "--min-quality", "40", "--category", "news", "--category", "sport", "--sort", "heat:desc"]
    assert run(capsys, "views", "save", "Desk", *flags, "--docs", docs)[0] == 0
    code, by_flags, _ = run(capsys, "export", *flags, "--format", "json", "--docs", docs)
    code_view, by_view, _ = run(capsys, "export", "--view", "Desk", "--format", "json", "--docs", docs)
    assert code == code_view == 0 and by_view == by_flags and len(json.loads(by_view)) > 5


def test_flags_given_with_a_view_replace_its_values(capsys, tmp_path, docs):
    run(capsys, "views", "save", "Desk", "--unpublished", "--min-quality", "40", "--max-quality", "90",
        "--sort", "heat:desc", "--docs", str(docs))  # fmt: skip
    flags = ["--unpublished", "--min-quality", "60", "--max-quality", "90", "--sort", "quality"]
    _, by_flags, _ = run(capsys, "export", *flags, "--format", "json", "--docs", str(docs))
    _, by_view, _ = run(capsys, "export", "--view", "Desk", "--min-quality", "60", "--sort", "quality",
                        "--format", "json", "--docs", str(docs))  # fmt: skip
    assert by_view == by_flags


def test_publish_view_publishes_what_the_view_shows(capsys, location):
    docs = str(location)
    run(capsys, "views", "save", "Sport queue", "--unpublished", "--category", "sport", "--docs", docs)
    frame = load_collection(location).frame
    expected = sorted(frame[(frame["category"] == "sport") & ~frame["published"]].index)
    code, out, _ = run(capsys, "publish", "--all-matching", "--view", "Sport queue", "--docs", docs)
    assert code == 0 and out.splitlines() == [f"would publish {doc_id}" for doc_id in expected]
    code, out, _ = run(capsys, "publish", "--all-matching", "--view", "Sport queue", "--yes", "--docs", docs)
    assert code == 0 and sorted(line.removeprefix("published: ") for line in out.splitlines()) == expected
    after = load_collection(location).frame
    assert after.loc[expected, "published"].all()
    assert after.drop(index=expected)["published"].equals(frame.drop(index=expected)["published"])
    code, out, _ = run(capsys, "unpublish", "--all-matching", "--view", "Sport queue", "--docs", docs)
    assert (code, out) == (0, "")  # the view shows unpublished articles: none left to unpublish


def test_set_and_topics_take_a_view(capsys, docs):
    run(capsys, "views", "save", "Tiny", "--search", "Jung_E", "--docs", str(docs))
    code, out, _ = run(capsys, "set", "category=film", "--all-matching", "--view", "Tiny", "--docs", str(docs))
    assert code == 0 and out == "would set category 000_6a51a6705fafdd11.txt\n"
    code, out, _ = run(capsys, "topics", "--add", "ai", "--all-matching", "--view", "Tiny", "--docs", str(docs))
    assert code == 0 and out == "would change topics of 000_6a51a6705fafdd11.txt\n"


def test_two_save_processes_at_once_keep_both_views(location):
    """Two `curation views save` processes started together; each saves its own name: both are kept."""
    environment = {**os.environ, "CURATION_DOCS": str(location)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "curation", "views", "save", name, "--min-heat", str(heat), "--docs", str(location)],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for heat, name in enumerate(["Ann's", "Bob's"], start=10)
    ]
    results = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], results
    views = read_views(location)
    assert sorted(views.names()) == ["Ann's", "Bob's"]
    assert views.named("Bob's").filters()[0] == Filters(min_heat=11)


def test_a_broken_view_is_never_used_by_a_write(capsys, tmp_path):
    (tmp_path / ".curation").mkdir()
    entry = {"name": "Odd", "query": {"published": ["maybe"]}, "saved_by": "ann", "saved_at": "2026-12-05T06:00:00Z"}
    (tmp_path / ".curation" / "views.json").write_text(json.dumps({"format": 1, "views": [entry]}))
    with pytest.raises(SystemExit) as exit_info:
        main(["publish", "--all-matching", "--view", "Odd", "--yes", "--docs", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "view 'Odd' in " in capsys.readouterr().err
    code, _, err = run(capsys, "views", "list", "--docs", str(tmp_path))
    assert code == 0 and "view 'Odd': published=maybe was ignored: choose one of all, published, unpublished" in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], Filters(published="unpublished", categories=("news",), min_quality=40, max_quality=90, sort="heat",
                     descending=True)),
        (["--category", "sport"], Filters(published="unpublished", categories=("sport",), min_quality=40,
                                          max_quality=90, sort="heat", descending=True)),
        (["--min-quality", "60", "--published"], Filters(published="published", categories=("news",), min_quality=60,
                                                         max_quality=90, sort="heat", descending=True)),
        (["--sort", "id"], Filters(published="unpublished", categories=("news",), min_quality=40, max_quality=90)),
    ],
)  # fmt: skip
def test_each_flag_given_with_a_view_replaces_only_its_own_filter(argv, expected):
    from curation.cli import build_parser
    from curation.query.filters import filters_from_flags

    view = Filters(published="unpublished", categories=("news",), min_quality=40, max_quality=90, sort="heat",
                   descending=True)  # fmt: skip
    args = vars(build_parser().parse_args(["export", *argv]))
    given = {name.removeprefix("filter_").replace("_", "-"): value for name, value in args.items()
             if name.startswith("filter_")}  # fmt: skip
    assert filters_from_flags(given, view) == expected


def test_saving_or_renaming_to_what_is_there_writes_nothing_and_says_so(capsys, tmp_path):
    docs = str(tmp_path)
    assert run(capsys, "views", "save", "Morning", "--published", "--docs", docs, "--editor", "ann")[0] == 0
    views = tmp_path / ".curation" / "views.json"
    before = (views.read_bytes(), views.stat().st_mtime_ns, views.stat().st_ino)
    code, out, _ = run(capsys, "views", "save", "Morning", "--published", "--docs", docs, "--editor", "bob")
    assert code == 0 and out.startswith("view Morning unchanged: it holds these filters already")
    code, out, _ = run(capsys, "views", "rename", "Morning", "Morning", "--docs", docs)
    assert code == 0 and out.startswith("view Morning unchanged: it has that name already")
    assert (views.read_bytes(), views.stat().st_mtime_ns, views.stat().st_ino) == before
    assert read_views(tmp_path).named("Morning").saved_by == "ann"
