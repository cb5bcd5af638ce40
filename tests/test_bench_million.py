"""`curation bench --million` at a small size: every row of the issue's table with a figure and a goal, as a
table and as JSON, and its corpus generated once, then reused. It never asserts on times."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from curation.bench.million import format_million_report
from curation.cli import main
from curation.demo import count_documents
from curation.loading.cache import cache_folder

pytestmark = pytest.mark.slow

MEASURES = [
    "`curation validate`, parse cache cold: wall time and peak RSS",
    "`curation validate`, parse cache warm: wall time (and peak RSS)",
    "dashboard: a new server's first open, warm cache (server start → table drawn)",
    "dashboard: a new tab afterwards",
    "filter change (published all ↔ unpublished)",
    "tick",
    "server RSS, one session; with 5 sessions",
    "export of all rows (CSV, `curation export`): wall time and peak RSS",
]
COMMAND_ROWS = [MEASURES[0], MEASURES[1], MEASURES[-1]]
FIGURES = {  # the numbers each measured row carries in the JSON
    MEASURES[0]: ("seconds", "peak_mb", "command_peak_mb"),
    MEASURES[1]: ("seconds", "peak_mb"),
    MEASURES[2]: ("seconds",),
    MEASURES[3]: ("seconds",),
    MEASURES[4]: ("seconds",),
    MEASURES[5]: ("seconds",),
    MEASURES[6]: ("one_session_mb", "five_sessions_mb"),
    MEASURES[7]: ("seconds", "peak_mb", "command_peak_mb", "bytes_written"),
}


def table_rows(text: str) -> dict[str, list[str]]:
    """The Markdown table's rows by their first cell: value, goal, mark."""
    rows = [line.strip("|").split(" | ") for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    return {cells[0].strip(): [cell.strip() for cell in cells[1:]] for cells in rows[1:]}


def assert_measured(row: dict, measure: str) -> None:
    assert row["goal"].startswith("≤") and isinstance(row["goal_met"], bool)
    assert any(character.isdigit() for character in row["value"])
    for figure in FIGURES[measure]:
        assert row[figure] > 0, (measure, figure)


def test_the_command_rows_are_measured_and_the_corpus_is_generated_once(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    arguments = ["bench", "--million", "--n", "120", "--runs", "2", "--no-browser", "--corpus", str(corpus)]
    assert main([*arguments, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["documents"] == 120 and report["generated"] and count_documents(corpus) == 120
    rows = {row["measure"]: row for row in report["rows"]}
    assert list(rows) == MEASURES
    for measure, row in rows.items():
        if measure in COMMAND_ROWS:
            assert_measured(row, measure)
        else:  # the dashboard's rows say why they hold no figure, beside their goal
            assert row["value"] == "not measured (--no-browser)" and row["goal_met"] is None
            assert row["goal"].startswith("≤")
    assert len(rows[MEASURES[1]]["runs"]) == 2

    assert main(arguments) == 0  # the same corpus again, as a table
    output = capsys.readouterr().out
    assert "120 documents in" in output and "(reused, seed 0)" in output
    table = table_rows(output)
    assert list(table) == MEASURES
    for measure, (value, goal, mark) in table.items():
        assert goal.startswith("≤")
        if measure in COMMAND_ROWS:
            assert mark in ("✓", "✗") and any(character.isdigit() for character in value)
        else:
            assert (value, mark) == ("not measured (--no-browser)", "—")


def test_a_named_corpus_of_another_size_is_refused_and_left_alone(docs: Path, capsys):
    held = count_documents(docs)
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--million", "--n", str(held + 1), "--no-browser", "--corpus", str(docs)])
    assert exit_info.value.code == 2
    assert f"holds {held:,} documents, not {held + 1:,}: pass --n {held}" in capsys.readouterr().err
    assert count_documents(docs) == held and not cache_folder(docs).exists()


def test_no_browser_goes_with_million_only(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--no-browser"])
    assert exit_info.value.code == 2


@pytest.mark.browser
def test_every_row_is_measured_with_the_dashboard(tmp_path):
    """The whole command with a real server and Chromium. Run in its own process: Playwright's sync API cannot
    start inside another one's event loop (the browser tests' session-wide browser may run in this process)."""
    from curation.bench.browser import CHROMIUM

    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}"
        if os.environ.get("CURATION_REQUIRE_BROWSER") == "1":
            pytest.fail(message + " — CURATION_REQUIRE_BROWSER=1 makes this an error")
        pytest.skip(message)
    command = [sys.executable, "-m", "curation", "bench", "--million", "--n", "120", "--runs", "2",
               "--corpus", str(tmp_path / "corpus"), "--json"]  # fmt: skip
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    rows = {row["measure"]: row for row in report["rows"]}
    assert list(rows) == MEASURES
    for measure, row in rows.items():
        assert_measured(row, measure)
    assert len(rows["tick"]["runs"]) == 2 and len(rows["dashboard: a new tab afterwards"]["runs"]) == 3
    sessions = rows["server RSS, one session; with 5 sessions"]
    assert sessions["writes_made"] == sessions["writes_landed"] == 10  # 5 sessions, 2 ticks each
    table = table_rows(format_million_report(report))
    assert list(table) == MEASURES
    assert all(goal.startswith("≤") and mark in ("✓", "✗") for _value, goal, mark in table.values())
