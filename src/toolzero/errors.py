"""The errors that mean "the user's input is wrong", as opposed to a bug in toolzero.

Every layer raises these for problems a user can fix (a missing file, a malformed row, an
unknown name, a bad recipe field); the CLI turns them into one `error: ...` line and exit
code 2 (`-v` shows the traceback). Anything else that escapes is our bug and raises loudly.
This module sits at the bottom of the package and imports nothing of ours.
"""

from __future__ import annotations

from collections.abc import Iterable


class UserError(Exception):
    """A problem with the user's input; the message names what is wrong and the fix."""

    exit_code = 2


class ConfigError(UserError, ValueError):
    """Every problem found in a configuration, kept as a list (never joined and re-split).

    `problems` are one-line messages, each naming the field and the fix; `source` names the
    file or object they were found in.

    >>> err = ConfigError(["reward.preset: unknown 'x'; use one of: toolrl"], "recipe.yaml")
    >>> err.problems
    ["reward.preset: unknown 'x'; use one of: toolrl"]
    >>> print(err)
    recipe.yaml has 1 problem(s):
      - reward.preset: unknown 'x'; use one of: toolrl
    """

    def __init__(self, problems: Iterable[str], source: str = "config") -> None:
        self.problems = list(problems)
        self.source = source
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{source} has {len(self.problems)} problem(s):\n{lines}")
