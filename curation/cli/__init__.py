"""The `curation` command: a thin argparse front end over the library.

Exit codes: 0 when everything asked is done (or already so), 1 when a
document has a problem or a write was refused or conflicted, 2 on a usage
error or a missing docs folder (or a bucket that is missing, denied or
unreachable).

Everything printed as text goes through `printable`: file names, editor
names and messages come from other people, and must never reach a terminal
as control characters. `--json` output is JSON with those characters escaped.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from curation.audit import MAX_EDITOR_NAME, check_editor_name
from curation.cli.terminal import json_text, printable
from curation.demo import DemoFolderError, write_demo_collection
from curation.editing.field_edits import EDITABLE_TEXT_FIELDS, check_value
from curation.editing.history_text import HistoryFilter, describe_change
from curation.editing.publish import (
    Outcome,
    OutcomeStatus,
    change_topics,
    load_history,
    set_field,
    set_published,
    topics_after,
    undo_batch,
    undo_change,
    undo_last,
    write_many,
)
from curation.errors import (
    CurationError,
    DocsFolderError,
    EditorNameError,
    InvalidValueError,
    RequestError,
    StoreError,
)
from curation.loading.collection import Collection, load_collection
from curation.query.export import EXPORT_COLUMNS, check_columns, csv_chunks, json_chunks, write_export
from curation.query.filters import FILTER_PARTS, Filters, Flag, filters_from_flags
from curation.query.saved_views import VIEW_FLAG_HELP, view_filters
from curation.store import DEFAULT_DOCS, DOCS_ENV, default_docs_location, open_store, parse_location
from curation.wording import plural

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
IDS_HELP = "document ids (paths relative to the docs folder)"
COMMANDS_GROUP = "curation.commands"  # more commands, from installed packages' entry points


class UsageError(RequestError):
    """Arguments that parse but do not make sense together."""


class Parser(argparse.ArgumentParser):
    """argparse, with the offending argument escaped in its error message (it is echoed to the terminal)."""

    def error(self, message: str):  # type: ignore[override]
        super().error(printable(message))


def say(text: object, *, error: bool = False) -> None:
    """Print one line of text with every control character escaped (stderr when `error`)."""
    print(printable(text), file=sys.stderr if error else sys.stdout)


def docs_location(text: str) -> Path | str:
    """A docs folder, or an `s3://bucket/prefix` location (curation.store.parse_location)."""
    try:
        return parse_location(text)
    except StoreError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def check_docs_location(location: Path | str) -> None:
    """DocsFolderError for a missing folder; StoreError for a bucket that is missing, denied or unreachable."""
    open_store(location).check()


def int_at_least(minimum: int):
    """An argparse type: a whole number of `minimum` or more, else a usage error (exit 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            wanted = "a positive whole number" if minimum == 1 else f"a whole number of {minimum:,} or more"
            raise argparse.ArgumentTypeError(f"must be {wanted}, not {text!r}")
        return value

    parse.__name__ = "positive_int" if minimum == 1 else f"int_at_least_{minimum}"
    return parse


positive_int = int_at_least(1)
Commands = argparse._SubParsersAction  # what add_parser is called on
_LOG_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # change and batch ids as the audit log writes them (12 hex digits)


def _editor_name(text: str) -> str:
    try:
        return check_editor_name(text)
    except EditorNameError as error:
        raise argparse.ArgumentTypeError(f"{error.message}: {printable(text)}") from None


def _log_id(text: str) -> str:
    """A change or batch id: an empty one (a script's unset variable) must never mean "the newest"."""
    if not _LOG_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a change or batch id: {text!r} (see `curation history` for the ids)")
    return text


def add_filter_arguments(parser: argparse.ArgumentParser) -> None:
    """The filter flags, made from the one definition the dashboard's links use too (FILTER_PARTS)."""
    group = parser.add_argument_group("filters")
    for part in FILTER_PARTS:
        target = group.add_mutually_exclusive_group() if part.exclusive else group
        for flag in part.flags:
            options: dict[str, Any] = {"dest": _flag_dest(flag), "help": flag.help or None}
            if flag.parse is None:
                options["action"] = "store_true"
            else:
                options |= {"type": _argument_type(flag.parse), "metavar": flag.metavar}
                options |= {"action": "append", "default": []} if flag.repeat else {}
            target.add_argument(f"--{flag.name}", **options)
    group.add_argument("--view", metavar="NAME", help=VIEW_FLAG_HELP)


def _flag_dest(flag: Flag) -> str:
    return "filter_" + flag.name.replace("-", "_")


def _argument_type(parse: Callable[[str], object]) -> Callable[[str], object]:
    """An argparse type whose usage error says what `parse`'s ValueError says."""

    def read(text: str) -> object:
        try:
            return parse(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    read.__name__ = parse.__name__
    return read


def filters_from_arguments(args: argparse.Namespace) -> Filters:
    given = {flag.name: getattr(args, _flag_dest(flag)) for part in FILTER_PARTS for flag in part.flags}
    return filters_from_flags(given, view_filters(args.docs, args.view) if args.view is not None else None)


def _load(args: argparse.Namespace) -> Collection:
    progress = _progress_printer() if sys.stderr.isatty() else None
    collection = load_collection(args.docs, progress)
    if progress is not None:
        print(file=sys.stderr)
    return collection


def _progress_printer():
    def show(done: int, total: int) -> None:
        print(f"\rloading {done:,} of {total:,} documents", end="", file=sys.stderr, flush=True)

    return show


def add_validate(commands: Commands, parents: Parents) -> None:
    validate = commands.add_parser("validate", parents=[parents.common], help="report every problem in the folder")
    validate.add_argument("--json", action="store_true")
    validate.set_defaults(run=command_validate)


def command_validate(args: argparse.Namespace) -> int:
    collection = _load(args)
    documents = len(collection.frame)
    if args.json:
        report = {
            "documents": documents,
            "problems": [problem.to_dict() for problem in collection.problems],
            "warnings": [warning.to_dict() for warning in collection.warnings],
        }
        print(json_text(report))
    else:
        for problem in collection.problems:
            say(problem)
        for warning in collection.warnings:
            say(f"{warning.path}: warning: {warning.message}")
        summary = f"{plural(documents, 'document')}, {plural(len(collection.problems), 'problem')}"
        if collection.warnings:
            summary += f", {plural(len(collection.warnings), 'warning')}"
        say(summary)
    return EXIT_PROBLEMS if collection.problems else EXIT_OK


def add_export(commands: Commands, parents: Parents) -> None:
    export = commands.add_parser("export", parents=[parents.common], help="write the filtered articles as CSV or JSON")
    add_filter_arguments(export)
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--columns", metavar="a,b,...", help=f"default: {','.join(EXPORT_COLUMNS)}")
    export.add_argument("-o", "--output", metavar="FILE", help="default: standard output")
    export.set_defaults(run=command_export)


def command_export(args: argparse.Namespace) -> int:
    collection = _load(args)
    filters = filters_from_arguments(args)
    asked = [column.strip() for column in args.columns.split(",")] if args.columns else list(EXPORT_COLUMNS)
    columns = check_columns(collection.columns, asked)
    positions = filters.positions(collection.frame)  # the loader's frame is in id order, as filters.apply wants
    # Read and written a chunk of rows at a time: the export never holds every row at once.
    rows = collection.column_chunks(positions, columns)
    data = csv_chunks(rows, columns) if args.format == "csv" else json_chunks(rows, columns)
    if args.output:
        try:
            write_export(Path(args.output), data)  # whole or not at all: the previous file survives a failure
        except OSError as error:
            raise UsageError(f"cannot write {args.output}: {error.strerror}") from None
        say(f"wrote {plural(len(positions), 'article')} ({filters.describe()}) to {args.output}", error=True)
    else:
        for chunk in data:
            sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
    return EXIT_OK


def add_demo(commands: Commands, parents: Parents) -> None:
    demo = commands.add_parser("demo", help="write deterministic demo documents")
    demo.add_argument("--n", type=positive_int, default=300, metavar="N")
    demo.add_argument("--out", required=True, metavar="DIR")
    demo.add_argument("--seed", type=int, default=0, metavar="S")
    demo.add_argument(
        "--force", action="store_true", help="write into a folder that already holds documents (replaces same names)"
    )
    demo.set_defaults(run=command_demo)


def command_demo(args: argparse.Namespace) -> int:
    try:
        written = write_demo_collection(Path(args.out), args.n, args.seed, force=args.force)
    except DemoFolderError as error:
        raise UsageError(str(error)) from None
    say(f"wrote {plural(len(written), 'demo document')} to {args.out}", error=True)
    return EXIT_OK


def add_publish(commands: Commands, parents: Parents) -> None:
    for name, value in (("publish", True), ("unpublish", False)):
        sub = _add_write_command(commands, parents, name, f"{name} documents by id or by filter")
        sub.add_argument("ids", nargs="*", metavar="ID", help=IDS_HELP)
        sub.add_argument("--at", metavar="TIME", help=f"{name} then, not now: ISO 8601 with a zone, e.g. "
                         "2026-12-05T06:00:00Z (docs/scheduling.md)")  # fmt: skip
        sub.set_defaults(run=lambda args, value=value: command_set_published(args, value))


def command_set_published(args: argparse.Namespace, value: bool) -> int:
    if args.at is not None:
        from curation.cli.schedule_commands import command_schedule_change

        return command_schedule_change(args, value)
    verb = "publish" if value else "unpublish"
    return _write_command(
        args, verb, f"{verb}ed", lambda frame: frame["published"] != value,
        lambda doc_id, **options: set_published(args.docs, doc_id, value, **options),
    )  # fmt: skip


def add_set(commands: Commands, parents: Parents) -> None:
    help_text = f"set a field ({', '.join(EDITABLE_TEXT_FIELDS)}) of documents by id or by filter"
    edit = _add_write_command(commands, parents, "set", help_text)
    edit.add_argument("targets", nargs="+", metavar="ID... FIELD=VALUE", help=IDS_HELP + ", then FIELD=VALUE")
    edit.set_defaults(run=command_set)


def command_set(args: argparse.Namespace) -> int:
    *args.ids, assignment = args.targets
    field, equals, value = assignment.partition("=")
    if not equals or field not in EDITABLE_TEXT_FIELDS:
        raise UsageError(
            f"end with FIELD=VALUE, where FIELD is one of {', '.join(EDITABLE_TEXT_FIELDS)} (topics: curation topics)"
        )
    try:
        value = check_value(field, value)
    except InvalidValueError as error:
        raise UsageError(f"{field}={value!r}: {error.message}; nothing was written") from None
    return _write_command(
        args, f"set {field}", f"set {field}", lambda frame: frame[field] != value,
        lambda doc_id, **options: set_field(args.docs, doc_id, field, value, **options),
    )  # fmt: skip


def add_topics(commands: Commands, parents: Parents) -> None:
    topics = _add_write_command(commands, parents, "topics", "add or remove topics of documents by id or by filter")
    topics.add_argument("ids", nargs="*", metavar="ID", help=IDS_HELP)
    topics.add_argument("--add", action="append", default=[], metavar="TOPIC", help="repeatable; added last")
    topics.add_argument("--remove", action="append", default=[], metavar="TOPIC", help="repeatable")
    topics.set_defaults(run=command_topics)


def command_topics(args: argparse.Namespace) -> int:
    if not (args.add or args.remove):
        raise UsageError("say what to change: --add TOPIC and/or --remove TOPIC")
    try:
        added, removed = check_value("topics", args.add), set(check_value("topics", args.remove))
    except InvalidValueError as error:
        raise UsageError(f"{error.message}; nothing was written") from None

    def would_change(held: Sequence[str]) -> bool:
        topics = list(held)  # pandas maps an Arrow list cell as an array
        try:
            return topics_after(topics, added, removed) != topics  # what change_topics writes, duplicates gone
        except InvalidValueError:
            return False  # refused by the write too: it would not change

    def differs(frame):
        return frame["topics"].map(would_change)

    return _write_command(
        args, "change topics of", "topics changed", differs,
        lambda doc_id, **options: change_topics(args.docs, doc_id, add=added, remove=removed, **options),
    )  # fmt: skip


def _write_command(args: argparse.Namespace, verb: str, done: str, differs, write) -> int:
    """Ids, or --all-matching filters (a dry run without --yes): one outcome per id, exit 1 on any failure."""
    if args.all_matching == bool(args.ids):
        raise UsageError(f"give document ids, or --all-matching with filters: curation {args.command} ID...")
    if args.expect_sha and len(args.ids) != 1:
        raise UsageError("--expect-sha goes with exactly one document id")
    if args.all_matching:
        frame = filters_from_arguments(args).apply(_load(args).frame)
        to_change = frame[differs(frame)]
        if not args.yes:
            for doc_id in to_change.index:
                say(f"would {verb} {doc_id}")
            say(f"{plural(len(to_change), 'document')} would change; add --yes to write them", error=True)
            return EXIT_OK
        ids, expected = list(to_change.index), dict(to_change["sha256"])
    else:
        ids, expected = args.ids, ({args.ids[0]: args.expect_sha} if args.expect_sha else None)
    outcomes = write_many(ids, write, expected_shas=expected, editor=args.editor, audit_log=args.audit_log)
    return _report(outcomes, done)


def _report(outcomes: list[Outcome], verb: str) -> int:
    for outcome in outcomes:
        if outcome.failed:
            say(f"{outcome.status}: {outcome.message}", error=True)
        else:
            say(f"{verb if outcome.status == OutcomeStatus.CHANGED else 'already so'}: {outcome.id}")
    statuses = [outcome.status for outcome in outcomes]
    summary = (f"{statuses.count(status)} {status}" for status in OutcomeStatus)
    say(", ".join(summary), error=True)
    return EXIT_PROBLEMS if any(outcome.failed for outcome in outcomes) else EXIT_OK


def add_history(commands: Commands, parents: Parents) -> None:
    history = commands.add_parser("history", parents=parents.writing, help="show the audit log, newest first")
    history.add_argument("--json", action="store_true")
    history.add_argument("--limit", type=positive_int, metavar="N", help="only the newest N entries")
    history.add_argument(
        "--article", action="append", default=[], metavar="ID", help="only this article's changes (repeatable)"
    )
    history.add_argument("--by", action="append", default=[], metavar="EDITOR", help="only this editor's (repeatable)")
    history.set_defaults(run=command_history)


def command_history(args: argparse.Namespace) -> int:
    history, problems = load_history(args.docs, args.audit_log)
    for problem in problems:
        say(problem, error=True)
    kept = HistoryFilter(frozenset(args.article) or None, frozenset(args.by)).positions(history.entries)
    listed = kept if args.limit is None else kept[-args.limit :]  # --limit is positive; only these are judged
    newest = [(history.entries[position], history.took_effect(position)) for position in reversed(listed)]
    if args.json:
        print(json_text([{**entry.to_json(), "completed": completed} for entry, completed in newest]))
        return EXIT_OK
    for entry, completed in newest:
        undo = f"  (undoes {entry.undoes})" if entry.undoes else ""
        batch = f"  (batch {entry.batch})" if entry.batch else ""
        incomplete = "  (did not complete)" if not completed else ""
        if entry.schedule:
            incomplete += f"  (schedule {entry.schedule} by {entry.scheduled_by})"
        change = describe_change(entry, arrow="->")
        say(f"{entry.time}  {entry.change}  {entry.editor}  {entry.id}  {change}{undo}{batch}{incomplete}")
    if not history.entries:
        say("no changes logged yet", error=True)
    return EXIT_OK


def add_undo(commands: Commands, parents: Parents) -> None:
    undo = commands.add_parser("undo", parents=parents.writing, help="revert logged changes")
    target = undo.add_mutually_exclusive_group()
    target.add_argument("--last", type=positive_int, default=1, metavar="N", help="the newest N changes (default 1)")
    target.add_argument("--change", type=_log_id, metavar="CHANGE", help="one change by its id in the audit log")
    target.add_argument(
        "--batch", type=_log_id, metavar="BATCH",
        help="every change of one bulk request, by its batch id (see `curation history`)",
    )  # fmt: skip
    undo.set_defaults(run=command_undo)


def command_undo(args: argparse.Namespace) -> int:
    if args.change is not None:
        outcomes = [undo_change(args.docs, args.change, editor=args.editor, audit_log=args.audit_log)]
    elif args.batch is not None:
        outcomes = undo_batch(args.docs, args.batch, editor=args.editor, audit_log=args.audit_log)
    else:
        outcomes = undo_last(args.docs, args.last, editor=args.editor, audit_log=args.audit_log)
        if not outcomes:
            say("nothing to undo", error=True)
    return _report(outcomes, "reverted")


REUSED_FROM = {  # IndexReport.reused_from, in words
    "local": "the rest from this host's cache",
    "shared": "the rest from the shared cache",
    "folder": "the rest from the folder's parse cache",
    "none": "no cache used",
}


def add_index(commands: Commands, parents: Parents) -> None:
    help_text = "parse new and changed documents into the cache"
    index = commands.add_parser("index", parents=[parents.common], help=help_text)
    index.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="parse on this Dask cluster, e.g. tcp://host:8786 (default: $DASK_SCHEDULER_ADDRESS, else here)",
    )  # fmt: skip
    index.add_argument("--json", action="store_true")
    index.set_defaults(run=command_index)


def command_index(args: argparse.Namespace) -> int:
    from curation.loading.index_build import build_index, scheduler_address

    scheduler = scheduler_address(args.scheduler)
    progress = _progress_printer() if sys.stderr.isatty() else None
    try:
        report = build_index(args.docs, scheduler=scheduler, progress=progress)
    except ValueError as error:  # e.g. a Dask cluster asked to read this machine's folder
        raise UsageError(str(error)) from None
    if progress is not None:
        print(file=sys.stderr)
    if args.json:
        print(json_text(report.to_json()))
        return EXIT_OK
    say(
        f"{plural(report.documents, 'document')}, {plural(report.problems, 'problem')}: "
        f"parsed {report.parsed:,} ({report.parsed_on}), {REUSED_FROM[report.reused_from]}, "
        f"in {report.seconds:.1f} s"
    )
    for cache, where in (("this host's cache", report.local_cache), ("the shared cache", report.shared_cache)):
        if where:
            say(f"wrote {cache}: {where}")
    return EXIT_OK


@dataclass(frozen=True)
class Parents:
    """The options several commands share: where the documents are, and who is writing."""

    common: argparse.ArgumentParser
    writer: argparse.ArgumentParser

    @property
    def writing(self) -> list[argparse.ArgumentParser]:
        return [self.common, self.writer]


def _parents(default_editor: str = "cli") -> Parents:
    """New option parsers each call: a subcommand's set_defaults would change the actions it shares."""
    common = Parser(add_help=False)
    common.add_argument(
        "--docs", type=docs_location, default=default_docs_location(), metavar="DIR|s3://BUCKET/PREFIX",
        help=f"the docs folder, or an S3 prefix (default: ${DOCS_ENV}, else ./{DEFAULT_DOCS})",
    )  # fmt: skip
    writer = Parser(add_help=False)
    writer.add_argument(
        "--editor", type=_editor_name, default=default_editor, metavar="NAME",
        help=f"who is changing, at most {MAX_EDITOR_NAME} characters, no control characters "
        f"(default: {default_editor})",
    )  # fmt: skip
    writer.add_argument("--audit-log", type=Path, metavar="FILE", help="default: DIR/.curation/audit.jsonl")
    return Parents(common, writer)


def _add_write_command(commands: Commands, parents: Parents, name: str, help_text: str) -> argparse.ArgumentParser:
    """A command that writes documents chosen by id or by the filters."""
    sub = commands.add_parser(name, parents=parents.writing, help=help_text)
    sub.add_argument("--expect-sha", metavar="SHA", help="refuse if the file's sha256 is no longer this")
    sub.add_argument("--all-matching", action="store_true", help="every document the filters match")
    sub.add_argument("--yes", action="store_true", help="with --all-matching: really write")
    add_filter_arguments(sub)
    return sub


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="curation", description="Curate a folder of article documents.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parents = _parents()
    from curation.cli.schedule_commands import add_schedule

    for add in (add_validate, add_export, add_demo, add_publish, add_set, add_topics, add_history, add_undo):
        add(commands, parents)
    add_schedule(commands, parents)
    from curation.cli.views_commands import add_views  # it uses this module's helpers: imported once they exist

    add_views(commands, parents)
    for plugin in entry_points(group=COMMANDS_GROUP):  # e.g. `curation bench` (curation.bench.command)
        plugin.load()(commands)
    add_index(commands, parents)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "docs", None) is not None:
            try:
                check_docs_location(args.docs)
            except StoreError as error:  # like a missing folder: nothing can be done until it is fixed
                say(f"curation {args.command}: {error}", error=True)
                return EXIT_USAGE
        return args.run(args)
    except RequestError as error:  # a UsageError, FilterError or ExportError: what was asked cannot be done
        parser.exit(EXIT_USAGE, f"curation {args.command}: error: {printable(error)}\n")
    except DocsFolderError as error:
        say(f"curation {args.command}: {error}; pass --docs DIR or set ${DOCS_ENV}", error=True)
        return EXIT_USAGE
    except CurationError as error:
        say(f"curation {args.command}: {error}", error=True)
        return EXIT_PROBLEMS
    except BrokenPipeError:
        # `curation export | head`: the reader left; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
