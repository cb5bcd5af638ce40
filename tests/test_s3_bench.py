"""`curation bench --docs s3://…` runs end to end against the moto server and cleans up; it never asserts on times."""

from __future__ import annotations

import json
import sys
import time

import pytest

from curation.bench.s3 import BASELINE, BASELINE_LOOP, CHANGED, COLD, WARM, format_s3_report, run_child
from curation.bench.s3 import main as bench_main
from curation.cli import main
from tests.conftest import SEED_ID, SEEDS, new_prefix, object_keys, put_document

STEPS = [
    "setup: PUT every object",
    "list the prefix",
    "floor: GET every object",
    BASELINE,
    COLD,
    WARM,
    CHANGED,
    "load after one changed object",
    "one toggle",
    "setup: log the changes",
    "history --limit 1, 30 entries, first reader",
    "history --limit 1, 30 entries",
    "undo --last 1, 30 entries",
    "setup: start a LocalCluster",
    "cold index build, Dask",
    "new host, from the shared cache",
]
LOADS = [BASELINE, COLD, WARM, CHANGED]


@pytest.mark.slow
def test_the_s3_bench_reports_every_step_and_deletes_its_objects(capsys, s3_env):
    location = new_prefix("bench")
    # `python -m curation.bench.s3` without --moto: the fixture's server (`curation bench` takes 100 or more).
    assert bench_main(["--docs", location, "--n", "30", "--runs", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [row["step"] for row in report["results"]] == STEPS
    assert all(row["median"] is not None and row["median"] > 0 for row in report["results"])
    assert report["documents"] == 30 and report["local_cache_bytes"] > 0 and report["shared_cache_bytes"] > 0
    assert object_keys(location) == []

    loads = {row["step"]: row for row in report["loads"]}
    assert list(loads) == LOADS
    for row in loads.values():
        assert row["wall_median"] > 0 and row["cpu_ms_per_object"] > 0
        assert row["wall_ratio"] == pytest.approx(loads[BASELINE]["wall_median"] / row["wall_median"])
        assert row["cpu_ratio"] == pytest.approx(loads[BASELINE]["cpu_ms_per_object"] / row["cpu_ms_per_object"])
    assert loads[BASELINE]["wall_ratio"] == loads[BASELINE]["cpu_ratio"] == 1
    assert [goal["met"] for goal in loads[CHANGED]["goals"]] == [True]  # the in-process check fetched exactly 1
    assert len(loads[COLD]["goals"]) == 2 and all(isinstance(goal["met"], bool) for goal in loads[COLD]["goals"])
    table = format_s3_report(report)
    assert "client CPU / object" in table and all(f"| {step} |" in table for step in LOADS)


def test_the_baseline_loop_reads_and_parses_every_document_but_the_hidden_ones(s3_env):
    location = new_prefix("baseline")
    raw = (SEEDS / SEED_ID).read_bytes()
    for name in ("a.txt", "b.txt", "sub/c.txt", ".curation/audit/entry.json"):
        put_document(location, name, raw)
    child = run_child([sys.executable, "-c", BASELINE_LOOP, location])
    assert json.loads(child.stdout) == {"documents": 3} and child.cpu > 0


def test_a_child_run_counts_the_cpu_of_the_processes_it_waited_for():
    """The workers a load starts are counted: a child that waits for a grandchild spinning 0.3 s of CPU."""
    spin = "import time\nwhile time.process_time() < 0.3: pass"
    parent = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {spin!r}], check=True)\nprint('done')"
    child = run_child([sys.executable, "-c", parent])
    assert child.stdout == "done\n" and child.cpu >= 0.3


def test_a_failing_child_run_says_why():
    with pytest.raises(RuntimeError, match="exited with 3: no such thing"):
        run_child([sys.executable, "-c", "import sys; sys.stderr.write('no such thing'); sys.exit(3)"])


def test_the_bench_takes_only_an_s3_prefix_as_docs(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--docs", str(tmp_path), "--n", "100"])
    assert exit_info.value.code == 2 and "--docs takes an s3:// prefix" in capsys.readouterr().err


def test_the_benchmarks_moto_server_keeps_connections_alive_as_s3_does():
    """werkzeug's server closes every connection; the bench serves moto with gunicorn so a client's CPU per GET
    is not inflated by a TCP handshake per request."""
    import http.client
    import subprocess

    from curation.bench.s3 import _moto_command
    from tests.browser_support import free_port

    port = free_port()
    command = _moto_command(port, keep_alive=True)
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection.connect()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)  # polling for the server to listen, not waiting out a guess
        answers = []
        for method, target in (("PUT", "/keepalive-bucket"), ("GET", "/keepalive-bucket?list-type=2")):
            connection.request(method, target)
            answer = connection.getresponse()
            answer.read()
            answers.append((answer.status, answer.will_close))
        assert answers == [(200, False), (200, False)]  # the same connection answered twice
    finally:
        connection.close()
        server.terminate()
        server.wait(10)


def test_a_delayed_link_relays_every_byte_in_order_and_at_least_a_round_trip_later():
    """The bench's --rtt-ms link: what goes in comes out whole and in order, each way at least `delay` later
    (a lower bound: a busy machine can only add to it)."""
    import socket
    import threading

    from curation.bench.delayed_link import DelayedLink
    from tests.browser_support import free_port

    with socket.create_server(("127.0.0.1", 0)) as echo:

        def serve() -> None:
            connection, _ = echo.accept()
            with connection:
                while data := connection.recv(65536):
                    connection.sendall(data)

        threading.Thread(target=serve, daemon=True).start()
        payload = bytes(range(256)) * 4096  # 1 MiB, in many chunks
        port = free_port()
        with (
            DelayedLink(port, echo.getsockname(), delay_s=0.05),
            socket.create_connection(("127.0.0.1", port)) as client,
        ):
            started = time.monotonic()
            client.sendall(payload)
            client.shutdown(socket.SHUT_WR)
            received = b""
            while data := client.recv(65536):
                received += data
            elapsed = time.monotonic() - started
    assert received == payload
    assert elapsed >= 0.1  # there and back: two delays
