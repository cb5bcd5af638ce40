"""`curation bench --million`: the table of the issue "One million documents on one machine", in one run.

It reuses a generated corpus when one of the right size is there (generating a million documents takes about
two minutes and 5 GB), then measures in this order, each as an editor or a script would meet it:

1. `curation validate` with no parse cache: wall time, and the memory of the command and of its parse workers;
2. `curation validate` with the cache warm, R times: the median;
3. a new `streamlit run` server in Chromium: its first open (from the server's start until the table is
   drawn), Published ticks and filter changes by one editor (the server's memory polled meanwhile: one
   session), new tabs afterwards, then five editors at once (polled again) — the steps of `curation bench
   --browser` (curation.bench.browser), fewer of each;
4. `curation export` of every row as CSV to a file: wall time and memory.

Each row is reported beside its goal. Nothing here asserts, and nothing loads the collection in this process
(it would only inflate the machine's memory while the commands are measured).
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.bench.browser import (
    ROWS_PER_PAGE,
    SESSIONS,
    VALIDATE_OK,
    VIEWPORT,
    EditorCounts,
    chromium,
    dashboard_server,
    drop_parse_cache,
    editor_plan,
    local_page,
    run_plan,
    sessions_steps,
    shown_figure,
)
from curation.bench.library import machine_line
from curation.bench.measured_command import CommandRun, run_curation
from curation.bench.server import PeakMemory
from curation.cli import UsageError
from curation.demo import count_documents
from curation.loading.cache import RACY_NS

MILLION = 1_000_000
DEFAULT_RUNS = 5  # warm validates, ticks, filter changes, ticks and filter changes of each of the 5 sessions
NEW_TABS = 3
GB = 1024  # MB (MiB, as /proc counts)
# The goals.
VALIDATE_COLD_SECONDS, VALIDATE_COLD_MB = 75.0, 3 * GB
VALIDATE_WARM_SECONDS = 3.0
FIRST_OPEN_SECONDS = 8.0
NEW_TAB_SECONDS = 1.5
FILTER_SECONDS = 0.25
TICK_SECONDS = 0.15
ONE_SESSION_MB, FIVE_SESSIONS_MB = 2 * GB, 2.5 * GB
EXPORT_SECONDS = 30.0
# "Constant memory": an export may hold the collection, as a warm validate does, and a chunk of rows beside it,
# never all the rows again as text.
EXPORT_SLACK_MB = 256


def default_corpus(count: int, seed: int) -> Path:
    """Where the generated corpus is kept between runs, named for its size (and its seed, if not 0)."""
    return Path(tempfile.gettempdir()) / (f"curation-bench-{count}" + (f"-seed{seed}" if seed else ""))


def ensure_corpus(folder: Path, count: int, seed: int, *, ours: bool, log: Callable[[str], None]) -> bool:
    """Generate `count` demo documents in `folder` unless it holds that many already; True when it generated.

    A folder the caller named (`ours` false) that holds another number of documents is refused, never
    emptied; the default folder is emptied and generated again (a run cut short leaves fewer)."""
    held = count_documents(folder) if folder.is_dir() else 0
    if held == count:
        log(f"reusing the {count:,} documents in {folder}")
        return False
    if held and not ours:
        raise UsageError(
            f"{folder} holds {held:,} documents, not {count:,}: pass --n {held} to measure them, or another --corpus"
        )
    if held:
        log(f"{folder} holds {held:,} documents, not {count:,}: generating it again")
        shutil.rmtree(folder)
    log(f"generating {count:,} documents into {folder} (about 2 minutes and 5 GB at 1,000,000)…")
    run_curation(["demo", "--n", str(count), "--out", str(folder), "--seed", str(seed)])
    time.sleep(RACY_NS / 1e9 + 0.1)  # the cache trusts a file only once it is older than its racy window
    return True


@dataclass
class Row:
    """One row of the table: what was measured, as shown, beside the goal; `met` is None when not measured."""

    measure: str
    value: str
    goal: str
    met: bool | None
    figures: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "value": self.value, "goal": self.goal, "goal_met": self.met, **self.figures}


def _seconds(value: float) -> str:
    return shown_figure(value, "s")


def _spread(runs: list[float]) -> str:
    """`median (median of N, min – max)`, or the one reading."""
    if len(runs) == 1:
        return _seconds(runs[0])
    return f"{_seconds(statistics.median(runs))} (median of {len(runs)}, {_seconds(min(runs))} – {_seconds(max(runs))})"


def _command_figures(run: CommandRun) -> dict[str, Any]:
    return {"seconds": run.seconds, "peak_mb": run.peak_mb, "command_peak_mb": run.main_peak_mb,
            "workers": run.workers, "workers_peak_mb": run.workers_peak_mb}  # fmt: skip


def validate_rows(folder: Path, runs: int, log: Callable[[str], None]) -> list[Row]:
    """`curation validate` on no parse cache, then `runs` times on the cache it wrote."""
    arguments = ["validate", "--docs", str(folder)]
    log("curation validate, parse cache cold…")
    drop_parse_cache(folder)
    cold = run_curation(arguments, ok_codes=VALIDATE_OK)
    warm = []
    for number in range(runs):
        log(f"curation validate, parse cache warm ({number + 1} of {runs})…")
        warm.append(run_curation(arguments, ok_codes=VALIDATE_OK))
    warm_seconds = [run.seconds for run in warm]
    warm_peak = max(run.peak_mb for run in warm)
    return [
        Row("`curation validate`, parse cache cold: wall time and peak RSS",
            f"{_seconds(cold.seconds)}; {cold.describe_memory()}",
            f"≤ {VALIDATE_COLD_SECONDS:.0f} s, ≤ {VALIDATE_COLD_MB / GB:.0f} GB at once",
            cold.seconds <= VALIDATE_COLD_SECONDS and cold.peak_mb <= VALIDATE_COLD_MB, _command_figures(cold)),
        Row("`curation validate`, parse cache warm: wall time (and peak RSS)",
            f"{_spread(warm_seconds)}; highest {warm_peak:,.0f} MB",
            f"≤ {_seconds(VALIDATE_WARM_SECONDS)}", statistics.median(warm_seconds) <= VALIDATE_WARM_SECONDS,
            {"seconds": statistics.median(warm_seconds), "runs": warm_seconds, "peak_mb": warm_peak,
             "workers": max(run.workers for run in warm)}),
    ]  # fmt: skip


DASHBOARD_MEASURES = (
    ("first open", "dashboard: a new server's first open, warm cache (server start → table drawn)",
     FIRST_OPEN_SECONDS),
    ("reopen", "dashboard: a new tab afterwards", NEW_TAB_SECONDS),
    ("filter", "filter change (published all ↔ unpublished)", FILTER_SECONDS),
    ("tick", "tick", TICK_SECONDS),
)  # fmt: skip
MEMORY_MEASURE = "server RSS, one session; with 5 sessions"
MEMORY_GOAL = f"≤ {ONE_SESSION_MB / GB:g} GB; ≤ {FIVE_SESSIONS_MB / GB:g} GB"


def dashboard_rows(folder: Path, count: int, runs: int, log: Callable[[str], None]) -> list[Row]:
    """A new server on the warm cache, in Chromium: one editor, then new tabs, then five editors at once."""
    workdir = Path(tempfile.mkdtemp(prefix="curation-bench-million-"))
    try:
        log(f"starting streamlit run on {count:,} documents…")
        with dashboard_server(folder, workdir / "streamlit.log") as server:
            with chromium() as browser:
                context = browser.new_context(viewport=VIEWPORT)
                counts = EditorCounts(ticks=min(runs, ROWS_PER_PAGE), filters=runs, readings=runs, reopens=NEW_TABS)
                plan = editor_plan(context, local_page(context), server.url, folder, count, counts,
                                   opened_since=server.started)  # fmt: skip
                with PeakMemory(server.pid) as one_session:
                    steps = run_plan(plan, ("first open", "tick", "filter"), log)
                steps += run_plan(plan, ("reopen",), log)
                context.close()
            with PeakMemory(server.pid) as five_sessions:
                sessions = sessions_steps(server.url, folder, runs, log)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    by_key = dict(zip(("first open", "tick", "filter", "reopen"), steps, strict=True))
    rows = []
    for key, measure, goal in DASHBOARD_MEASURES:
        step = by_key[key]
        rows.append(Row(measure, _spread(step.runs), f"≤ {_seconds(goal)}", step.median <= goal,
                        {"seconds": step.median, "runs": step.runs}))  # fmt: skip
    writes = sessions[0].facts
    rows.append(Row(
        MEMORY_MEASURE,
        f"{one_session.peak_mb:,.0f} MB; {five_sessions.peak_mb:,.0f} MB"
        + ("" if writes["writes_landed"] == writes["writes_made"]
           else f" (only {writes['writes_landed']} of the sessions' {writes['writes_made']} writes landed)"),
        MEMORY_GOAL,
        one_session.peak_mb <= ONE_SESSION_MB and five_sessions.peak_mb <= FIVE_SESSIONS_MB,
        {"one_session_mb": one_session.peak_mb, "five_sessions_mb": five_sessions.peak_mb,
         "sessions_tick_p50": sessions[0].median, "sessions_filter_p50": sessions[1].median,
         "writes_made": writes["writes_made"], "writes_landed": writes["writes_landed"]},
    ))  # fmt: skip
    return rows


def dashboard_not_measured(reason: str) -> list[Row]:
    rows = [Row(measure, f"not measured ({reason})", f"≤ {_seconds(goal)}", None) for _, measure, goal in
            DASHBOARD_MEASURES]  # fmt: skip
    return [*rows, Row(MEMORY_MEASURE, f"not measured ({reason})", MEMORY_GOAL, None)]


def export_row(folder: Path, warm_peak_mb: float, log: Callable[[str], None]) -> Row:
    """`curation export` of every row as CSV into a file of a temporary folder (deleted afterwards)."""
    log("curation export, every row as CSV…")
    with tempfile.TemporaryDirectory(prefix="curation-bench-export-") as out:
        target = Path(out) / "all.csv"
        run = run_curation(["export", "--docs", str(folder), "-o", str(target)])
        written = target.stat().st_size
    limit = warm_peak_mb + EXPORT_SLACK_MB
    return Row(
        "export of all rows (CSV, `curation export`): wall time and peak RSS",
        f"{_seconds(run.seconds)}; {run.describe_memory()}; {written / 1e6:,.1f} MB written",
        f"≤ {EXPORT_SECONDS:.0f} s, constant memory (≤ warm validate's {warm_peak_mb:,.0f} + {EXPORT_SLACK_MB} MB)",
        run.seconds <= EXPORT_SECONDS and run.peak_mb <= limit,
        {**_command_figures(run), "bytes_written": written},
    )


def run_million_benchmark(
    count: int = MILLION,
    runs: int = DEFAULT_RUNS,
    seed: int = 0,
    *,
    corpus: Path | None = None,
    browser: bool = True,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Every row of the issue's table on `count` documents in `corpus` (default: default_corpus), generated
    there first unless it holds them. The corpus is written to (ticks) and its parse cache deleted."""
    folder = corpus if corpus is not None else default_corpus(count, seed)
    generated = ensure_corpus(folder, count, seed, ours=corpus is None, log=log)
    load_before = os.getloadavg()[0]
    rows = validate_rows(folder, runs, log)
    rows += dashboard_rows(folder, count, runs, log) if browser else dashboard_not_measured("--no-browser")
    rows.append(export_row(folder, rows[1].figures["peak_mb"], log))
    return {
        "documents": count, "corpus": str(folder), "generated": generated, "runs": runs, "seed": seed,
        "machine": machine_line(), "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "rows": [row.to_dict() for row in rows],
    }  # fmt: skip


def _mark(met: bool | None) -> str:
    return "—" if met is None else ("✓" if met else "✗")


def format_million_report(report: dict[str, Any]) -> str:
    """The report as the issue's Markdown table: value, goal, and whether it is met."""
    lines = [
        f"{report['documents']:,} documents in {report['corpus']} ({'generated' if report['generated'] else 'reused'}"
        f", seed {report['seed']}), runs {report['runs']}",
        f"machine: {report['machine']}; 1-minute load average {report['load_average'][0]} before, "
        f"{report['load_average'][1]} after",
        "",
        "| | value | goal | |",
        "| --- | --- | --- | :---: |",
    ]
    lines += [f"| {row['measure']} | {row['value']} | {row['goal']} | {_mark(row['goal_met'])} |" for row in
              report["rows"]]  # fmt: skip
    lines += [
        "",
        "Peak RSS \"at once\" is the command's and its parse workers' VmRSS summed, polled every 100 ms; the "
        "command's own figure is its VmHWM; the workers' is their VmHWM summed (shared pages count once each). "
        f"Server RSS: its processes, polled through the first open, ticks and filter changes (one session; the "
        f"new tabs come after), then through the {SESSIONS} sessions at once (the closed tabs' sessions may still "
        "be held).",
    ]
    return "\n".join(lines)
