"""The one way a load runs work in parallel: fresh interpreters fed chunks through pipes.

A folder's files (curation.loading.parsing.parse_files) and an S3 prefix's
fetched objects (parse_fetched) go through the same `run_chunks`: many chunks
run in worker processes, a few in this one.

multiprocessing's spawn start method re-imports the parent's `__main__` in
every worker, and that is the CLI or the dashboard, with pandas, pyarrow or
Streamlit: a large share of a cold load's time before the first file. A worker
here is `python -m curation.loading.workers`, which imports the parser alone;
until its stdin closes it reads one pickled (task, chunk) at a time and writes
back the pickled `task(chunk)`. The task is a module-level function (or a
functools.partial of one), so pickle sends its name and the worker imports
only that function's module. Fork is never used: the dashboard loads from a
thread of a threaded server.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from curation.loading import parsing

T = TypeVar("T")
R = TypeVar("R")
ProgressCallback = parsing.ProgressCallback
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class WorkerError(OSError):
    """A worker process could not be started or stopped answering; the caller parses in this process."""


def run_chunks(
    task: Callable[[Sequence[T]], R],
    chunks: list[Sequence[T]],
    progress: ProgressCallback | None = None,
    each: Callable[[R], Any] | None = None,
) -> list[Any]:
    """`task(chunk)` for every chunk, results in chunk order: in worker processes once there are
    parsing.PARALLEL_FROM items or more and two cores, else (or when a worker fails) in this process.

    `progress(done, total)` is called in this thread after each chunk, counting items. `each`, when given, is
    called on each result as it arrives (in this thread), and what it returns is kept instead: a result need not
    wait in memory for the last one.
    """
    total = sum(len(chunk) for chunk in chunks)
    workers = os.cpu_count() or 1
    results: list[Any] = [_PENDING] * len(chunks)
    done = 0
    if workers >= 2 and total >= parsing.PARALLEL_FROM:
        try:
            _in_workers(task, chunks, workers, progress, total, each, results)
            return results
        except OSError:  # a WorkerError: no Python to start, or a worker that died; the rest run here
            done = sum(len(chunk) for chunk, result in zip(chunks, results, strict=True) if result is not _PENDING)
    for number, chunk in enumerate(chunks):
        if results[number] is not _PENDING:
            continue  # a worker finished it before one failed: `each` has had it once, and once is all
        result = task(chunk)
        results[number] = each(result) if each is not None else result
        done += len(chunk)
        if progress is not None:
            progress(done, total)
    return results


_PENDING = object()  # a chunk whose result has not arrived


def _in_workers(
    task: Callable[[Sequence[T]], R],
    chunks: list[Sequence[T]],
    workers: int,
    progress: ProgressCallback | None,
    total: int,
    each: Callable[[R], Any] | None,
    results: list[Any],
) -> None:
    """Fill `results` as the workers finish chunks (so a failure leaves the finished ones in it)."""
    processes = [_start() for _ in range(min(workers, len(chunks)))]
    pending = iter(enumerate(chunks))
    lock = threading.Lock()
    finished: queue.Queue[tuple[int, Any] | BaseException] = queue.Queue()
    done = 0
    try:
        for process in processes:
            threading.Thread(target=_feed, args=(process, task, pending, lock, finished), daemon=True).start()
        for _ in chunks:
            outcome = finished.get()
            if isinstance(outcome, BaseException):
                raise WorkerError(f"a parse worker failed: {outcome!r}") from outcome
            number, result = outcome
            results[number] = each(result) if each is not None else result
            done += len(chunks[number])
            if progress is not None:
                progress(done, total)
    finally:
        _stop(processes)


def _start() -> subprocess.Popen[bytes]:
    if not sys.executable:
        raise WorkerError("no Python executable to start a worker with")
    # The package is found where this process found it, installed or not.
    path = os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "curation.loading.workers"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": path},
    )


def _feed(
    process: subprocess.Popen[bytes],
    task: Callable[[Any], Any],
    pending: Iterator[tuple[int, Sequence[Any]]],
    lock: threading.Lock,
    finished: queue.Queue,
) -> None:
    """Send chunks to one worker until none are left; each result or error goes to `finished`."""
    assert process.stdin is not None and process.stdout is not None
    try:
        while True:
            with lock:
                taken = next(pending, None)
            if taken is None:
                return
            number, chunk = taken
            pickle.dump((task, chunk), process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            process.stdin.flush()
            finished.put((number, pickle.load(process.stdout)))
    except Exception as error:  # a dead worker: EOFError, BrokenPipeError, a truncated pickle
        finished.put(error)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Close every worker's input so it exits; kill any that does not within a few seconds."""
    for process in processes:
        try:
            if process.stdin is not None:
                process.stdin.close()
        except OSError:
            pass  # its pipe is already broken: it is gone
    for process in processes:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def serve(source: BinaryIO, sink: BinaryIO) -> None:
    """The worker's loop: a pickled (task, chunk) in, the pickled `task(chunk)` out, until the input ends."""
    while True:
        try:
            task, chunk = pickle.load(source)
        except EOFError:
            return
        pickle.dump(task(chunk), sink, protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()


if __name__ == "__main__":
    sink = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but results may reach the parent's pipe
    serve(sys.stdin.buffer, sink)
