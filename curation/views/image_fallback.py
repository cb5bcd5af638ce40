"""Gallery images of one size: a dead image becomes a placeholder of the same box, not a 16-px broken icon.

The browser fetches every preview itself (the server never does), so only the
browser knows when one fails. This component is fixed CSS and a fixed script,
mounted with a key and no data: it never sees, renders or builds anything from
a document. The CSS gives every image in a card's image box the box's size;
the script listens, on the document and in the capture phase (an image's
`error` event does not bubble), for images in the gallery that fail to load,
and points each at the constant placeholder below: an inline SVG, so the
placeholder itself never fails and fetches nothing.
"""

from __future__ import annotations

import streamlit as st

# In gallery.py, cards are keyed containers "gallery_card_<n>" holding an image box "gallery_image_<n>", all
# inside the "gallery_cards" container; 150 px is gallery.IMAGE_HEIGHT. Long texts end in "…" after 3 lines.
_GALLERY_CSS = """
/* On the Gallery, where this sheet is loaded: less space above the title, so a whole row of cards is on
   the first screen at 1280x720. */
.stMainBlockContainer {
  padding: 3rem 2.5rem 4rem;
}
.stMainBlockContainer h1 {
  padding-top: 0;
  padding-bottom: 0.25rem;
}
.st-key-gallery_cards [class*="st-key-gallery_image_"] {
  background: #f0f2f6;
  border-radius: 0.5rem;
}
.st-key-gallery_cards [class*="st-key-gallery_image_"] img {
  display: block;
  width: 100%;
  height: 150px;
  object-fit: cover;
}
.st-key-gallery_cards [class*="st-key-gallery_card_"] [data-testid="stMarkdownContainer"] p,
.st-key-gallery_cards [class*="st-key-gallery_card_"] [data-testid="stCaptionContainer"] p {
  display: -webkit-box;
  -webkit-box-orient: vertical;
  -webkit-line-clamp: 3;
  overflow: hidden;
}
"""

_PLACEHOLDER_JS = """
const PLACEHOLDER = 'data:image/svg+xml,' + encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="150" viewBox="0 0 320 150">' +
  '<rect width="320" height="150" fill="#f0f2f6"/>' +
  '<text x="160" y="80" text-anchor="middle" font-family="sans-serif" font-size="14" fill="#808495">' +
  'image unavailable</text></svg>');

export default function () {
  const inGallery = (node) => node instanceof HTMLImageElement && node.closest &&
    node.closest('.st-key-gallery_cards [class*="st-key-gallery_image_"]');
  const replace = (img) => {
    if (img.getAttribute('src') === PLACEHOLDER) return;  // never loop on the placeholder itself
    img.dataset.deadImage = 'true';
    img.src = PLACEHOLDER;
  };
  const onError = (event) => { if (inGallery(event.target)) replace(event.target); };
  // An image Streamlit reuses for another card loads a new URL: it is no longer the dead one.
  const onLoad = (event) => {
    if (inGallery(event.target) && event.target.getAttribute('src') !== PLACEHOLDER) {
      delete event.target.dataset.deadImage;
    }
  };
  if (window.__curationImageFallback) {
    document.removeEventListener('error', window.__curationImageFallback.onError, true);
    document.removeEventListener('load', window.__curationImageFallback.onLoad, true);
  }
  window.__curationImageFallback = { onError, onLoad };
  document.addEventListener('error', onError, true);
  document.addEventListener('load', onLoad, true);
  // Images that failed before this script ran.
  document.querySelectorAll('.st-key-gallery_cards [class*="st-key-gallery_image_"] img').forEach((img) => {
    if (img.complete && img.naturalWidth === 0 && img.getAttribute('src')) replace(img);
  });
  return () => {
    document.removeEventListener('error', onError, true);
    document.removeEventListener('load', onLoad, true);
    if (window.__curationImageFallback?.onError === onError) window.__curationImageFallback = null;
  };
}
"""

# isolate_styles=False: the CSS must reach the gallery's images, outside the component's own element.
_image_fallback = st.components.v2.component(
    "curation.image_fallback", js=_PLACEHOLDER_JS, css=_GALLERY_CSS, isolate_styles=False
)


def enable_image_fallback() -> None:
    """Mount the image box CSS and the dead-image placeholder (on every run of the Gallery, before its cards)."""
    _image_fallback(key="image_fallback")
