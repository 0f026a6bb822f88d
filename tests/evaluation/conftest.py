"""Fixtures for evaluation tests: the tiny local model, BFCL's package, the fake server."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from toolzero.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def bfcl():
    """BFCL's official functions, or skip when bfcl-eval is not installed."""
    pytest.importorskip(
        "bfcl_eval", reason="bfcl-eval not installed (pip install --no-deps bfcl-eval)"
    )
    from toolzero.evaluation.bfcl.official import import_bfcl

    return import_bfcl()


@pytest.fixture
def fake_server():
    """Start FakeServer(route) instances; all are stopped after the test."""
    from .eval_fakes import FakeServer

    started = []

    def start(route, **kwargs):
        server = FakeServer(route, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
