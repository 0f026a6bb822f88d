"""ACEBench (English): the normal and special categories, with ACEBench's rules.

- `data`: the categories, their files read into `Example`s (multi-turn dialogues one item
  per turn), the answer instructions special items are scored on, each item's verdict row
  and the summary (per category, overall, normal / special);
- `checker`: ACEBench's verdicts: the AST-style check of normal answers, the fixed
  phrases of special ones;
- `bench`: the registered benchmark: run a model, or score saved predictions.

The agent categories need ACEBench's simulated apps and are not included.
"""
