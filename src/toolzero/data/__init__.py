"""The data layer: every public tool-calling format in, one canonical `Example` out.

- `sources`: loaders (ToolRL rlla/verl, ToolACE, xLAM, Hammer, Glaive, ShareGPT, OpenAI
  chat, BFCL) from a local file/folder or a Hub id; bad rows are reported, never fatal;
- `validation`: schema-consistent references, dedupe, length limits;
- `augment`: name masking, irrelevance, Tool-Zero's four multi-turn augmentations;
- `synthetic`: the offline task generator (train / held-out tool libraries);
- `recipe` + `prepare`: YAML mixes into a prepared folder; `dataset`: reading it back and
  `load_examples(spec)` for any data spec.

See docs/data.md.
"""

from toolzero.data.dataset import load_examples, load_prepared, save_prepared
from toolzero.data.report import DataReport
from toolzero.data.synthetic import generate_examples

__all__ = ["DataReport", "generate_examples", "load_examples", "load_prepared", "save_prepared"]
