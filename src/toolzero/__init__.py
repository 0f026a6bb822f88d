"""toolzero: train tool-using LLMs with pure reinforcement learning.

Layers, bottom to top: `errors` and `run_folder` (the run folder's files) → `protocol`
(types, prompts, parser) → `data` → `rewards` → `training` (the only layer that imports
TRL) → `evaluation` → `reports` → `quickstart`; `cli` on top. `tests/test_import_graph.py`
checks that imports only go down.
"""

__version__ = "0.1.0"
