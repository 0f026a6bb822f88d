"""The deprecation warning trl and peft cause at every generation round stays quiet, and
nothing else does."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from toolzero.training.trainer import ignore_deprecated_checkpointing_alias

MESSAGE = r"`is_gradient_checkpointing` is deprecated"


def test_only_the_deprecated_checkpointing_alias_is_silenced(tiny_model: Path) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(tiny_model))
    # Without the filter, reading the alias (as trl 1.16 and peft 0.21 do) warns with the
    # message the filter names: the filter is not a no-op.
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("always")
        assert model.is_gradient_checkpointing is False
    assert [w for w in caught if re.search(MESSAGE, str(w.message))], "no warning to filter"
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("always")
        ignore_deprecated_checkpointing_alias()
        assert model.is_gradient_checkpointing is False
        said_here = "`is_gradient_checkpointing` is deprecated, said elsewhere"
        warnings.warn(said_here, FutureWarning, stacklevel=1)  # from this module
        warnings.warn("another deprecation", FutureWarning, stacklevel=1)
    assert [str(w.message) for w in caught] == [said_here, "another deprecation"]
