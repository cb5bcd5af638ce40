"""Shared fixtures: every test works on a fresh copy of the documents in tmp_path."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, free_port, local_page, serve_dashboard

# Hypothesis budgets: the full one by default (CI), a small one for `make quick` (HYPOTHESIS_PROFILE=quick).
# A test that needs less than the full budget (it writes files) asks for a share of the profile's.
settings.register_profile("ci", max_examples=300, deadline=None)
settings.register_profile("quick", max_examples=24, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(share: float) -> int:
    """A share of the profile's budget, at least one example."""
    return max(1, round(settings.default.max_examples * share))


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


def load_front_matters(folder: Path, front_matters: dict[str, str]):
    """Write each name's front matter (between `---` lines) as a document in the folder; load the folder."""
    from curation.loading.collection import load_collection

    for name, front_matter in front_matters.items():
        write_document(folder, name, f"---\n{front_matter}---\n")
    return load_collection(folder)


def serial_load_with_a_bad_file(monkeypatch, docs: Path, count: int, *, seed: int, chunk_size: int):
    """Demo documents and one that does not parse, loaded serially; later loads parse in chunks of `chunk_size`."""
    from curation.demo import write_demo_collection
    from curation.loading import parsing
    from curation.loading.collection import load_collection

    write_demo_collection(docs, count, seed=seed)
    write_document(docs, "bad.txt", "---\ntitle: t\nheat: x\n---\n")
    serial = load_collection(docs, use_cache=False)
    monkeypatch.setattr(parsing, "PARALLEL_FROM", 10)
    monkeypatch.setattr(parsing, "CHUNK_SIZE", chunk_size)
    return serial


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


# --- S3: a real moto server over HTTP, and the same documents in a bucket ------------------------

BUCKET = "newsroom"


@pytest.fixture(scope="session")
def moto_endpoint() -> str:
    """moto's S3 server in a thread of this process, on a free loopback port; boto3 reaches it over HTTP."""
    import logging

    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        pytest.skip("moto[server] is not installed: pip install -e '.[test]'")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


SHARED_KEY = "hosts-shared-key-for-the-tests-0123456789"  # curation.store.shared_state: signs the bucket's caches


def aws_settings(endpoint: str, tmp_path: Path) -> dict[str, str]:
    """The standard AWS settings a process needs to use the moto server, and nothing of the user's; and the
    key the hosts share, as a deployment sets it (tests of a host without it unset it)."""
    return {
        "CURATION_SHARED_KEY": SHARED_KEY,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }


@pytest.fixture
def s3_env(moto_endpoint: str, monkeypatch, tmp_path: Path) -> str:
    """AWS_* pointing at the moto server (the bucket made), and a private CURATION_CACHE_DIR."""
    import os

    import boto3

    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    for name, value in aws_settings(moto_endpoint, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CURATION_CACHE_DIR", str(tmp_path / "host-cache"))
    client = boto3.client("s3")
    if BUCKET not in {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}:
        client.create_bucket(Bucket=BUCKET)
    return moto_endpoint


def upload_folder(folder: Path, location: str) -> int:
    """Put every file below `folder` (hidden ones too, but not the folder's own `.curation/` state) under the
    location's prefix, many at a time."""
    from concurrent.futures import ThreadPoolExecutor

    import boto3

    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    client = boto3.client("s3")
    files = [path for path in folder.rglob("*") if path.is_file() and path.relative_to(folder).parts[0] != ".curation"]

    def put(path: Path) -> None:
        key = f"{prefix}/{path.relative_to(folder).as_posix()}" if prefix else path.relative_to(folder).as_posix()
        client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, files))
    return len(files)


def new_prefix(name: str = "docs") -> str:
    import secrets

    return f"s3://{BUCKET}/{name}-{secrets.token_hex(4)}"


@pytest.fixture
def s3_proxy(s3_env: str, monkeypatch) -> Iterator[Any]:
    """The moto server behind a counting, fault-injecting proxy (tests/s3_proxy.py); AWS_ENDPOINT_URL points at it."""
    from tests.s3_proxy import S3Proxy

    proxy = S3Proxy(s3_env)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
    yield proxy
    proxy.close()


@pytest.fixture
def s3_docs(s3_env: str) -> str:
    """A fresh prefix holding the same documents as seeds/ (the `docs` fixture, in a bucket)."""
    location = new_prefix()
    upload_folder(SEEDS, location)
    return location


@pytest.fixture
def s3_seed_only(s3_env: str) -> str:
    """A fresh prefix holding just the real seed document."""
    location = new_prefix("seed")
    put_document(location, SEED_ID, (SEEDS / SEED_ID).read_bytes())
    return location


@pytest.fixture(params=["folder", "s3"])
def location(request) -> Path | str:
    """The seeds/ documents in a temp folder, then the same in an S3 prefix: one test, both stores."""
    return request.getfixturevalue("docs" if request.param == "folder" else "s3_docs")


@pytest.fixture(params=["folder", "s3"])
def seed_location(request) -> Path | str:
    """Just the real seed document, in a folder, then in an S3 prefix."""
    return request.getfixturevalue("seed_only" if request.param == "folder" else "s3_seed_only")


def put_document(location: Path | str, name: str, text: str | bytes) -> None:
    """Write one document's exact bytes into a folder or an S3 prefix."""
    if isinstance(location, Path):
        write_document(location, name, text)
        return
    import boto3

    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    body = text.encode("utf-8") if isinstance(text, str) else text
    boto3.client("s3").put_object(Bucket=bucket, Key=f"{prefix}/{name}" if prefix else name, Body=body)


def get_document(location: Path | str, name: str) -> bytes:
    """One document's bytes, straight from the folder or the bucket (not through curation)."""
    if isinstance(location, Path):
        return (location / name).read_bytes()
    import boto3

    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    return boto3.client("s3").get_object(Bucket=bucket, Key=f"{prefix}/{name}" if prefix else name)["Body"].read()


def object_keys(location: str, under: str = "") -> list[str]:
    """Every key below the prefix (relative to it), in listing order."""
    import boto3

    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    base = f"{prefix}/" if prefix else ""
    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=base + under)
    return [item["Key"][len(base) :] for page in pages for item in page.get("Contents", ())]


@pytest.fixture(autouse=True)
def _keep_the_main_module():
    """AppTest runs app.py as `__main__` and leaves it there; a process spawned later (a Dask nanny)
    would then run the dashboard script. Put the real main module back after every test."""
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


# Browser fixtures live here, so every browser test module shares one Chromium (one sync Playwright
# per process: a second one, from a module importing these, fails inside the first one's loop).
ARTIFACTS = REPO / "test-artifacts" / "screenshots"


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    message = f"Chromium not found at {CHROMIUM}: install Debian's chromium (apt-get install chromium)"
    if os.environ.get("CURATION_REQUIRE_BROWSER") == "1":
        pytest.fail(message + " — CURATION_REQUIRE_BROWSER=1 makes this an error")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def server(docs: Path, tmp_path: Path) -> Iterator[str]:
    """The dashboard on this test's own copy of seeds/ (for tests that write)."""
    with serve_dashboard(docs, tmp_path / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def shared_docs(tmp_path_factory) -> Path:
    """One copy of seeds/ per test process, for the browser tests that only read."""
    folder = tmp_path_factory.mktemp("shared") / "docs"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture(scope="session")
def shared_server(shared_docs: Path, tmp_path_factory) -> Iterator[str]:
    """One dashboard per test process on `shared_docs`, for the browser tests that write nothing: each opens
    its own browser context, so no state passes from one test to the next."""
    with serve_dashboard(shared_docs, tmp_path_factory.mktemp("shared-log") / "streamlit.log") as url:
        yield url


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A generated corpus (the demo generator, another seed than seeds/ has), for browser tests that write."""
    from curation.demo import write_demo_collection

    folder = tmp_path / "corpus"
    write_demo_collection(folder, 400, seed=7)
    return folder


@pytest.fixture
def corpus_server(corpus: Path, tmp_path: Path) -> Iterator[str]:
    with serve_dashboard(corpus, tmp_path / "streamlit-corpus.log", timeout=120) as url:
        yield url


_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


def failed(request) -> bool:
    """Whether the test itself (not its setup) failed: then its page is worth a screenshot."""
    report = request.node.stash.get(_CALL_REPORT, None)
    return report is not None and report.failed


def screenshot_if_failed(page, request) -> None:
    if failed(request):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    opened = local_page(context)  # the documents' image URLs point at the internet
    yield opened
    screenshot_if_failed(opened, request)
    context.close()


@pytest.fixture
def app(docs, monkeypatch):
    """The dashboard opened on a private copy of seeds/ (with one broken document added)."""
    write_document(docs, "broken.txt", "---\ntitle: Broken\nquality: 500\n---\n")
    monkeypatch.setenv("CURATION_DOCS", str(docs))
    monkeypatch.delenv("CURATION_READ_ONLY", raising=False)
    return _app_test().from_file(str(REPO / "app.py"), default_timeout=60)


def _app_test():
    from streamlit.testing.v1 import AppTest  # imported only by the tests that drive the dashboard

    return AppTest
