"""After a page turn from the Gallery's bottom pager, the editor reads on from the first card, not the bottom.

Streamlit has no scroll command, so this is a fixed script mounted with a key and no data: mounted once per
turn (a new key each time, so it runs again), it scrolls the gallery's cards into view and does nothing else.
"""

from __future__ import annotations

import streamlit as st

# gallery.py draws the cards in the container keyed "gallery_cards".
_SCROLL_JS = """
export default function () {
  const cards = document.querySelector('.st-key-gallery_cards');
  if (cards) cards.scrollIntoView({ block: 'start' });
}
"""

_scroll_to_cards = st.components.v2.component("curation.scroll_to_cards", js=_SCROLL_JS)


def scroll_to_cards(turn: int) -> None:
    """Scroll the cards into view (`turn` numbers the page turns, so each mounts the script anew)."""
    _scroll_to_cards(key=f"scroll_to_cards_{turn}")
