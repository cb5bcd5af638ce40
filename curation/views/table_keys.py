"""Arrow keys in the Articles table: Up and Down move the focus to the same box in the row above or below.

Streamlit has no keyboard navigation between widgets, so this is the one
component the dashboard mounts (st.components.v2, which runs in the page).
Its code is the fixed script below and it is mounted without data: it never
sees, renders or builds anything from a document. It only moves the focus
between checkboxes Streamlit drew; Space on a focused box then ticks it as
a click would. It also carries the table's one CSS rule: the edit buttons' labels
("Edit: <title>", their accessible names) are hidden on screen, where the pencil shows.
"""

from __future__ import annotations

import streamlit as st

# Keys of the boxes that take part, as their containers' classes start (see articles.published_key/select_key).
_MOVE_FOCUS_JS = """
export default function () {
  const columns = ['st-key-published-', 'st-key-select-'];
  const steps = { ArrowDown: 1, ArrowUp: -1 };
  const onKey = (event) => {
    const step = steps[event.key];
    if (!step || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const table = event.target.closest && event.target.closest('.st-key-articles_table');
    if (!table || event.target.type !== 'checkbox') return;
    const holder = event.target.closest('[class*="st-key-"]');
    const prefix = holder && columns.find((start) => [...holder.classList].some((name) => name.startsWith(start)));
    if (!prefix) return;
    const boxes = [...table.querySelectorAll('[class*="' + prefix + '"] input[type="checkbox"]')];
    const next = boxes[boxes.indexOf(event.target) + step];
    event.preventDefault();  // the page does not scroll by a line; at the first or last row nothing moves
    if (next) next.focus();
  };
  // One listener however often the table is drawn: a new mount replaces the last one's.
  if (window.__curationTableKeys) document.removeEventListener('keydown', window.__curationTableKeys, true);
  window.__curationTableKeys = onKey;
  document.addEventListener('keydown', onKey, true);
  return () => {
    document.removeEventListener('keydown', onKey, true);
    if (window.__curationTableKeys === onKey) window.__curationTableKeys = null;
  };
}
"""

# Visually hidden, still read by screen readers (the usual "sr-only" rule); the icon is aria-hidden.
_EDIT_LABELS_CSS = """
.st-key-articles_table [class*="st-key-edit-"] button [data-testid="stMarkdownContainer"] {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap;
}
"""

# isolate_styles=False: the CSS must reach the buttons, outside the component's own element.
_table_keys = st.components.v2.component(
    "curation.table_keys", js=_MOVE_FOCUS_JS, css=_EDIT_LABELS_CSS, isolate_styles=False
)


def enable_table_keys() -> None:
    """Mount the arrow-key navigation (draw it on every full run, at the same place, so nothing moves)."""
    _table_keys(key="table_keys")
