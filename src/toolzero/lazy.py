"""`"module:attribute"` references, imported when first used.

The benchmark and environment registries name their functions this way, so that reading
a registry imports no benchmark or environment (and none of their heavy dependencies).
"""

from __future__ import annotations

import importlib
from typing import Any


def resolve(reference: str) -> Any:
    """The object `reference` names: `"package.module:name"` or `"package.module:obj.attr"`.

    >>> resolve("os.path:join")("a", "b")
    'a/b'
    """
    module, _, path = reference.partition(":")
    target: Any = importlib.import_module(module)
    for attr in path.split("."):
        target = getattr(target, attr)
    return target
