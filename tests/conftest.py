"""Shared test set-up: no network, and the path to the real third-party data."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

# `TOOLZERO_SHARED_DATA` points elsewhere (a git worktree sits beside the checkout, not in it).
SHARED_DATA = Path(
    os.environ.get("TOOLZERO_SHARED_DATA")
    or Path(__file__).resolve().parents[1].parent / "shared" / "data"
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data`, or skip: it exists on the project's machines, not on users'."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real third-party data not present at {SHARED_DATA}")
    return SHARED_DATA
