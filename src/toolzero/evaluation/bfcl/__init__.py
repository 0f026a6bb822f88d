"""The BFCL benchmark (v3 categories), on BFCL's official data and checkers.

- `official`: the evaluation's one door to the PyPI `bfcl-eval` package (data, AST and
  multi-turn checkers): the other modules reach BFCL through it;
- `items`: BFCL entries as toolzero `Example`s, and answers as the calls its checkers read;
- `multi_turn`: the turn-by-turn loop against BFCL's simulated APIs;
- `offered_tools`: the gate that lets only offered tools run in that loop;
- `summary`: accuracy per category and each labelled "overall";
- `bench`: the registered benchmark: run a model, or score saved predictions.

Importing the package loads nothing; `bfcl-eval` is imported when first needed.
"""
