"""toolzero: train tool-using LLMs with pure reinforcement learning.

Layers, bottom to top: `protocol` (types, prompts, parser) → `data` → `rewards` →
`training` (the only layer that imports TRL) → `evaluation` → `reports`; `cli` on top.
"""

__version__ = "0.1.0"
