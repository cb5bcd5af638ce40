"""Shared fixtures: every test works on a fresh copy of the documents in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN_DIR = FIXTURES / "documents"
SEED_ID = "000_6a51a6705fafdd11.txt"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    """A private copy of seeds/ (the real seed plus the demo collection)."""
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def seed_only(tmp_path: Path) -> Path:
    """A folder holding just the real seed document."""
    folder = tmp_path / "seed"
    folder.mkdir()
    shutil.copy2(SEEDS / SEED_ID, folder / SEED_ID)
    return folder


def write_document(folder: Path, name: str, text: str | bytes) -> Path:
    """Write one document (text or exact bytes) into a folder, making subfolders."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


@pytest.fixture(scope="module")
def golden_copy(tmp_path_factory) -> Path:
    """A private copy of the golden documents (loading writes a cache beside them)."""
    folder = tmp_path_factory.mktemp("golden") / "documents"
    shutil.copytree(GOLDEN_DIR, folder)
    return folder


@pytest.fixture(scope="module")
def seeds_copy(tmp_path_factory) -> Path:
    """A module-wide private copy of seeds/ for tests that only read."""
    folder = tmp_path_factory.mktemp("seeds") / "docs"
    shutil.copytree(SEEDS, folder)
    return folder
