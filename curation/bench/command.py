"""`curation bench`: registered as a command through an entry point (pyproject.toml, "curation.commands"),
so the CLI itself never imports the benchmarks."""

from __future__ import annotations

import argparse
from pathlib import Path

from curation.cli import EXIT_OK, UsageError, docs_location, int_at_least, positive_int, say
from curation.cli.terminal import printable_lines
from curation.store import S3Store, open_store


def add_command(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser("bench", help="measure load, filter, export and toggle on generated documents")
    bench.add_argument(
        "--n", type=int_at_least(100), metavar="N",
        help="documents to generate (100 or more; 10,000, or 1,000,000 with --million)",
    )  # fmt: skip
    bench.add_argument(
        "--runs", type=positive_int, metavar="R", help="runs per step; medians are reported (3, or 5 with --million)"
    )
    bench.add_argument("--seed", type=int, default=0, metavar="S")
    bench.add_argument("--json", action="store_true")
    bench.add_argument(
        "--docs", type=docs_location, metavar="s3://BUCKET/PREFIX",
        help="measure S3 instead: documents are put under a new prefix below this one, and deleted afterwards",
    )  # fmt: skip
    bench.add_argument("--scheduler", metavar="ADDRESS", help="with --docs: a Dask scheduler (else a LocalCluster)")
    bench.add_argument(
        "--browser", action="store_true",
        help="measure the dashboard in Chromium against `streamlit run` instead: the first open (cache cold, beside "
        "`curation validate`, and warm), reopening, ticks, filter, page, Charts, Gallery, header sort, undo, "
        "Triage's keys, 5 sessions at once, memory",
    )  # fmt: skip
    bench.add_argument(
        "--million", action="store_true",
        help="the table of the issue \"One million documents on one machine\" at N documents (1,000,000): "
        "curation validate cold and warm, the dashboard's first open, a new tab, filter, tick and memory with 1 "
        "and 5 sessions, curation export of every row; each beside its goal",
    )  # fmt: skip
    bench.add_argument(
        "--corpus", type=Path, metavar="DIR",
        help="with --browser: use this folder instead of N new (it is written to, and its parse cache deleted); "
        "with --million: the folder N documents are generated into unless it holds N already (default: "
        "$TMPDIR/curation-bench-N, kept for the next run)",
    )  # fmt: skip
    bench.add_argument("--no-browser", action="store_true", help="with --million: leave out the dashboard's rows")
    bench.set_defaults(run=command_bench)


def command_bench(args: argparse.Namespace) -> int:
    from curation.bench.library import dump, format_report, run_benchmark

    if args.million:
        return _command_million(args)
    if args.no_browser:
        raise UsageError("--no-browser goes with --million")
    args.n = args.n or 10_000
    args.runs = args.runs or 3
    if args.browser:
        from curation.bench.browser import format_browser_report, run_browser_benchmark

        report = run_browser_benchmark(
            args.n, args.runs, args.seed, corpus=args.corpus, log=lambda line: say(line, error=True)
        )
        print(dump(report) if args.json else printable_lines(format_browser_report(report)))
        return EXIT_OK
    if args.docs is not None:
        if not isinstance(open_store(args.docs), S3Store):
            raise UsageError("--docs takes an s3:// prefix here; the folder benchmark makes its own temp folder")
        from curation.bench.s3 import format_s3_report, run_s3_benchmark

        report = run_s3_benchmark(
            args.docs, args.n, args.runs, args.seed, scheduler=args.scheduler, log=lambda line: say(line, error=True)
        )
        print(dump(report) if args.json else printable_lines(format_s3_report(report)))
        return EXIT_OK
    report = run_benchmark(args.n, args.runs, args.seed, log=lambda line: say(line, error=True))
    print(dump(report) if args.json else printable_lines(format_report(report)))
    return EXIT_OK


def _command_million(args: argparse.Namespace) -> int:
    from curation.bench.library import dump
    from curation.bench.million import DEFAULT_RUNS, MILLION, format_million_report, run_million_benchmark

    if args.browser or args.docs is not None:
        raise UsageError("--million measures a folder of its own, in the browser too: leave out --browser and --docs")
    report = run_million_benchmark(
        args.n or MILLION, args.runs or DEFAULT_RUNS, args.seed, corpus=args.corpus, browser=not args.no_browser,
        log=lambda line: say(line, error=True),
    )  # fmt: skip
    print(dump(report) if args.json else printable_lines(format_million_report(report)))
    return EXIT_OK
