"""Hammer's unfamiliar-tool suites (Seal-Tools, ToolAlpaca, Nexus Raven, API-Bank L1/L2).

- `data`: the sets as Hammer processed them: where the files are, every row shape read
  into an `Example`;
- `scoring`: Hammer's scoring (API-name and parameter F1, its quirks), plus exact match;
- `bench`: the registered benchmark: run a model, or score saved predictions, per set.
"""
