"""`curation bench`: measure load, filter, export and toggle on a generated corpus.

Everything is measured in one session on one corpus, so ratios compare like
with like: the floor (reading every file's bytes), the naive baseline
(python-frontmatter in a loop, then a DataFrame), and this project's paths.
Times are medians of several runs. Nothing here asserts: it reports.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from curation.demo import write_demo_collection
from curation.editing.publish import set_published
from curation.loading.cache import RACY_NS, cache_folder
from curation.loading.collection import load_collection
from curation.query.export import frame_to_csv
from curation.query.filters import Filters

TYPICAL_FILTER = Filters(
    published="unpublished", categories=("news", "politics"), min_quality=50, sort="heat", descending=True
)
NO_APP = 3  # curation.bench.rerun_timing's exit status when there is no app.py to drive
# Goals at 100,000 documents (the performance issue); "x" entries are ratios.
GOALS = {
    "warm load": ("<=", 1.0),
    "after one changed file": ("<=", 0.1),  # over the warm load of the same run (GOAL_OVER)
    "cold load": ("x baseline >=", 5.0),
    "typical filter": ("<=", 0.100),
    "one toggle (fsync)": ("<=", 0.020),
    "dashboard rerun": ("<=", 0.250),
    "peak RSS, warm load (MB)": ("<=", 1024),
}
GOAL_OVER = {"after one changed file": "warm load"}  # goals counted from another step's median


@dataclass
class Measurement:
    name: str
    runs: list[float] = field(default_factory=list)
    unit: str = "s"
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs else None


def _timed(function: Callable[[], Any], runs: int, before: Callable[[int], None] | None = None) -> list[float]:
    times = []
    for number in range(runs):
        if before is not None:
            before(number)
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def read_all_bytes(folder: Path) -> int:
    total = 0
    for directory, _, names in os.walk(folder):
        if "/." in directory:
            continue
        for name in names:
            if not name.startswith("."):
                with open(os.path.join(directory, name), "rb") as handle:
                    total += len(handle.read())
    return total


def naive_baseline(folder: Path) -> pd.DataFrame:
    """What a first version would do: python-frontmatter in a loop, then a DataFrame."""
    import frontmatter

    rows = []
    for path in sorted(folder.glob("*.txt")):
        post = frontmatter.load(path)
        rows.append({"id": path.name, **post.metadata})
    return pd.DataFrame(rows)


def _drop_cache(folder: Path) -> None:
    shutil.rmtree(cache_folder(folder), ignore_errors=True)


def _peak_rss_mb(folder: Path, cold: bool) -> tuple[float, int]:
    """Peak RSS of a fresh process that loads the folder and holds the frame, and how many files it parsed."""
    if cold:
        _drop_cache(folder)
    # VmHWM, not ru_maxrss: Linux carries the parent's peak into ru_maxrss across fork and exec.
    script = (
        "import sys\n"
        "from curation.loading.collection import load_collection\n"
        "collection = load_collection(sys.argv[1])\n"
        "peak = next(line.split()[1] for line in open('/proc/self/status') if line.startswith('VmHWM'))\n"
        "print(collection.parsed, peak)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", script, str(folder)], capture_output=True, text=True, check=True
    ).stdout
    parsed, max_rss = output.split()[-2:]
    return int(max_rss) / 1024, int(parsed)  # kB


def _dashboard_reruns(folder: Path, runs: int) -> Measurement:
    """Server-side time of an Articles rerun after a filter change, through AppTest in a process of its own
    (curation.bench.rerun_timing): the library never imports streamlit."""
    step = Measurement("dashboard rerun", note="Articles page, published filter changed")
    command = [sys.executable, "-m", "curation.bench.rerun_timing", str(folder), str(runs)]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode == NO_APP:  # an installed package without the project's app.py
        step.note = finished.stderr.strip()
    elif finished.returncode != 0:
        raise RuntimeError(f"the dashboard step failed: {finished.stderr.strip()}")
    else:
        step.runs = json.loads(finished.stdout.splitlines()[-1])
    return step


def run_benchmark(count: int, runs: int, seed: int = 0, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Generate `count` documents and measure every step; returns a JSON-ready report."""
    workdir = Path(tempfile.mkdtemp(prefix="curation-bench-"))
    folder = workdir / "docs"
    results: list[Measurement] = []
    try:
        log(f"generating {count:,} documents…")
        sizes = [path.stat().st_size for path in write_demo_collection(folder, count, seed)]
        time.sleep(2.1)  # let every file age past the cache's racy window, as real files have

        log("floor: reading every file's bytes")
        results.append(Measurement("floor: read all bytes", _timed(lambda: read_all_bytes(folder), runs)))
        baseline, cold = _baseline_and_cold_runs(folder, runs, log)
        results += [baseline, cold]
        ids = sorted(path.name for path in folder.glob("*.txt"))
        results += _warm_and_changed_runs(folder, ids, max(runs, 5), log)
        frame = load_collection(folder).frame
        log("typical filter, CSV export, toggle")
        filter_runs = _timed(lambda: TYPICAL_FILTER.apply(frame), 21)
        results.append(Measurement("typical filter", filter_runs, note=TYPICAL_FILTER.describe()))
        results.append(Measurement("CSV export, all rows", _timed(lambda: frame_to_csv(frame), runs)))
        published = dict(frame["published"])
        toggles = [_toggle_once(folder, ids[number * 11], not published[ids[number * 11]]) for number in range(21)]
        results.append(Measurement("one toggle (fsync)", toggles, note="lock, re-read, edit, verify, replace, audit"))
        log("dashboard reruns (AppTest)")
        results.append(_dashboard_reruns(folder, 9))
        log("peak RSS in fresh processes")
        for label, cold in (("warm", False), ("cold", True)):
            rss, parsed = _peak_rss_mb(folder, cold)
            note = f"a fresh process; it parsed {parsed:,} files" + ("; workers not counted" if cold else "")
            results.append(Measurement(f"peak RSS, {label} load (MB)", [rss], unit="MB", note=note))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return _report(count, runs, seed, results, sizes)


def _baseline_and_cold_runs(folder: Path, runs: int, log: Callable[[str], None]) -> tuple[Measurement, Measurement]:
    """The naive baseline and the cold load, run by turns: a change in the machine's load hits both alike."""
    try:
        import frontmatter  # noqa: F401
    except ImportError:
        baseline = Measurement("naive baseline", note="python-frontmatter not installed: pip install -e '.[bench]'")
    else:
        baseline = Measurement("naive baseline")
    cold = Measurement("cold load")
    for number in range(runs):
        if baseline.note == "":
            log(f"naive baseline: python-frontmatter loop + DataFrame ({number + 1} of {runs})")
            baseline.runs += _timed(lambda: naive_baseline(folder), 1)
        log(f"cold load: no cache, every core ({number + 1} of {runs})")
        cold.runs += _timed(lambda: load_collection(folder), 1, lambda _: _drop_cache(folder))
    return baseline, cold


def _warm_and_changed_runs(folder: Path, ids: list[str], runs: int, log: Callable[[str], None]) -> list[Measurement]:
    """The warm load and the load after one changed file, by turns, so the machine's load hits both alike.

    Each pair starts warm: after the changed load, the cache is refreshed once the edit is older than
    the cache's racy window (a load alone would keep parsing that file until 200 have changed).
    """
    warm, changed = Measurement("warm load"), Measurement("after one changed file")
    for number in range(runs):
        log(f"warm load, then one changed file ({number + 1} of {runs})")
        warm.runs += _timed(lambda: _load_parsing(folder, 0), 1)
        with (folder / ids[number * 7]).open("a", encoding="utf-8") as handle:
            handle.write("\nA line added to the body.\n")
        changed.runs += _timed(lambda: _load_parsing(folder, 1), 1)
        time.sleep(RACY_NS / 1e9 + 0.1)
        load_collection(folder, refresh_cache=True)
    return [warm, changed]


def _load_parsing(folder: Path, expected: int) -> None:
    """A load that must have parsed `expected` files: otherwise the step measured something else."""
    parsed = load_collection(folder).parsed
    if parsed != expected:
        raise RuntimeError(f"the benchmark's load parsed {parsed} files where {expected} were expected")


def _toggle_once(folder: Path, doc_id: str, value: bool) -> float:
    start = time.perf_counter()
    set_published(folder, doc_id, value, editor="bench")
    return time.perf_counter() - start


def machine_line() -> str:
    import yaml

    libyaml = "libyaml" if getattr(yaml, "__with_libyaml__", False) else "pure-Python YAML"
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"pandas {pd.__version__}, PyYAML {yaml.__version__} ({libyaml})"
    )


def _report(count: int, runs: int, seed: int, results: list[Measurement], sizes: list[int]) -> dict[str, Any]:
    by_name = {measurement.name: measurement for measurement in results}
    baseline = by_name["naive baseline"].median
    floor = by_name["floor: read all bytes"].median
    rows = []
    for measurement in results:
        median = measurement.median
        row: dict[str, Any] = {"step": measurement.name, "median": median, "unit": measurement.unit,
                               "runs": measurement.runs, "note": measurement.note}  # fmt: skip
        if median is not None and measurement.unit == "s":
            row["vs_baseline"] = baseline / median if baseline else None
            row["vs_floor"] = median / floor if floor else None
        goal = GOALS.get(measurement.name)
        if goal and median is not None:
            kind, target = goal
            value = row.get("vs_baseline") if kind.startswith("x") else median
            over = GOAL_OVER.get(measurement.name)
            if over is not None:
                base = by_name[over].median if over in by_name else None
                value = None if base is None else median - base
                kind = f"{kind} {over} +"
            row["goal"] = f"{kind} {target}"
            row["goal_met"] = None if value is None else (value >= target if ">=" in kind else value <= target)
        rows.append(row)
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    document_bytes = {"mean": statistics.fmean(sizes), "min": min(sizes), "max": max(sizes)}
    return {"documents": count, "runs": runs, "seed": seed, "machine": machine_line(), "results": rows,
            "document_bytes": document_bytes, "bench_process_peak_rss_mb": max_rss}  # fmt: skip


def format_report(report: dict[str, Any]) -> str:
    """The report as a Markdown table."""
    lines = [
        f"{report['documents']:,} documents (demo generator, seed {report['seed']}), medians of {report['runs']}+ runs",
        "document size: mean {mean:,.0f} bytes, from {min:,} to {max:,} (the real seed: 3,555)".format(
            **report["document_bytes"]
        ),
        f"machine: {report['machine']}",
        "",
        "| step | median | × faster than baseline | × the floor | goal at 100k |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for row in report["results"]:
        median = row["median"]
        if median is None:
            shown = "—"
        elif row["unit"] == "MB":
            shown = f"{median:,.0f} MB"
        elif median < 1:
            shown = f"{median * 1000:,.1f} ms"
        else:
            shown = f"{median:,.2f} s"
        faster = f"{row['vs_baseline']:.1f}×" if row.get("vs_baseline") else ""
        floor = f"{row['vs_floor']:.2f}×" if row.get("vs_floor") else ""
        goal = row.get("goal", "")
        if goal:
            goal += " ✓" if row.get("goal_met") else " ✗"
        name = row["step"] + (f" ({row['note']})" if row["note"] else "")
        lines.append(f"| {name} | {shown} | {faster} | {floor} | {goal} |")
    return "\n".join(lines)


def dump(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=1, ensure_ascii=False)
