"""`curation bench --docs s3://bucket/prefix`: measure listing, loads, the index build and a toggle on S3.

The documents are generated (the demo generator), put under a new prefix
below the one given (`…/curation-bench-<hex>/`), measured, and deleted
afterwards; this host's cache goes to a temp folder. Times are medians.
Nothing here asserts on times: it reports. `python -m curation.bench.s3 --moto`
runs it against a moto server started for the purpose (`make bench-s3`), in
a process of its own, so the server's CPU is never counted as the client's.

The loads (cold, warm, after one changed object) each run as a new
`curation validate` process, beside the naive baseline (one boto3 client,
one GET after another, each parsed) in a new process too: for each, the
wall time and the client CPU per object, the user + system time of that
process and the processes it waited for (its parse workers), from
`getrusage(RUSAGE_CHILDREN)`.

The benchmark's own setup (PUT, change, delete) and the baseline use a boto3
client of their own: the store is used only through its public surface.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import os
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import curation
from curation.audit import new_entry
from curation.bench.delayed_link import DelayedLink
from curation.bench.library import Measurement, _timed, dump, machine_line
from curation.cli import main as cli_main
from curation.demo import write_demo_collection
from curation.documents import sha256_of
from curation.editing.publish import published_edit, set_published
from curation.loading.cache import CACHE_DIR_ENV
from curation.loading.index_build import build_index
from curation.loading.objects import (
    PROBLEMS_NAME,
    ROWS_NAME,
    build_collection,
    cache_bytes,
    local_cache_folder,
)
from curation.store import s3 as s3_store
from curation.store.folder import STATE_DIR
from curation.store.s3 import AUDIT_PACK, CONCURRENCY, S3Location, S3Store
from curation.store.shared_state import KEY_ENV as SHARED_KEY_ENV

BASELINE = "baseline: boto3 loop, one GET after another"
COLD = "cold load (`curation validate`)"
WARM = "warm load (`curation validate`)"
CHANGED = "after one changed object (`curation validate`)"
CHANGED_IN_PROCESS = "load after one changed object"
COLD_CPU_GOAL_MS = 0.6  # client CPU per object, parse included
COLD_WALL_GOAL = 3.0  # times less wall time than the baseline
_PACKAGE_ROOT = str(Path(curation.__file__).resolve().parents[1])

# The naive baseline as a user would write it. It runs as `python -c` so that its process imports boto3 and
# the parser only (not this module's pandas): the baseline is not charged for our imports.
BASELINE_LOOP = """
import json, sys
import boto3
from curation.documents import read_article

bucket, _, prefix = sys.argv[1].removeprefix("s3://").partition("/")
base = prefix + "/" if prefix else ""
client = boto3.client("s3")
parsed = 0
for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base):
    for item in page.get("Contents", ()):
        doc_id = item["Key"][len(base):]
        if not doc_id.startswith("."):
            read_article(client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read(), doc_id)
            parsed += 1
print(json.dumps({"documents": parsed}))
"""


@dataclass
class ProcessMeasurement(Measurement):
    """A step run as new processes: wall times (`runs`) and each run's client CPU per object, in seconds."""

    cpu_per_object: list[float] = field(default_factory=list)

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu_per_object) if self.cpu_per_object else None


@dataclass(frozen=True)
class ChildRun:
    """One new process, run to its end: its wall time, its CPU and its standard output."""

    wall: float
    cpu: float  # user + system seconds of the process and of the processes it waited for
    stdout: str


def run_s3_benchmark(
    location: str,
    count: int,
    runs: int,
    seed: int = 0,
    *,
    scheduler: str | None = None,
    audit_entries: int | None = None,
    only_history: bool = False,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Put `count` generated documents under a new prefix below `location`, measure every step, delete them.

    History and undo are measured on `audit_entries` logged changes (as many as documents unless given);
    `only_history` skips the loads and the index build.
    """
    base = S3Location.parse(location)
    run = S3Store(f"{base.url()}/curation-bench-{secrets.token_hex(4)}")
    run.check()
    workdir = Path(tempfile.mkdtemp(prefix="curation-bench-s3-"))
    previous_cache = os.environ.get(CACHE_DIR_ENV)
    os.environ[CACHE_DIR_ENV] = str(workdir / "host-cache")
    # The shared caches are signed with the hosts' key (curation.store.shared_state): a run without one gets its own.
    own_key = not os.environ.get(SHARED_KEY_ENV)
    if own_key:
        os.environ[SHARED_KEY_ENV] = secrets.token_hex(32)
    results: list[Measurement] = []
    facts: dict[str, Any] = {"location": run.name}
    client = _setup_client()
    try:
        log(f"generating {count:,} documents and putting them under {run.name}…")
        write_demo_collection(workdir / "docs", count, seed)
        files = sorted((workdir / "docs").glob("*.txt"))
        start = time.perf_counter()
        _put_all(client, run, files)
        results.append(
            Measurement("setup: PUT every object", [time.perf_counter() - start], note=f"{CONCURRENCY} at a time")
        )
        local = local_cache_folder(run)
        ids = [path.name for path in files]
        if only_history:
            results.extend(
                _history_steps(client, run, ids, count if audit_entries is None else audit_entries, runs, log)
            )
            return _report(count, runs, seed, facts, results)

        log("listing")
        listing = run.list_documents()
        facts["list_requests"] = listing.requests
        results.append(
            Measurement(
                "list the prefix", _timed(run.list_documents, max(runs, 5)), note=f"{listing.requests} LIST requests"
            )
        )

        log("floor: GET every object")
        results.append(
            Measurement(
                "floor: GET every object", _timed(lambda: _get_all(run, listing.ids), runs),
                note=f"{CONCURRENCY} at a time from one process, no parsing: what the server gives",
            )
        )  # fmt: skip

        results.extend(_load_steps(client, run, workdir / "docs", ids, runs, log))
        facts["local_cache_bytes"] = cache_bytes(local)

        log("one toggle")
        toggles = [_toggle_once(run, ids[number * 11 % len(ids)]) for number in range(21)]
        results.append(
            Measurement("one toggle", toggles, note="GET, sha check, edit, audit PUT (If-None-Match), PUT (If-Match)")
        )

        results.extend(_history_steps(client, run, ids, count if audit_entries is None else audit_entries, runs, log))
        results.extend(_dask_steps(client, run, count, runs, scheduler, local, log, facts))
    finally:
        log("deleting the benchmark's objects")
        _delete_prefix(client, run)
        shutil.rmtree(workdir, ignore_errors=True)
        if own_key:
            os.environ.pop(SHARED_KEY_ENV, None)
        if previous_cache is None:
            os.environ.pop(CACHE_DIR_ENV, None)
        else:
            os.environ[CACHE_DIR_ENV] = previous_cache
    return _report(count, runs, seed, facts, results)


def _load_steps(
    client: Any, run: S3Store, docs: Path, ids: list[str], runs: int, log: Callable[[str], None]
) -> list[Measurement]:
    """The baseline, then `curation validate` cold, warm and after one changed object, each in new processes;
    then the load after one changed object in this process, which must fetch exactly that object."""
    count = len(ids)
    local = local_cache_folder(run)
    validate = [sys.executable, "-m", "curation", "validate", "--json", "--docs", run.name]
    changes = itertools.count()

    def change_one(_: int) -> None:
        doc_id = ids[next(changes) * 7 % count]
        raw = (docs / doc_id).read_bytes() + f"\nA line added to the body ({secrets.token_hex(4)}).\n".encode()
        client.put_object(Bucket=run.location.bucket, Key=run.location.key(doc_id), Body=raw)

    def cold_host(_: int) -> None:
        shutil.rmtree(local, ignore_errors=True)

    log("baseline: the boto3 loop")
    baseline = _process_runs(
        BASELINE, [sys.executable, "-c", BASELINE_LOOP, run.name], count, runs,
        note="1 boto3 client: list, then GET, read and parse (read_article) each object in turn",
    )  # fmt: skip
    log("cold load")
    cold = _process_runs(COLD, validate, count, runs, cold_host, note="this host's cache removed")
    log("warm load")
    warm = _process_runs(WARM, validate, count, runs, note="nothing changed")
    log("load after one changed object")
    changed = _process_runs(CHANGED, validate, count, runs, change_one, note="one object PUT before each run")
    in_process = _timed(lambda: _check_load(run, fetched=1), max(runs, 5), change_one)
    return [
        baseline, cold, warm, changed,
        Measurement(CHANGED_IN_PROCESS, in_process, note="in this process; checked: fetches exactly 1 object"),
    ]  # fmt: skip


def _process_runs(
    name: str, argv: list[str], count: int, runs: int, before: Callable[[int], None] | None = None, note: str = ""
) -> ProcessMeasurement:
    """`runs` new processes of `argv`, each of which must report `count` documents."""
    measurement = ProcessMeasurement(name, note=note)
    for number in range(runs):
        if before is not None:
            before(number)
        child = run_child(argv)
        documents = json.loads(child.stdout)["documents"]
        if documents != count:
            raise RuntimeError(f"`{' '.join(argv[:4])}…` read {documents} documents, not {count}")
        measurement.runs.append(child.wall)
        measurement.cpu_per_object.append(child.cpu / count)
    return measurement


def run_child(argv: list[str]) -> ChildRun:
    """Run a new process to its end, importing this curation; RuntimeError when it fails."""
    # RUSAGE_CHILDREN grows by a child's CPU (and by its waited-for children's) when it is waited for:
    # the delta is this one process, its parse workers included. The moto server is never waited for here.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    finished = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if finished.returncode != 0:
        raise RuntimeError(f"`{' '.join(argv[:4])}…` exited with {finished.returncode}: {finished.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return ChildRun(wall, cpu, finished.stdout)


def _report(count: int, runs: int, seed: int, facts: dict[str, Any], results: list[Measurement]) -> dict[str, Any]:
    return {
        "documents": count,
        "runs": runs,
        "seed": seed,
        "machine": machine_line(),
        "endpoint": os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or "AWS S3",
        **facts,
        "results": [
            {"step": m.name, "median": m.median, "unit": m.unit, "runs": m.runs, "note": m.note} for m in results
        ],
        "loads": _load_rows(results),
    }


def _load_rows(results: list[Measurement]) -> list[dict[str, Any]]:
    """The steps run as new processes, with their client CPU per object and their ratios to the baseline."""
    measured = [m for m in results if isinstance(m, ProcessMeasurement)]
    baseline = next((m for m in measured if m.name == BASELINE), None)
    rows = []
    for m in measured:
        cpu = m.cpu_median
        row: dict[str, Any] = {"step": m.name, "wall_median": m.median, "cpu_ms_per_object": cpu * 1000,
                               "cpu_ms_per_object_runs": [value * 1000 for value in m.cpu_per_object]}  # fmt: skip
        if baseline is not None:
            row["wall_ratio"] = baseline.median / m.median  # how many times less wall time than the baseline
            row["cpu_ratio"] = baseline.cpu_median / cpu  # how many times less client CPU per object
        row["goals"] = _goals(m.name, row)
        rows.append(row)
    return rows


def _goals(step: str, row: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's goals for a load, each with whether this run met it (None: checked elsewhere, or no baseline)."""
    if step == COLD:
        wall_ratio = row.get("wall_ratio")
        return [
            {"goal": f"≤ {COLD_CPU_GOAL_MS} ms client CPU per object",
             "met": row["cpu_ms_per_object"] <= COLD_CPU_GOAL_MS},
            {"goal": f"≥ {COLD_WALL_GOAL:g}× less wall time than the baseline",
             "met": None if wall_ratio is None else wall_ratio >= COLD_WALL_GOAL},
        ]  # fmt: skip
    if step == CHANGED:
        # A wrong count stops the run (_check_load), so a report that exists says it was met.
        return [{"goal": "fetches exactly 1 object (in-process check)", "met": True}]
    return []


def _history_steps(
    client: Any, run: S3Store, ids: list[str], entries: int, runs: int, log: Callable[[str], None]
) -> list[Measurement]:
    """`history --limit 1` and `undo --last 1` on a log of `entries` changes, each as a new process would."""
    log(f"logging {entries:,} changes (toggles, 10 per document)")
    start = time.perf_counter()
    _log_toggles(client, run, ids[: max(entries // 10, 1)], entries)
    setup = Measurement("setup: log the changes", [time.perf_counter() - start], note=f"{entries:,} audit entries")

    def new_process(_: int) -> None:
        # A new process has read no entry yet, nor a pack.
        s3_store._audit_cache.clear()
        s3_store._packs.clear()

    def first_reader(number: int) -> None:
        new_process(number)
        client.delete_object(Bucket=run.location.bucket, Key=_state_key(run, AUDIT_PACK))

    history = ["history", "--limit", "1", "--docs", run.name]
    log("history --limit 1")
    first = _timed(lambda: _cli(history), 1, first_reader)
    shown = _timed(lambda: _cli(history), max(runs, 5), new_process)
    log("undo --last 1")
    undo = _timed(lambda: _cli(["undo", "--last", "1", "--docs", run.name]), max(runs, 5), new_process)
    return [
        setup,
        Measurement(f"history --limit 1, {entries:,} entries, first reader", first, note="no pack yet"),
        Measurement(f"history --limit 1, {entries:,} entries", shown, note="a new process each run"),
        Measurement(f"undo --last 1, {entries:,} entries", undo, note="a new process each run"),
    ]


def _log_toggles(client: Any, run: S3Store, doc_ids: list[str], entries: int) -> None:
    """`entries` logged toggles of the published flag, round by round over the documents, as writers left them
    a day ago."""
    first_ns = time.time_ns() - 24 * 3600 * 1_000_000_000
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        now = dict(zip(doc_ids, pool.map(run.read, doc_ids), strict=True))
        for first in range(0, entries, len(doc_ids)):  # a round after the other: each document's entries in order
            numbers = range(first, min(first + len(doc_ids), entries))
            list(pool.map(lambda n: _log_toggle(run, doc_ids[n % len(doc_ids)], now, first_ns + n * 1000), numbers))
        list(pool.map(lambda doc_id: client.put_object(
            Bucket=run.location.bucket, Key=run.location.key(doc_id), Body=now[doc_id]
        ), doc_ids))  # fmt: skip


def _log_toggle(run: S3Store, doc_id: str, now: dict[str, bytes], written_ns: int) -> None:
    before = now[doc_id]
    value = b"\npublished: true" not in before
    after = published_edit(before, value, doc_id).raw
    run.append_audit(
        new_entry(editor="bench", id=doc_id, field="published", old=not value, new=value,
                  sha_before=sha256_of(before), sha_after=sha256_of(after)),
        written_ns,
    )  # fmt: skip
    now[doc_id] = after


def _cli(argv: list[str]) -> None:
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        code = cli_main(argv)
    if code != 0:
        raise RuntimeError(f"`curation {' '.join(argv)}` exited with {code}")


def _check_load(store: S3Store, *, fetched: int, **options: Any) -> None:
    load = build_collection(store.name, **options)
    if load.fetched != fetched:
        raise RuntimeError(f"expected to fetch {fetched} objects, fetched {load.fetched}")


def _toggle_once(store: S3Store, doc_id: str) -> float:
    raw = store.read(doc_id)
    value = b"\npublished: true" not in raw
    start = time.perf_counter()
    set_published(store.name, doc_id, value, expected_sha=sha256_of(raw), editor="bench")
    return time.perf_counter() - start


def _dask_steps(
    client: Any,
    run: S3Store,
    count: int,
    runs: int,
    scheduler: str | None,
    local: Path,
    log: Callable[[str], None],
    facts: dict,
) -> list[Measurement]:
    """The index build on Dask (a LocalCluster of 2 worker processes unless a scheduler is given)."""
    try:
        from distributed import LocalCluster
    except ImportError:
        return [Measurement("cold index build, Dask", note="Dask is not installed: pip install -e '.[dask]'")]
    results = []
    cluster = None
    if scheduler is None:
        log("starting a Dask LocalCluster (2 worker processes)")
        start = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        results.append(
            Measurement("setup: start a LocalCluster", [time.perf_counter() - start], note="2 worker processes")
        )
        scheduler = cluster.scheduler_address
    try:

        def cold_state(_: int) -> None:
            shutil.rmtree(local, ignore_errors=True)
            for name in (ROWS_NAME, PROBLEMS_NAME):
                client.delete_object(Bucket=run.location.bucket, Key=_state_key(run, f"cache/{name}"))

        log("cold index build on Dask")
        where = "LocalCluster, 2 worker processes" if cluster else scheduler

        def build() -> None:
            report = build_index(run.name, scheduler=scheduler)
            if report.parsed != count:
                raise RuntimeError(f"expected to parse {count}, parsed {report.parsed}")

        results.append(
            Measurement("cold index build, Dask", _timed(build, runs, cold_state), note=f"{where}; writes both caches")
        )
    finally:
        if cluster is not None:
            cluster.close()
    facts["shared_cache_bytes"] = sum(
        _object_bytes(client, run, _state_key(run, f"cache/{name}")) for name in (ROWS_NAME, PROBLEMS_NAME)
    )  # as stored: signed
    log("a new host starting from the shared cache")
    results.append(
        Measurement(
            "new host, from the shared cache",
            _timed(lambda: _check_load(run, fetched=0), runs, lambda _: shutil.rmtree(local, ignore_errors=True)),
            note="list, GET the cache, check every ETag",
        )
    )
    return results


def _setup_client() -> Any:
    """The benchmark's own boto3 client (the AWS_* settings configure it), for what it sets up and tears down."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(max_pool_connections=CONCURRENCY))


def _state_key(store: S3Store, name: str) -> str:
    """The key of an object under `<prefix>/.curation/`, where the store keeps its shared state."""
    return store.location.key(f"{STATE_DIR}/{name}")


def _object_bytes(client: Any, store: S3Store, key: str) -> int:
    """An object's size, 0 when there is none."""
    from botocore.exceptions import ClientError

    try:
        return int(client.head_object(Bucket=store.location.bucket, Key=key)["ContentLength"])
    except ClientError:
        return 0


def _put_all(client: Any, store: S3Store, files: list[Path]) -> None:
    def put(path: Path) -> None:
        client.put_object(Bucket=store.location.bucket, Key=store.location.key(path.name), Body=path.read_bytes())

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(put, files))


def _get_all(store: S3Store, ids: list[str]) -> int:
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return sum(len(raw) for raw in pool.map(store.read, ids))


def _delete_prefix(client: Any, store: S3Store) -> None:
    bucket = store.location.bucket
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=store.location.base):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", ())]
        if keys:
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


def format_s3_report(report: dict[str, Any]) -> str:
    """The report as a Markdown table."""
    lines = [
        f"{report['documents']:,} objects (demo generator, seed {report['seed']}) at {report['endpoint']}, "
        f"medians of {report['runs']}+ runs",
        f"machine: {report['machine']}",
        *(
            [f"network: {report['rtt_ms']:g} ms round trip added between clients and server (a delayed link)"]
            if report.get("rtt_ms")
            else []
        ),
        f"listing: {report.get('list_requests', '?')} LIST requests; "
        f"this host's cache {report.get('local_cache_bytes', 0) / 1e6:.1f} MB, "
        f"shared cache {report.get('shared_cache_bytes', 0) / 1e6:.1f} MB",
        "",
        "| step | median | note |",
        "| --- | ---: | --- |",
    ]
    loads = report.get("loads", [])
    in_loads = {row["step"] for row in loads}
    for row in report["results"]:
        if row["step"] not in in_loads:
            lines.append(f"| {row['step']} | {_seconds(row['median'])} | {row['note']} |")
    if loads:
        lines += ["", *_loads_table(loads, {row["step"]: row["note"] for row in report["results"]})]
    return "\n".join(lines)


def _loads_table(loads: list[dict[str, Any]], notes: dict[str, str]) -> list[str]:
    """The loads, each run as new processes, beside the baseline: wall time, client CPU, ratios, goals."""
    lines = [
        "Each load is a new process (`curation validate`, or the baseline's `python -c`). Client CPU: user + system "
        "time of that process and its parse workers, parse included; the moto server runs apart and is not counted.",
        "",
        "| load | wall (median) | client CPU / object | baseline ÷ this: wall | baseline ÷ this: CPU | goal | note |",
        "| --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in loads:
        wall_ratio = f"{row['wall_ratio']:.2f}×" if "wall_ratio" in row else "—"
        cpu_ratio = f"{row['cpu_ratio']:.2f}×" if "cpu_ratio" in row else "—"
        goals = "; ".join(f"{goal['goal']}: {_verdict(goal['met'])}" for goal in row["goals"])
        lines.append(
            f"| {row['step']} | {_seconds(row['wall_median'])} | {row['cpu_ms_per_object']:,.3f} ms "
            f"| {wall_ratio} | {cpu_ratio} | {goals} | {notes.get(row['step'], '')} |"
        )
    return lines


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value * 1000:,.1f} ms" if value < 1 else f"{value:,.2f} s"


def _verdict(met: bool | None) -> str:
    return "—" if met is None else "met ✓" if met else "not met ✗"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _moto_command(port: int, *, keep_alive: bool) -> list[str]:
    """moto's S3 server in its own process: served by gunicorn's threaded worker, which keeps connections alive
    as S3 does (curation.bench.moto_app), or by moto's own werkzeug server, which closes each one."""
    if not keep_alive:
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return [
        sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--workers", "1", "--threads", "16",
        "--keep-alive", "60", "--graceful-timeout", "2", "--bind", f"127.0.0.1:{port}", "curation.bench.moto_app:app",
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """`python -m curation.bench.s3 --moto [--n N]`: the S3 benchmark against a moto server of its own."""
    parser = argparse.ArgumentParser(prog="python -m curation.bench.s3")
    parser.add_argument("--moto", action="store_true", help="start a moto S3 server on 127.0.0.1 for the run")
    parser.add_argument(
        "--werkzeug", action="store_true",
        help="with --moto: moto's own server, which closes every connection (default: gunicorn, kept alive as S3 does)",
    )  # fmt: skip
    parser.add_argument("--docs", default="s3://bench/run", metavar="s3://BUCKET/PREFIX")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scheduler", metavar="ADDRESS")
    parser.add_argument(
        "--audit-entries", type=int, metavar="N", help="changes logged for history and undo (default: --n)"
    )
    parser.add_argument("--only-history", action="store_true", help="measure history and undo only")
    parser.add_argument(
        "--rtt-ms", type=float, default=0.0, metavar="MS",
        help="with --moto: a network round trip of MS milliseconds between the clients and the server "
        "(curation.bench.delayed_link; S3 in the same region: 10-30)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    server = None
    link = contextlib.nullcontext()
    if args.moto:
        port = _free_port()
        server = subprocess.Popen(_moto_command(port, keep_alive=not args.werkzeug),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the moto server did not start") from None
                time.sleep(0.2)
        if args.rtt_ms > 0:
            link_port = _free_port()
            link = DelayedLink(link_port, ("127.0.0.1", port), args.rtt_ms / 2000)
            endpoint = f"http://127.0.0.1:{link_port}"
        os.environ.update(
            AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
            AWS_DEFAULT_REGION="us-east-1",
        )  # fmt: skip
    try:
        link.__enter__()
        if args.moto:
            _setup_client().create_bucket(Bucket=S3Location.parse(args.docs).bucket)
        report = run_s3_benchmark(
            args.docs,
            args.n,
            args.runs,
            scheduler=args.scheduler,
            audit_entries=args.audit_entries,
            only_history=args.only_history,
            log=lambda line: print(line, file=sys.stderr),
        )
        report["rtt_ms"] = args.rtt_ms
        print(dump(report) if args.json else format_s3_report(report))
    finally:
        link.__exit__(None, None, None)
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
