"""A file that could not be loaded, or a warning about one that was."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from curation.errors import DocumentError


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
        location = f"{self.path}:{self.line}" if self.line else self.path
        return f"{location}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message, "kind": self.kind}

    @classmethod
    def from_error(cls, error: DocumentError) -> Problem:
        return cls(error.path, error.line, error.message, error.kind)
