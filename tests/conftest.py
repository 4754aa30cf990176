"""Shared fixtures: the read-only reference material beside the repo, and golden-file updating."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REFERENCE = SHARED / "reference" / "mlopspython"
CORPUS = SHARED / "corpus" / "pdsh"


def pytest_configure(config):
    """convert keeps which distribution provides which module in a cache folder (convert/environment.py):
    the tests' conversions share one of their own, never the user's ~/.cache."""
    import os
    import tempfile

    os.environ.setdefault("NB2PROD_CACHE_DIR", tempfile.mkdtemp(prefix="nb2prod-cache-"))


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite expected/ golden files from the current output instead of comparing")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"reference notebooks not found at {REFERENCE} (../shared/ is absent)")
    return REFERENCE
