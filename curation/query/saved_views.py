"""Saved views: a name for a set of filters and a sort, shared by the team with the documents' state.

A view is stored as the URL query parameters of its filters (Filters.to_query
against the plain Filters(), so a link and a view say a filter the same way),
with who saved it and when, in one file: `.curation/views.json` in a folder,
`<prefix>/.curation/views.json` in a bucket (curation.store.state_file).

    {"format": 1, "views": [{"name": "Morning", "query": {"published": ["unpublished"], "sort": ["quality"],
      "desc": ["true"]}, "saved_by": "ann", "saved_at": "2026-12-05T06:00:00Z"}]}

Every save, rename and delete is applied to the newest version of the file,
so two editors saving at once lose nothing; an operation that would replace
or remove a view someone else changed since the editor read it is refused
with ViewConflictError (naming who saved it and when) unless the editor
chose to overwrite (`replace`). The file is other people's input: it is read
at most MAX_VIEWS_BYTES, a file that is not a views file is an error naming
it (and is never replaced: the views in it are not lost), and an entry that
is not a view is named in `problems` and kept as it is when the file is
written again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from curation.audit import check_editor_name
from curation.errors import RequestError
from curation.query.filters import QUERY_PARAMETERS, Filters
from curation.store.base import Location
from curation.store.state_file import (
    StateFile,
    StateFileError,
    read_state_file,
    state_file_address,
    update_state_file,
)
from curation.untrusted_json import loads_untrusted

VIEWS_FILE = "views.json"
VIEWS_FORMAT = 1
MAX_VIEWS_BYTES = 1024 * 1024
MAX_VIEW_NAME = 80
MAX_QUERY_VALUES = 200  # values in one view's query (a category list is long at 20)
MAX_VALUE_CHARS = 500
VIEW_PARAMETER = "view"  # the dashboard URL's parameter naming the view opened
VIEW_FLAG_HELP = (
    "start from a saved view's filters and sort (`curation views list`); filter flags given too replace the view's "
    "value for that filter"
)


class ViewNameError(RequestError):
    """A view name that cannot be used: empty, longer than MAX_VIEW_NAME, or holding a control character."""


class UnknownViewError(RequestError):
    """No view has this name; the message lists the ones there are."""


class ViewConflictError(RequestError):
    """A view someone else saved, renamed or deleted since the editor read the list; `view` is what is there now
    (None when it is gone)."""

    def __init__(self, message: str, view: SavedView | None = None) -> None:
        super().__init__(message)
        self.view = view


class BrokenViewError(RequestError):
    """A saved view whose stored filters cannot all be used (the file was edited by hand, or by a newer version)."""


def check_view_name(name: object) -> str:
    """The name as it is stored (spaces around it dropped), or ViewNameError saying what is wrong."""
    if not isinstance(name, str) or not name.strip():
        raise ViewNameError("a view's name cannot be empty")
    text = name.strip()
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            raise ViewNameError(f"a view's name cannot hold the control character U+{ord(char):04X}")
    if len(text) > MAX_VIEW_NAME:
        raise ViewNameError(f"a view's name is at most {MAX_VIEW_NAME} characters, not {len(text):,}")
    return text


def now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def time_shown(saved_at: str) -> str:
    """`2026-12-05T06:00:00Z` as `2026-12-05 06:00 UTC` (as stored when it is not such a time)."""
    try:
        when = dt.datetime.strptime(saved_at, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return saved_at
    return when.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class SavedView:
    """One view: its name, its filters as URL query parameters, who saved it and when."""

    name: str
    query: dict[str, tuple[str, ...]]
    saved_by: str
    saved_at: str  # UTC, `2026-12-05T06:00:00Z`

    @classmethod
    def of(cls, name: str, filters: Filters, editor: str) -> SavedView:
        query = {parameter: tuple(values) for parameter, values in filters.to_query(Filters()).items()}
        return cls(check_view_name(name), query, check_editor_name(editor), now_text())

    @property
    def token(self) -> str:
        """What the editor saw of this view: any save, rename or edit of it changes the token."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode("utf-8")).hexdigest()[:16]

    def filters(self) -> tuple[Filters, list[str]]:
        """Its filters, and a message for each stored parameter that could not be used (then left out)."""
        filters, complaints = Filters.from_query(dict(self.query), Filters())
        unknown = [f"the parameter {name!r} is not a filter and was ignored" for name in self.query
                   if name not in QUERY_PARAMETERS]  # fmt: skip
        return filters, [complaint.replace("the link's ", "") for complaint in complaints] + unknown

    def saved_text(self) -> str:
        return f"saved by {self.saved_by} at {time_shown(self.saved_at)}"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "query": {name: list(values) for name, values in self.query.items()},
                "saved_by": self.saved_by, "saved_at": self.saved_at}  # fmt: skip


@dataclass(frozen=True)
class SavedViews:
    """The views file as read: its views in their order, what could not be read of it, and its version."""

    views: tuple[SavedView, ...] = ()
    problems: tuple[str, ...] = ()  # one message per entry that is not a view (file and entry named)
    kept: tuple[Any, ...] = ()  # those entries as they were, written back unchanged
    state: StateFile = field(default_factory=lambda: StateFile(None, "", VIEWS_FILE))

    @property
    def shown(self) -> str:
        return self.state.shown

    def names(self) -> list[str]:
        return [view.name for view in self.views]

    def get(self, name: str) -> SavedView | None:
        return next((view for view in self.views if view.name == name), None)

    def named(self, name: str) -> SavedView:
        """The view of this name, or UnknownViewError listing the known ones."""
        view = self.get(name)
        if view is None:
            raise UnknownViewError(unknown_view_message(name, self.names()))
        return view

    def with_views(self, views: Sequence[SavedView]) -> SavedViews:
        return SavedViews(tuple(views), self.problems, self.kept, self.state)

    def to_bytes(self) -> bytes:
        entries = [view.to_json() for view in self.views] + list(self.kept)
        return (json.dumps({"format": VIEWS_FORMAT, "views": entries}, ensure_ascii=False, indent=1) + "\n").encode()


def unknown_view_message(name: str, known: Sequence[str]) -> str:
    there = f"the saved views are: {', '.join(known)}" if known else "there are no saved views yet"
    return f"no view named {name!r}; {there} (`curation views list`)"


# -- reading ------------------------------------------------------------------------------------------


def parse_views(state: StateFile) -> SavedViews:
    """The views in a views file's bytes; StateFileError naming the file when it is not a views file."""
    if state.raw is None:
        return SavedViews(state=state)
    try:
        data = loads_untrusted(state.raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise StateFileError(state.shown, "is not UTF-8 text; move it away (views are saved again afresh)") from None
    except json.JSONDecodeError as error:
        raise StateFileError(state.shown, f"is not JSON ({error.msg}); fix it or move it away", error.lineno) from None
    except ValueError as error:  # nested too deeply
        raise StateFileError(state.shown, f"is not usable JSON ({error}); fix it or move it away") from None
    if not (isinstance(data, dict) and isinstance(data.get("views"), list)):
        raise StateFileError(state.shown, 'is not a views file (an object with a "views" list); fix it or move it away')
    if data.get("format") != VIEWS_FORMAT:
        raise StateFileError(state.shown, f"is views format {data.get('format')!r}, not {VIEWS_FORMAT}: written by "
                                          "another version of curation; use that version")  # fmt: skip
    views: list[SavedView] = []
    problems: list[str] = []
    kept: list[Any] = []
    for number, entry in enumerate(data["views"], start=1):
        try:
            view = _view_from_json(entry)
            if any(other.name == view.name for other in views):
                raise ValueError(f"a second view named {view.name!r}")
        except ValueError as error:
            problems.append(f"{state.shown}: view {number} was left out: {error}")
            kept.append(entry)
            continue
        views.append(view)
    return SavedViews(tuple(views), tuple(problems), tuple(kept), state)


def _view_from_json(entry: object) -> SavedView:
    """One entry of the file as a SavedView; ValueError saying what is wrong with it."""
    if not isinstance(entry, dict):
        raise ValueError("not an object")
    try:
        name = check_view_name(entry.get("name"))
    except ViewNameError as error:
        raise ValueError(error.message) from None
    query = entry.get("query")
    if not isinstance(query, dict):
        raise ValueError(f"{name!r} has no query object")
    if not all(isinstance(values, list) for values in query.values()):
        raise ValueError(f"{name!r}: each query parameter must be a list of texts")
    values = [value for parameter in query.values() for value in parameter]
    if not all(isinstance(value, str) and len(value) <= MAX_VALUE_CHARS for value in values):
        raise ValueError(f"{name!r}: each query value must be a text of at most {MAX_VALUE_CHARS} characters")
    if len(values) > MAX_QUERY_VALUES:
        raise ValueError(f"{name!r} has more than {MAX_QUERY_VALUES} query values")
    saved_by, saved_at = entry.get("saved_by"), entry.get("saved_at")
    if not (isinstance(saved_by, str) and isinstance(saved_at, str) and len(saved_at) <= 40):
        raise ValueError(f"{name!r} does not say who saved it when (saved_by, saved_at)")
    try:
        saved_by = check_editor_name(saved_by)
    except RequestError as error:
        raise ValueError(f"{name!r}: {error.message}") from None
    return SavedView(name, {str(key): tuple(value) for key, value in query.items()}, saved_by, saved_at)


def read_views(location: Location, known: SavedViews | None = None) -> SavedViews:
    """The saved views of a docs location (`known` back, unparsed again, when the file is still that version);
    StateFileError naming the file when it cannot be used, StoreError when the bucket cannot be reached."""
    state = read_state_file(location, VIEWS_FILE, MAX_VIEWS_BYTES, known.state if known is not None else None)
    if known is not None and state is known.state:
        return known
    return parse_views(state)


def view_filters(location: Location, name: str) -> Filters:
    """The filters of the view `name`, for a command: UnknownViewError when there is none, BrokenViewError
    when any stored parameter cannot be used (a write must never act on fewer filters than the view says)."""
    view = read_views(location).named(name)
    filters, complaints = view.filters()
    if complaints:
        raise BrokenViewError(f"view {name!r} in {state_shown(location)} cannot be used: {'; '.join(complaints)}; "
                              f"save it again (`curation views save {name} ... --replace`)")  # fmt: skip
    return filters


def state_shown(location: Location) -> str:
    """Where the views file of a location is, to name it in a message."""
    return state_file_address(location, VIEWS_FILE)


# -- changing: each operation is applied to the newest file ------------------------------------------------

Operation = Callable[[SavedViews], tuple[SavedViews, SavedView]]  # the views after, and the view it is about


def _apply(location: Location, operation: Operation) -> SavedView:
    """Apply the operation to the newest views file and write it; the view it saved, renamed or deleted."""
    outcome: list[SavedView] = []

    def change(state: StateFile) -> bytes:
        changed, view = operation(parse_views(state))
        outcome[:] = [view]
        return changed.to_bytes()

    update_state_file(location, VIEWS_FILE, MAX_VIEWS_BYTES, change)
    return outcome[0]


def _changed_meanwhile(existing: SavedView, seen: str | None, replace: bool) -> bool:
    """Whether replacing `existing` would overwrite what someone else saved since the editor read it."""
    return not replace and existing.token != seen


def saving(name: str, filters: Filters, editor: str, *, seen: str | None = None, replace: bool = False) -> Operation:
    """Save the view `name`; it replaces a view of that name only when it is the one the editor saw (`seen`, its
    token) or `replace` says so, and ViewConflictError names who saved the one there otherwise."""
    new = SavedView.of(name, filters, editor)

    def operation(views: SavedViews) -> tuple[SavedViews, SavedView]:
        existing = views.get(new.name)
        if existing is not None and _changed_meanwhile(existing, seen, replace):
            raise ViewConflictError(f"a view named {new.name} was {existing.saved_text()} meanwhile", existing)
        kept = [new if view.name == new.name else view for view in views.views]
        return views.with_views(kept if existing is not None else [*kept, new]), new

    return operation


def renaming(old: str, new_name: str, editor: str, *, seen: str | None = None, replace: bool = False) -> Operation:
    """Rename a view (it keeps its filters and its place); `seen` is the token of the view the editor renames."""
    new_name = check_view_name(new_name)
    editor = check_editor_name(editor)

    def operation(views: SavedViews) -> tuple[SavedViews, SavedView]:
        current = views.get(old)
        if current is None and seen is None:
            raise UnknownViewError(unknown_view_message(old, views.names()))
        if current is None:
            raise ViewConflictError(f"the view {old} is gone: deleted or renamed meanwhile")
        if seen is not None and current.token != seen:
            raise ViewConflictError(f"the view {old} was {current.saved_text()} meanwhile", current)
        clash = views.get(new_name) if new_name != old else None
        if clash is not None and not replace:
            raise ViewConflictError(f"a view named {new_name} exists ({clash.saved_text()})", clash)
        renamed = SavedView(new_name, current.query, editor, now_text())
        kept = [
            renamed if view.name == old else view for view in views.views if view.name != new_name or view is current
        ]
        return views.with_views(kept), renamed

    return operation


def deleting(name: str, *, seen: str | None = None) -> Operation:
    """Delete a view; `seen` (its token) refuses to delete a view someone changed since the editor read it."""

    def operation(views: SavedViews) -> tuple[SavedViews, SavedView]:
        current = views.get(name)
        if current is None:
            raise UnknownViewError(unknown_view_message(name, views.names()))
        if seen is not None and current.token != seen:
            raise ViewConflictError(f"the view {name} was {current.saved_text()} meanwhile", current)
        return views.with_views([view for view in views.views if view.name != name]), current

    return operation


def save_view(
    location: Location, name: str, filters: Filters, editor: str, *, seen: str | None = None, replace: bool = False
) -> SavedView:
    """Save the filters as the view `name` (see `saving`); the view as written."""
    return _apply(location, saving(name, filters, editor, seen=seen, replace=replace))


def rename_view(
    location: Location, old: str, new_name: str, editor: str, *, seen: str | None = None, replace: bool = False
) -> SavedView:
    """Rename the view `old` (see `renaming`); the view as written."""
    return _apply(location, renaming(old, new_name, editor, seen=seen, replace=replace))


def delete_view(location: Location, name: str, *, seen: str | None = None) -> SavedView:
    """Delete the view `name` (see `deleting`); the view deleted."""
    return _apply(location, deleting(name, seen=seen))


def views_to_json(views: SavedViews) -> list[dict[str, Any]]:
    """The views as `curation views list --json` prints them: each with its filters in words and any problem."""
    listed = []
    for view in views.views:
        filters, complaints = view.filters()
        listed.append({**view.to_json(), "description": describe_view(filters), "problems": complaints})
    return listed


def describe_view(filters: Filters) -> str:
    """A view's filters and its order in words: 'unpublished · sorted by quality, descending'."""
    order = f"sorted by {filters.sort}{', descending' if filters.descending else ''}"
    return f"{filters.describe()} · {order}"
