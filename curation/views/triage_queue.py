"""Triage's queue and an editor's progress through it (no Streamlit here: the page keeps it in the session).

The queue is the sidebar's filter and sort, taken when the view is opened: it holds still while the editor
works through it (an article published in the *unpublished* view keeps its place), and is taken again
only when the filter or the sort changes, when the editor stays on the same card if it is still in it.
Progress is this session's: where the editor is, what they did to each card (published, unpublished,
skipped; the counts come from these marks) and the changes they wrote, newest last, for undo.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property


class Mark(StrEnum):
    """What the editor did to a card in this session."""

    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class TriageQueue:
    """The articles of one view (location and filters) in the sidebar's order."""

    view: tuple[object, ...]
    ids: tuple[str, ...]
    token: str = field(default_factory=lambda: uuid.uuid4().hex)  # names this queue to the browser

    @cached_property
    def positions(self) -> dict[str, int]:
        return {doc_id: position for position, doc_id in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Written:
    """A change this session wrote from Triage: its audit change id, the article, and its mark before."""

    change: str
    doc_id: str
    mark_before: Mark | None


@dataclass
class TriageProgress:
    """Where the editor is in the queue (`at` = len(queue) once past the last card) and what they did."""

    queue: TriageQueue
    at: int = 0
    marks: dict[str, Mark] = field(default_factory=dict)
    written: list[Written] = field(default_factory=list)
    own_writes: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (sha before, sha after)
    notice: str = ""  # a line for the editor until their next action (a link's unknown card, a conflict)
    editing: str | None = None  # the article whose dialog this page opened, until its save is taken

    @property
    def current_id(self) -> str | None:
        return self.queue.ids[self.at] if self.at < len(self.queue) else None

    def with_queue(self, queue: TriageQueue) -> TriageProgress:
        """The same session's progress in another queue: on the same card if it is there, else the first."""
        current = self.current_id
        at = queue.positions.get(current, 0) if current is not None else 0
        return TriageProgress(queue, at, self.marks, self.written, self.own_writes, editing=self.editing)

    def open_linked(self, doc_id: str) -> None:
        """A shared link's card: shown if it is in the queue, else the first card, with a note saying so."""
        position = self.queue.positions.get(doc_id)
        if position is None:
            self.at = 0
            self.notice = f"The linked article {doc_id} is not in this queue (the filters); showing the first."
        else:
            self.at = position

    def move_after(self, doc_id: str) -> None:
        self.at = min(self.queue.positions[doc_id] + 1, len(self.queue))

    def move_to(self, doc_id: str) -> None:
        self.at = self.queue.positions.get(doc_id, self.at)

    def mark(self, doc_id: str, mark: Mark) -> Mark | None:
        """Set a card's mark; a skip keeps what the editor did to it before. Returns the mark it had."""
        before = self.marks.get(doc_id)
        if mark != Mark.SKIPPED or before is None:
            self.marks[doc_id] = mark
        return before

    def expected_sha(self, doc_id: str, shown_sha: str) -> str:
        """The sha to write against: the card's, or ours when the card still shows the version before our
        own last write to it (a key pressed again before the card was drawn anew)."""
        last = self.own_writes.get(doc_id)
        return last[1] if last and last[0] == shown_sha else shown_sha

    def record_write(self, change: str, doc_id: str, mark_before: Mark | None, shas: tuple[str, str]) -> None:
        self.written.append(Written(change, doc_id, mark_before))
        self.own_writes[doc_id] = shas

    def take_back(self, written: Written) -> None:
        """An undone change: the card's mark goes back to what it was before that change."""
        if written.mark_before is None:
            self.marks.pop(written.doc_id, None)
        else:
            self.marks[written.doc_id] = written.mark_before

    def counts(self) -> dict[str, int]:
        marks = list(self.marks.values())
        return {mark.value: marks.count(mark) for mark in Mark}

    def window(self, before: int = 2, after: int = 3) -> range:
        """The positions whose cards the browser gets: the current one, some before (for back) and after
        (shown at once on a key press, their images loaded ahead)."""
        return range(max(0, self.at - before), min(len(self.queue), self.at + after + 1))
