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
    assert all("goal_met" in row for row in report["results"] if row["step"] in ("warm load", "typical filter"))


def test_bench_rejects_a_tiny_corpus(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--n", "5"])
    assert exit_info.value.code == 2


BROWSER_STEPS = [
    "first open (parse cache warm, new server)",
    "Published tick until the row and the toast show it",
    "filter change until the header follows",
    "next page of the table",
]


@pytest.mark.browser
def test_the_browser_bench_reports_every_step():
    """`curation bench --browser` on a small corpus: a real server and Chromium; it only has to report.

    Run as a command in its own process: Playwright's sync API cannot start inside another one's event loop
    (the browser tests' session-wide browser may be running in this process)."""
    from curation.bench_browser import CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    command = [sys.executable, "-m", "curation", "bench", "--browser", "--n", "120", "--runs", "3", "--json"]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    assert report["documents"] == 120 and report["browser"]
    assert [row["step"] for row in report["results"]] == BROWSER_STEPS
    for row in report["results"]:
        assert row["median"] > 0 and row["runs"]
    tick = report["results"][1]
    assert len(tick["runs"]) == 3 and "goal_met" in tick
