"""Where the dashboard finds its documents."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def docs_folder() -> Path:
    """$CURATION_DOCS, else the seeds/ folder beside app.py."""
    configured = os.environ.get("CURATION_DOCS")
    return Path(configured) if configured else REPO / "seeds"
