"""The curation dashboard: navigation and the shared sidebar; each page lives in curation/views/."""

import streamlit as st

from curation.views.session import Dashboard, current_collection, docs_folder, set_dashboard
from curation.views.sidebar import render_editor_identity, render_filters

st.set_page_config(page_title="Curation", page_icon="📰", layout="wide")

pages = st.navigation(
    [
        st.Page("curation/views/articles.py", title="Articles", icon="📰", default=True),
        st.Page("curation/views/charts.py", title="Charts", icon="📊"),
        st.Page("curation/views/gallery.py", title="Gallery", icon="🖼️"),
        st.Page("curation/views/problems.py", title="Problems", icon="⚠️"),
        st.Page("curation/views/history.py", title="History", icon="🕘"),
    ]
)
collection = current_collection(docs_folder())
filters = render_filters(collection)
editor = render_editor_identity()
set_dashboard(Dashboard(collection, filters, filters.positions(collection.frame), editor))
pages.run()
