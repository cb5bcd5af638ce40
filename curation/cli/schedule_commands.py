"""`curation publish --at`, `curation unpublish --at` and `curation schedule list|cancel|run`.

The commands are a thin front end over curation.editing.schedule; docs/scheduling.md has examples, a cron
line and a systemd timer.
"""

from __future__ import annotations

import argparse

from curation.audit import utc_text
from curation.cli import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Commands,
    Parents,
    UsageError,
    _load,
    _parents,
    filters_from_arguments,
    say,
)
from curation.cli.terminal import json_text
from curation.editing.schedule import (
    RUNNER_NAME,
    Schedule,
    ScheduleError,
    cancel_schedule,
    create_schedule,
    load_schedules,
    parse_due_time,
    run_due_schedules,
)
from curation.schedules import SCHEDULE_ID, DocumentOutcome
from curation.wording import plural


def add_schedule(commands: Commands, parents: Parents) -> None:
    schedule = commands.add_parser(
        "schedule", help="list, cancel and apply scheduled publishing (publish --at, unpublish --at)"
    )
    actions = schedule.add_subparsers(dest="schedule_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[parents.common], help="every schedule: pending, applied, cancelled")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=command_schedule_list)
    cancel = actions.add_parser("cancel", parents=parents.writing, help="cancel a pending schedule")
    cancel.add_argument("schedule", type=_schedule_id, metavar="ID", help="the schedule's id (see schedule list)")
    cancel.set_defaults(run=command_schedule_cancel)
    run = actions.add_parser(
        "run", parents=_parents(default_editor=RUNNER_NAME).writing,  # its own --editor, defaulting to the runner
        help="apply every due schedule, once: safe from cron every minute and from several hosts at once",
    )  # fmt: skip
    run.set_defaults(run=command_schedule_run)


def _schedule_id(text: str) -> str:
    if not SCHEDULE_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a schedule id: {text!r} (see `curation schedule list` for the ids)")
    return text


def command_schedule_change(args: argparse.Namespace, value: bool) -> int:
    """`publish --at TIME` and `unpublish --at TIME`: record the schedule; `schedule run` applies it when due."""
    verb = "publish" if value else "unpublish"
    if args.expect_sha:
        raise UsageError("--expect-sha cannot go with --at: a schedule writes onto the file as it is when it runs")
    if args.all_matching == bool(args.ids):
        raise UsageError(f"give document ids, or --all-matching with filters: curation {verb} ID... --at TIME")
    at = parse_due_time(args.at)
    ids = args.ids
    if args.all_matching:  # the articles matching now: a newcomer before it runs is not in it
        filters = filters_from_arguments(args)
        ids = list(filters.apply(_load(args).frame).index)
        if not ids:
            raise ScheduleError(f"no article matches the filters ({filters.describe()}); nothing was scheduled")
        if not args.yes:
            for doc_id in ids:
                say(f"would schedule {verb} of {doc_id}")
            say(f"matching now ({filters.describe()}): {plural(len(ids), 'article')}; add --yes to schedule "
                f"{verb} of them at {utc_text(at)}", error=True)  # fmt: skip
            return EXIT_OK
    schedule = create_schedule(args.docs, value, at, ids=ids, editor=args.editor)
    say(f"scheduled {schedule.id}: {verb} {schedule.targets()} at {schedule.created.at} (by {schedule.by})")
    return EXIT_OK


def command_schedule_list(args: argparse.Namespace) -> int:
    schedules, problems = load_schedules(args.docs)
    for problem in problems:
        say(problem, error=True)
    if args.json:
        print(json_text([schedule.to_json() for schedule in schedules]))
        return EXIT_OK
    for schedule in schedules:
        say(describe_schedule(schedule))
    if not schedules:
        say("nothing scheduled yet", error=True)
    return EXIT_OK


def describe_schedule(schedule: Schedule) -> str:
    """One line: id, state, when, what, on what, by whom, and how it ended."""
    line = f"{schedule.id}  {schedule.state:<9}  {schedule.created.at}  {schedule.verb} {schedule.targets()}"
    line += f"  by {schedule.by}"
    if schedule.ended is not None:
        line += f"  — {schedule.reason} ({schedule.ended.time}, {schedule.ended.editor})"
    return line


def command_schedule_cancel(args: argparse.Namespace) -> int:
    schedule = cancel_schedule(args.docs, args.schedule, editor=args.editor)
    say(f"cancelled {schedule.id}: {schedule.verb} {schedule.targets()} at {schedule.created.at}")
    return EXIT_OK


def command_schedule_run(args: argparse.Namespace) -> int:
    report = run_due_schedules(args.docs, editor=args.editor, audit_log=args.audit_log)
    for problem in report.problems:
        say(problem, error=True)
    unfinished = False
    for schedule, ended in report.ran:
        if ended is None:
            say(f"{schedule.id}: not finished (a write conflicted or the store did not answer); the next run "
                "tries again", error=True)  # fmt: skip
            unfinished = True
            continue
        say(f"{ended.record} {schedule.id}: {schedule.verb} {schedule.targets()}: {schedule.reason}")
        for result in ended.results or ():
            if result.outcome in (DocumentOutcome.REFUSED, DocumentOutcome.CANCELLED):
                say(f"  {result.outcome}: {result.id}: {result.message}", error=True)
    if not report.ran:
        say("no schedule is due", error=True)
    else:
        say(f"{plural(len(report.ran), 'due schedule')} run", error=True)
    return EXIT_PROBLEMS if unfinished else EXIT_OK
