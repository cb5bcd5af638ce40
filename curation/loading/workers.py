"""Worker processes for a cold load: fresh interpreters that import only the parser.

multiprocessing's spawn start method re-imports the parent's `__main__` in
every worker, and that is the CLI or the dashboard, with pandas, pyarrow or
Streamlit: 0.4-1 s per worker before its first file, a third of a cold load
at 10,000 documents. A worker here is `python -m curation.loading.workers`,
which imports curation.loading.parsing alone (about 0.1 s); until its stdin closes it
reads one pickled chunk of DocumentFile records at a time and writes back the
pickled (columns, problems) that parse_files gives for it. Fork is never used:
the dashboard loads from a thread of a threaded server.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from curation.loading.parsing import parse_files
from curation.store.base import DocumentFile

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


class WorkerError(OSError):
    """A worker process could not be started or stopped answering; the caller parses in this process."""


def parse_chunks(
    chunks: list[list[DocumentFile]], workers: int, on_chunk_done: Callable[[int], None] | None = None
) -> list[tuple[dict[str, list[Any]], list[dict[str, Any]]]]:
    """parse_files of every chunk, in `workers` processes; results in chunk order.

    `on_chunk_done(finished)` is called in this thread after each chunk, so a
    progress bar can be updated from it.
    """
    processes = [_start() for _ in range(min(workers, len(chunks)))]
    pending = iter(enumerate(chunks))
    lock = threading.Lock()
    finished: queue.Queue[tuple[int, Any] | BaseException] = queue.Queue()
    results: list[Any] = [None] * len(chunks)
    try:
        for process in processes:
            threading.Thread(target=_feed, args=(process, pending, lock, finished), daemon=True).start()
        for count in range(1, len(chunks) + 1):
            outcome = finished.get()
            if isinstance(outcome, BaseException):
                raise WorkerError(f"a parse worker failed: {outcome!r}") from outcome
            number, result = outcome
            results[number] = result
            if on_chunk_done is not None:
                on_chunk_done(count)
    finally:
        _stop(processes)
    return results


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
    pending: Iterator[tuple[int, list[DocumentFile]]],
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
            pickle.dump(chunk, process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
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
    """The worker's loop: a pickled chunk in, its pickled parse out, until the input ends."""
    while True:
        try:
            chunk = pickle.load(source)
        except EOFError:
            return
        pickle.dump(parse_files(chunk), sink, protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()


if __name__ == "__main__":
    sink = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but results may reach the parent's pipe
    serve(sys.stdin.buffer, sink)
