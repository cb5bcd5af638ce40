"""A file that could not be loaded, or a warning about one that was."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from curation.errors import DocumentError


@dataclass(frozen=True)
class Problem:
    """A file that could not be loaded, or a warning about one that was."""

    path: str
    line: int | None
    message: str
    kind: str

    def __str__(self) -> str:
        location = f"{self.path}:{self.line}" if self.line else self.path
        return f"{location}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "message": self.message, "kind": self.kind}

    @classmethod
    def from_error(cls, error: DocumentError) -> Problem:
        return cls(error.path, error.line, error.message, error.kind)
