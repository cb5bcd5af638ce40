"""A file that could not be loaded, or a warning about one that was; their kinds, headings and report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curation.errors import DocumentError, format_location

# Every kind a Problem is given (DocumentError.kind, the loaders' and the audit log's own), with the heading
# the Problems page shows above its files. The code stays in the data, the report and small type on the page.
KIND_HEADINGS = {
    "yaml-syntax": "YAML syntax errors",
    "front-matter": "Missing or unclosed front matter",
    "not-a-mapping": "Front matter that is not key: value lines",
    "invalid-field": "Fields with invalid values",
    "invalid": "Invalid documents",
    "duplicate-key": "Keys written twice",
    "anchor": "YAML anchors and aliases",
    "encoding": "Files that are not UTF-8 text",
    "line-break": "Unusual line breaks",
    "too-large": "Files over the 1 MiB limit",
    "too-deep": "Front matter nested too deeply",
    "unreadable": "Files that could not be read",
    "not-a-file": "Links and other entries that are not files",
    "internal": "Files the dashboard failed on (a bug: please report it)",
    "audit": "Unreadable audit log entries",
    "duplicate": "Likely duplicates",
    "state": "Dashboard state that could not be saved",
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
    kind: str

    def __post_init__(self) -> None:
        # A report holds one problem per line; a message from a parser or the cache may not.
        object.__setattr__(self, "message", one_line(self.message))

    def __str__(self) -> str:
        return f"{format_location(self.path, self.line)}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message, "kind": self.kind}

    @classmethod
    def from_error(cls, error: DocumentError) -> Problem:
        return cls(error.path, error.line, error.message, error.kind)


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
