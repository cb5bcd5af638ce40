"""History in an editor's words: local times, "3 min ago", articles by title, a bulk action as one row,
each change whole as the lines of the file it rewrote, and the log narrowed to some articles or editors.

No Streamlit here. The History page (curation/views/history.py) passes in the
browser's time zone, the current titles and a clock; tests pass fixed ones.
Times are said in the editor's zone; the exact UTC time stays in its own column.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from curation.audit import AuditEntry, AuditHistory
from curation.editing.publish import Outcome, OutcomeStatus
from curation.wording import plural, published_label

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # not the locale's
OUTCOME_WORDS = {  # what each outcome of an undo means
    OutcomeStatus.CHANGED: "reverted",
    OutcomeStatus.UNCHANGED: "undone already",
    OutcomeStatus.CONFLICT: "conflict: changed since, left as it is",
    OutcomeStatus.REFUSED: "refused",
}
COLUMNS = ("when", "local time", "editor", "change", "article", "undone", "undo of", "log id", "UTC")


def editor_zone(name: str | None, offset_minutes: float | None = None) -> dt.tzinfo:
    """The browser's time zone: its IANA name, else its offset (minutes behind UTC, as in JavaScript), else UTC."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):  # an unknown or malformed name: try the offset
            pass
    if offset_minutes is not None and math.isfinite(offset_minutes) and abs(offset_minutes) < 24 * 60:
        return dt.timezone(-dt.timedelta(minutes=offset_minutes))
    return dt.UTC


@dataclass(frozen=True)
class EditorClock:
    """Now and the editor's time zone: every time on the page is said from them."""

    now: dt.datetime  # aware
    zone: dt.tzinfo = dt.UTC

    @classmethod
    def current(cls, zone: dt.tzinfo = dt.UTC) -> EditorClock:
        return cls(dt.datetime.now(dt.UTC), zone)

    def local(self, when: dt.datetime) -> str:
        """'14 Mar, 09:05 CET'; the year only when it is not this year."""
        there = when.astimezone(self.zone)
        year = "" if there.year == self.now.astimezone(self.zone).year else f" {there.year}"
        return f"{there.day} {MONTHS[there.month - 1]}{year}, {there:%H:%M} {there.tzname() or ''}".rstrip()

    def ago(self, when: dt.datetime) -> str:
        """'just now', '3 min ago', '2 h ago' (today), 'yesterday', '4 days ago', '3 weeks ago', ..."""
        seconds = (self.now - when).total_seconds()
        if seconds < -60:
            return "in the future"  # the clock of the host that wrote it is ahead of this one
        if seconds < 60:
            return "just now"
        if seconds < 3600:
            return f"{int(seconds // 60)} min ago"
        days = (self.now.astimezone(self.zone).date() - when.astimezone(self.zone).date()).days
        if days <= 0:
            return f"{int(seconds // 3600)} h ago"
        if days == 1:
            return "yesterday"
        if days < 7:
            return f"{days} days ago"
        if days < 30:
            return f"{plural(days // 7, 'week')} ago"
        if days < 365:
            return f"{plural(max(days // 30, 1), 'month')} ago"
        return f"{plural(days // 365, 'year')} ago"

    def zone_name(self) -> str:
        """'Europe/Berlin', or 'UTC+01:00' for a zone known by its offset only."""
        return str(getattr(self.zone, "key", None) or self.zone.tzname(self.now))

    def said(self, when: dt.datetime) -> str:
        """'14 Mar, 09:05 CET (3 min ago)'."""
        return f"{self.local(when)} ({self.ago(when)})"


def article_title(doc_id: str, titles: Mapping[str, object]) -> str:
    """The article's title now, or its id when the file is gone or has no title."""
    title = titles.get(doc_id) if doc_id in titles else None
    return title if isinstance(title, str) and title.strip() else doc_id


def utc_text(when: dt.datetime) -> str:
    """'2026-03-14 08:05:12 UTC': the exact time, to the second."""
    return f"{when.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"


def describe_change(entry: AuditEntry, arrow: str = "→") -> str:
    """'published → unpublished', or 'title: "Old" → "New"' for the other fields (the CLI's arrow is '->')."""
    if entry.field == "published":
        return f"{published_label(entry.old)} {arrow} {published_label(entry.new)}"
    return f"{entry.field}: {_shown_value(entry.old)} {arrow} {_shown_value(entry.new)}"


def change_summary(entry: AuditEntry) -> str:
    """The change in a table cell, what matters first: a topic change says what was added and removed
    ('topics: + "ai"'), where the whole lists would be cut after the first topic."""
    if entry.field != "topics":
        return describe_change(entry)
    old = entry.old if isinstance(entry.old, list) else []
    new = entry.new if isinstance(entry.new, list) else []
    parts = [f'+ "{topic}"' for topic in new if topic not in old] + [
        f'− "{topic}"' for topic in old if topic not in new
    ]
    if not parts:
        return describe_change(entry)  # the same topics in another order (or a missing list written): say it whole
    return "topics: " + ", ".join(parts)


def change_lines(entry: AuditEntry) -> str:
    """The change whole, as a diff of the file's lines: '@@ line 4 @@', '-' the lines before, '+' the lines after.

    An entry written before lines were logged (or a published flag inserted) says the field's values instead."""
    if entry.line is None or (entry.before is None and entry.after is None):
        return f"-{entry.field}: {_shown_value(entry.old)}\n+{entry.field}: {_shown_value(entry.new)}"
    removed = [] if entry.before is None else [f"-{line}" for line in entry.before.split("\n")]
    added = [] if entry.after is None else [f"+{line}" for line in entry.after.split("\n")]
    return "\n".join([f"@@ line {entry.line} @@", *removed, *added])


@dataclass(frozen=True)
class HistoryFilter:
    """Which changes History lists: those of some articles (None: every article) by some editors (empty: all)."""

    articles: frozenset[str] | None = None
    editors: frozenset[str] = frozenset()

    def positions(self, entries: Sequence[AuditEntry]) -> list[int]:
        """The log positions of the changes kept, oldest first."""
        return [
            position
            for position, entry in enumerate(entries)
            if (self.articles is None or entry.id in self.articles)
            and (not self.editors or entry.editor in self.editors)
        ]


def _shown_value(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(f'"{item}"' for item in value) + "]"
    return f'"{value}"'


def describe_bulk(entries: Sequence[AuditEntry]) -> str:
    """'Published 129 articles', 'Set title of 3 articles', 'Undid 4 changes'."""
    if all(entry.undoes for entry in entries):
        return f"Undid {plural(len(entries), 'change')}"
    articles = plural(len({entry.id for entry in entries}), "article")
    fields = {entry.field for entry in entries}
    if fields == {"published"} and len({entry.new for entry in entries}) == 1:
        return f"{'Published' if entries[0].new else 'Unpublished'} {articles}"
    if fields == {"topics"}:
        return f"Changed topics of {articles}"
    if len(fields) == 1:
        return f"Set {next(iter(fields))} of {articles}"
    return f"Changed {articles}"


@dataclass(frozen=True)
class HistoryRow:
    """One row of History: one change, or every change of one bulk request (`batch` set)."""

    positions: tuple[int, ...]  # log positions, newest first
    batch: str | None = None


def history_rows(
    entries: Sequence[AuditEntry], limit: int | None = None, positions: Sequence[int] | None = None
) -> list[HistoryRow]:
    """The log as rows, newest first: a bulk request's changes form one row, where its newest change is.
    Only the log `positions` given (oldest first) are listed, when given: a bulk request then shows the changes
    kept, and one kept change of it is a row of its own."""
    groups: list[list[int]] = []
    group_of: dict[str, list[int]] = {}
    for position in reversed(range(len(entries)) if positions is None else positions):
        batch = entries[position].batch
        if batch is not None and batch in group_of:
            group_of[batch].append(position)  # an older change of a row already listed
        elif limit is None or len(groups) < limit:
            groups.append([position])
            if batch is not None:
                group_of[batch] = groups[-1]
    return [
        HistoryRow(tuple(group), entries[group[0]].batch if len(group) > 1 else None)  # a batch of one is one change
        for group in groups
    ]


@dataclass
class HistoryWords:
    """Says a log's rows in an editor's words; judges only the entries it is asked about."""

    history: AuditHistory
    titles: Mapping[str, object]  # id -> title now (a pandas Series will do); a file gone is named by its id
    clock: EditorClock
    _by_change: dict[str, AuditEntry] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_change = {entry.change: entry for entry in self.history.entries}

    def title(self, doc_id: str) -> str:
        return article_title(doc_id, self.titles)

    def entries(self, row: HistoryRow) -> list[AuditEntry]:
        return [self.history.entries[position] for position in row.positions]

    def done(self, row: HistoryRow) -> list[AuditEntry]:
        """The row's changes that took effect."""
        return [self.history.entries[p] for p in row.positions if self.history.took_effect(p)]

    def file_rows(self, row: HistoryRow) -> list[dict[str, str]]:
        """The table's cells for each change of a row (a bulk action's files), newest first."""
        return [self.row(HistoryRow((position,))) for position in row.positions]

    def undone_count(self, row: HistoryRow) -> tuple[int, int]:
        """(how many of the row's changes are undone, how many took effect)."""
        done = self.done(row)
        return sum(self.history.is_undone(entry) for entry in done), len(done)

    def row(self, row: HistoryRow) -> dict[str, str]:
        """The table's cells for one row (the COLUMNS)."""
        entries, newest = self.entries(row), self.history.entries[row.positions[0]]
        done = self.done(row)
        if row.batch is None:
            change = change_summary(newest) + ("" if done else " (did not complete)")
            article, log_id = self.title(newest.id), f"change {newest.change}"
        else:
            missing = len(entries) - len(done)
            change = describe_bulk(entries) + (f" ({missing:,} did not complete)" if missing else "")
            article = self.articles(entries)
            log_id = f"batch {row.batch}"
        return {
            "when": self.clock.ago(newest.when),
            "local time": self.clock.local(newest.when),
            "editor": newest.editor,
            "change": change,
            "article": article,
            "undone": self.undone(done, bulk=row.batch is not None),
            "undo of": self.undo_of(entries),
            "log id": log_id,
            "UTC": utc_text(newest.when),
        }

    def articles(self, entries: Sequence[AuditEntry], named: int = 3) -> str:
        """A bulk row's articles: '20 articles: First · Second · Third · …' (one article: its title)."""
        ids = list(dict.fromkeys(entry.id for entry in entries))
        if len(ids) == 1:
            return self.title(ids[0])
        titles = " · ".join(self.title(doc_id) for doc_id in ids[:named])
        return f"{len(ids):,} articles: {titles}" + (" · …" if len(ids) > named else "")

    def undone(self, done: Sequence[AuditEntry], *, bulk: bool = False) -> str:
        """'by Bob, 2 min ago'; for a bulk action '3 of 5, by Bob, 2 min ago'; '' when nothing is undone."""
        undos = [undo for undo in map(self.history.reverted_by, done) if undo is not None]
        if not undos:
            return ""
        last = max(undos, key=lambda undo: undo.when)
        by = f"by {last.editor}, {self.clock.ago(last.when)}"
        return f"{len(undos):,} of {len(done):,}, {by}" if bulk else by

    def undo_of(self, entries: Sequence[AuditEntry]) -> str:
        """What an undo reverted: the article and its time, or the bulk action and its time."""
        changes = [entry.undoes for entry in entries if entry.undoes]
        found = [self._by_change[change] for change in changes if change in self._by_change]
        if not found:
            return "" if not changes else f"{plural(len(changes), 'change')} no longer in the log"
        newest = max(found, key=lambda target: target.when)
        at = self.clock.local(newest.when)
        batches = {target.batch for target in found}
        if len(changes) == 1:
            return f"{self.title(newest.id)} · {at}"
        if len(batches) == 1 and None not in batches:
            whole = [self.history.entries[position] for position in self.history.batch_positions(newest.batch or "")]
            return f"{describe_bulk(whole)} · {at}"
        return f"{plural(len(changes), 'change')} · {at}"

    def batch_label(self, row: HistoryRow) -> str:
        """'Published 5 articles · Ann · 14 Mar, 09:05 CET (3 min ago) · 2 of 5 undone'."""
        entries = self.entries(row)
        undone, done = self.undone_count(row)
        said = f"{describe_bulk(entries)} · {entries[0].editor} · {self.clock.said(entries[0].when)}"
        return said + (f" · {undone:,} of {done:,} undone" if undone else "")

    def change_label(self, entry: AuditEntry) -> str:
        """'published → unpublished · Title · Ann · 14 Mar, 09:05 CET (3 min ago)': the change first, where a long
        label is not cut (the whole change is drawn below the choice)."""
        return f"{change_summary(entry)} · {self.title(entry.id)} · {entry.editor} · {self.clock.said(entry.when)}"


def undo_summary(outcomes: Sequence[Outcome]) -> str:
    """'Reverted 3 of 4 articles · 1 conflict · 0 refused', and how many were undone already."""
    count = {status: sum(outcome.status == status for outcome in outcomes) for status in OutcomeStatus}
    text = (
        f"Reverted {count[OutcomeStatus.CHANGED]:,} of {plural(len(outcomes), 'article')} · "
        f"{plural(count[OutcomeStatus.CONFLICT], 'conflict')} · {count[OutcomeStatus.REFUSED]:,} refused"
    )
    unchanged = count[OutcomeStatus.UNCHANGED]
    return text + (f" · {unchanged:,} undone already" if unchanged else "")


def outcome_rows(outcomes: Iterable[Outcome], titles: Mapping[str, object]) -> list[dict[str, str]]:
    """One row per file of an undo: the article by its title, what happened, and why when it was not written."""
    return [
        {
            "article": article_title(outcome.id, titles),
            "outcome": OUTCOME_WORDS[outcome.status],
            "file": outcome.id,
            "message": outcome.message,
        }
        for outcome in outcomes
    ]
