"""A file that could not be loaded, or a warning about one that was; their kinds, headings and report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from curation.errors import DocumentError, format_location


class ProblemKind(StrEnum):
    """Every kind a Problem is given (DocumentError.kind, the loaders' and the audit log's own); compares equal
    to, and prints as, its code."""

    YAML_SYNTAX = "yaml-syntax"
    FRONT_MATTER = "front-matter"
    NOT_A_MAPPING = "not-a-mapping"
    INVALID_FIELD = "invalid-field"
    INVALID = "invalid"
    DUPLICATE_KEY = "duplicate-key"
    ANCHOR = "anchor"
    ENCODING = "encoding"
    LINE_BREAK = "line-break"
    TOO_LARGE = "too-large"
    TOO_DEEP = "too-deep"
    UNREADABLE = "unreadable"
    NOT_A_FILE = "not-a-file"
    INTERNAL = "internal"
    AUDIT = "audit"
    DUPLICATE = "duplicate"
    STATE = "state"


# The heading the Problems page shows above each kind's files. The code stays in the data, the report and
# small type on the page.
KIND_HEADINGS = {
    ProblemKind.YAML_SYNTAX: "YAML syntax errors",
    ProblemKind.FRONT_MATTER: "Missing or unclosed front matter",
    ProblemKind.NOT_A_MAPPING: "Front matter that is not key: value lines",
    ProblemKind.INVALID_FIELD: "Fields with invalid values",
    ProblemKind.INVALID: "Invalid documents",
    ProblemKind.DUPLICATE_KEY: "Keys written twice",
    ProblemKind.ANCHOR: "YAML anchors and aliases",
    ProblemKind.ENCODING: "Files that are not UTF-8 text",
    ProblemKind.LINE_BREAK: "Unusual line breaks",
    ProblemKind.TOO_LARGE: "Files over the 1 MiB limit",
    ProblemKind.TOO_DEEP: "Front matter nested too deeply",
    ProblemKind.UNREADABLE: "Files that could not be read",
    ProblemKind.NOT_A_FILE: "Links and other entries that are not files",
    ProblemKind.INTERNAL: "Files the dashboard failed on (a bug: please report it)",
    ProblemKind.AUDIT: "Unreadable audit log entries",
    ProblemKind.DUPLICATE: "Likely duplicates",
    ProblemKind.STATE: "Dashboard state that could not be saved",
}


def one_line(message: str) -> str:
    """The message with its line breaks folded into single spaces."""
    lines = message.splitlines()
    if len(lines) == 1 and lines[0] == message:
        return message
    return " ".join(stripped for line in lines if (stripped := line.strip()))


@dataclass(frozen=True)
class Problem:
    """A file that could not be loaded, or a warning about one that was."""

    path: str
    line: int | None
    message: str
    kind: ProblemKind | str  # a word no ProblemKind has (e.g. from an older cache) is shown as its code in words

    def __post_init__(self) -> None:
        # A report holds one problem per line; a message from a parser or the cache may not.
        object.__setattr__(self, "message", one_line(self.message))
        object.__setattr__(self, "kind", known_kind(self.kind))

    def __str__(self) -> str:
        return f"{format_location(self.path, self.line)}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message, "kind": self.kind}

    @classmethod
    def from_error(cls, error: DocumentError) -> Problem:
        return cls(error.path, error.line, error.message, error.kind)


def known_kind(kind: str) -> ProblemKind | str:
    """The ProblemKind this word names, or the word itself when none does."""
    try:
        return ProblemKind(kind)
    except ValueError:
        return kind


def kind_heading(kind: str) -> str:
    """The human heading for a problem kind (a kind without one reads as its code in words)."""
    return KIND_HEADINGS.get(kind) or kind.replace("-", " ").capitalize()


def problems_by_kind(problems: Iterable[Problem]) -> dict[str, list[Problem]]:
    """Problems grouped by kind, the kinds in the order of their headings."""
    grouped: dict[str, list[Problem]] = defaultdict(list)
    for problem in problems:
        grouped[problem.kind].append(problem)
    return dict(sorted(grouped.items(), key=lambda item: (kind_heading(item[0]).casefold(), item[0])))


def problem_report(folder: Path | str, problems: list[Problem], warnings: list[Problem]) -> str:
    """Plain text an editor can paste into a message to whoever fixes the files."""
    lines = [f"Problems in {folder} ({len(problems)} files could not be loaded):"]
    lines += [f"  {problem}" for problem in problems] or ["  none"]
    if warnings:
        lines += ["", f"Likely duplicates ({len(warnings)}):"]
        lines += [f"  {warning}" for warning in warnings]
    return "\n".join(lines)
