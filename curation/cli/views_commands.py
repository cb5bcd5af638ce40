"""`curation views`: list, save, rename and delete the team's saved views (curation.query.saved_views).

`--view NAME` on export, publish, unpublish, set and topics is part of the
filter flags (curation.cli.add_filter_arguments).
"""

from __future__ import annotations

import argparse

from curation.audit import MAX_EDITOR_NAME
from curation.cli import (
    EXIT_OK,
    EXIT_PROBLEMS,
    Commands,
    Parents,
    _editor_name,
    add_filter_arguments,
    filters_from_arguments,
    say,
)
from curation.cli.terminal import json_text
from curation.query.saved_views import (
    MAX_VIEW_NAME,
    SavedView,
    ViewConflictError,
    ViewNameError,
    check_view_name,
    delete_view,
    read_views,
    rename_view,
    save_view,
    state_shown,
    time_shown,
    views_to_json,
)

NAME_HELP = f"the view's name: at most {MAX_VIEW_NAME} characters, no control characters"


def _view_name(text: str) -> str:
    try:
        return check_view_name(text)
    except ViewNameError as error:
        raise argparse.ArgumentTypeError(error.message) from None


def add_views(commands: Commands, parents: Parents) -> None:
    views = commands.add_parser(
        "views", help="list, save, rename and delete the team's saved views (a name for filters and a sort)",
        description="Saved views are shared by everyone using the same docs folder or S3 prefix; they are stored in "
        "its .curation/views.json. Use one with --view NAME on export, publish, unpublish, set and topics.",
    )  # fmt: skip
    actions = views.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[parents.common], help="the saved views, with their filters")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=command_views_list)

    editor = argparse.ArgumentParser(add_help=False)
    editor.add_argument(
        "--editor", type=_editor_name, default="cli", metavar="NAME",
        help=f"who is saving, at most {MAX_EDITOR_NAME} characters (default: cli)",
    )  # fmt: skip
    save = actions.add_parser(
        "save", parents=[parents.common, editor], help="save the filter flags and --sort given as a view",
        description="Save the filters as a view. Without --replace, a view of that name already saved is not "
        "overwritten: the command says who saved it and when.",
    )  # fmt: skip
    save.add_argument("name", type=_view_name, metavar="NAME", help=NAME_HELP)
    save.add_argument("--replace", action="store_true", help="overwrite a view of that name")
    add_filter_arguments(save)
    save.set_defaults(run=command_views_save)

    rename = actions.add_parser("rename", parents=[parents.common, editor], help="rename a view")
    rename.add_argument("old", metavar="OLD")
    rename.add_argument("new", type=_view_name, metavar="NEW", help=NAME_HELP)
    rename.add_argument("--replace", action="store_true", help="overwrite a view already named NEW")
    rename.set_defaults(run=command_views_rename)

    delete = actions.add_parser("delete", parents=[parents.common], help="delete a view")
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(run=command_views_delete)


def command_views_list(args: argparse.Namespace) -> int:
    views = read_views(args.docs)
    for problem in views.problems:
        say(f"warning: {problem}", error=True)
    listed = views_to_json(views)
    if args.json:
        print(json_text(listed))
        return EXIT_OK
    for view in listed:
        say(f"{view['name']}: {view['description']}  (saved by {view['saved_by']} at {time_shown(view['saved_at'])})")
        for complaint in view["problems"]:
            say(f"warning: {state_shown(args.docs)}: view {view['name']!r}: {complaint}", error=True)
    if not listed:
        say("no saved views yet: save one with `curation views save NAME [filter flags]`", error=True)
    return EXIT_OK


def command_views_save(args: argparse.Namespace) -> int:
    filters = filters_from_arguments(args)
    there = read_views(args.docs).get(args.name)
    if there is not None and there.query == SavedView.of(args.name, filters, args.editor).query:
        say(f"view {there.name} unchanged: it holds these filters already ({filters.describe()}); nothing was written")
        return EXIT_OK
    try:
        view = save_view(args.docs, args.name, filters, args.editor, replace=args.replace)
    except ViewConflictError as error:
        assert error.view is not None
        say(f"curation views save: a view named {args.name} exists ({error.view.saved_text()}); nothing was "
            "written: add --replace to overwrite it", error=True)  # fmt: skip
        return EXIT_PROBLEMS
    say(f"saved view {view.name}: {filters.describe()}")
    return EXIT_OK


def command_views_rename(args: argparse.Namespace) -> int:
    if args.new == args.old and read_views(args.docs).get(args.old) is not None:
        say(f"view {args.old} unchanged: it has that name already; nothing was written")
        return EXIT_OK
    try:
        view = rename_view(args.docs, args.old, args.new, args.editor, replace=args.replace)
    except ViewConflictError as error:
        advice = "; add --replace to overwrite it" if error.view is not None else ""
        say(f"curation views rename: {error}; nothing was written{advice}", error=True)
        return EXIT_PROBLEMS
    say(f"renamed view {args.old} to {view.name}")
    return EXIT_OK


def command_views_delete(args: argparse.Namespace) -> int:
    view = delete_view(args.docs, args.name)  # UnknownViewError (a usage error) lists the views there are
    say(f"deleted view {view.name} (it was {view.saved_text()})")
    return EXIT_OK
