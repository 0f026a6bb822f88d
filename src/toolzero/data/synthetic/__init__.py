"""Offline synthetic tool-use tasks: `generate_examples(n, seed, split, **options)`.

See `generator.py` for the shapes and options, `tools_train.py` / `tools_heldout.py` for
the tool library.
"""

from toolzero.data.synthetic.generator import (
    DEFAULT_SHAPES,
    SHAPES,
    SPLITS,
    SyntheticOptions,
    generate_examples,
)

__all__ = ["DEFAULT_SHAPES", "SHAPES", "SPLITS", "SyntheticOptions", "generate_examples"]
