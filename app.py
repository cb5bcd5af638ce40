"""The curation dashboard: navigation and the shared sidebar; each page lives in curation/views/."""

import streamlit as st

from curation.errors import DocsFolderError, StoreError
from curation.views.access import resolve_identity
from curation.views.session import Dashboard, current_collection, docs_location, set_dashboard
from curation.views.sidebar import render_filters
from curation.views.url_state import ARTICLES_PARAMETERS, GALLERY_PARAMETERS, TRIAGE_PARAMETERS, drop_parameters

st.set_page_config(page_title="Curation", page_icon="📰", layout="wide")

articles = st.Page("curation/views/articles.py", title="Articles", icon="📰", default=True)
gallery = st.Page("curation/views/gallery.py", title="Gallery", icon="🖼️")
triage = st.Page("curation/views/triage.py", title="Triage", icon="🗂️", url_path="triage")
pages = st.navigation(
    [
        articles,
        triage,
        st.Page("curation/views/charts.py", title="Charts", icon="📊"),
        gallery,
        st.Page("curation/views/problems.py", title="Problems", icon="⚠️"),
        st.Page("curation/views/history.py", title="History", icon="🕘"),
    ]
)
filters_area = st.sidebar.container()  # the filters come first; who you are is one line below them
identity = resolve_identity()  # with a login configured, stops here until the user logs in
loading = st.empty()  # drawn on every run, so a load's progress moves nothing on the page
try:
    collection = current_collection(docs_location(), loading)
except (DocsFolderError, StoreError) as error:
    st.error(f"{error}. Set CURATION_DOCS to a folder or an s3:// prefix of article documents and restart.", icon="📂")
    st.stop()
selection = render_filters(collection, filters_area)
board = Dashboard(collection, selection.filters, selection.positions(), identity.name, identity.can_edit,
                  identity.why_not)  # fmt: skip
set_dashboard(board)
if pages.url_path != articles.url_path:
    drop_parameters(ARTICLES_PARAMETERS)  # the table's page and layout mean nothing elsewhere
if pages.url_path != gallery.url_path:
    drop_parameters(GALLERY_PARAMETERS)
if pages.url_path != triage.url_path:
    drop_parameters(TRIAGE_PARAMETERS)  # the card is Triage's place in its queue
pages.run()
