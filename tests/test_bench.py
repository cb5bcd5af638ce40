"""`curation bench` runs end to end and reports every step; it never asserts on times."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from curation.cli import main

pytestmark = pytest.mark.slow

STEPS = [
    "floor: read all bytes",
    "naive baseline",
    "cold load",
    "warm load",
    "after one changed file",
    "typical filter",
    "CSV export, all rows",
    "one toggle (fsync)",
    "dashboard rerun",
    "peak RSS, warm load (MB)",
    "peak RSS, cold load (MB)",
]


def test_bench_reports_every_step_as_json(capsys):
    assert main(["bench", "--n", "300", "--runs", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["documents"] == 300 and "cores" in report["machine"]
    sizes = report["document_bytes"]  # the corpus is the size of the real seed, 3,555 bytes
    assert sizes["min"] < 2500 and 3300 < sizes["mean"] < 3800 and sizes["max"] > 4500
    assert [row["step"] for row in report["results"]] == STEPS
    for row in report["results"]:
        if row["step"] == "naive baseline" and row["median"] is None:
            assert "python-frontmatter" in row["note"]  # says how to get the baseline
        else:
            assert row["median"] > 0 and row["runs"]
    assert all(
        "goal_met" in row
        for row in report["results"]
        if row["step"] in ("warm load", "after one changed file", "typical filter")
    )


def test_bench_rejects_a_tiny_corpus(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--n", "5"])
    assert exit_info.value.code == 2


BROWSER_STEPS = [
    "first open, parse cache cold, new server",
    "curation validate, parse cache cold",
    "first open, fresh browser profile, parse cache warm, new server",
    "reopen in a new tab of a browser that has opened it before",
    "Published tick until the row and the toast show it",
    "filter change until the header and the rows follow",
    "next page of the table",
    "open Charts, all drawn",
    "open Gallery, 24 cards drawn",
    "sort by a column header",
    "undo from History",
    "triage: key until the next card is drawn",
    "5 sessions at once: Published tick (p50)",
    "5 sessions at once: filter change (p50)",
    "server peak RSS (MB)",
]


@pytest.mark.browser
def test_the_browser_bench_reports_every_step():
    """`curation bench --browser` on a small corpus: real servers and Chromium; it only has to report every
    step with readings, and that the five sessions' writes all landed.

    Run as a command in its own process: Playwright's sync API cannot start inside another one's event loop
    (the browser tests' session-wide browser may be running in this process)."""
    from curation.bench.browser import CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    command = [sys.executable, "-m", "curation", "bench", "--browser", "--n", "120", "--runs", "1", "--json"]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    assert report["documents"] == 120 and report["browser"] and report["corpus_bytes"] > 0
    rows = {row["step"]: row for row in report["results"]}
    assert list(rows) == BROWSER_STEPS
    for row in rows.values():
        assert row["median"] > 0 and row["runs"]
    assert len(rows["Published tick until the row and the toast show it"]["runs"]) == 3
    assert len(rows["reopen in a new tab of a browser that has opened it before"]["runs"]) == 3
    filters = rows["filter change until the header and the rows follow"]
    assert len(filters["runs"]) >= 10  # enough for its highest reading
    without_goal = {"curation validate, parse cache cold", "sort by a column header",
                    "undo from History", "5 sessions at once: filter change (p50)"}  # fmt: skip
    assert {name for name, row in rows.items() if "goal_met" not in row} == without_goal
    sessions = rows["5 sessions at once: Published tick (p50)"]
    assert sessions["writes_made"] == len(sessions["runs"]) == sessions["writes_landed"] == sessions["writes_logged"]
    assert sessions["writes_missing"] == [] and sessions["goal_met"] and sessions["p95"] > 0
