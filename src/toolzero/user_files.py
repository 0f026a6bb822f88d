"""Opening the files and folders a user names, with one clear error when one is wrong.

Every command reads paths the user typed: a recipe, a predictions file, a data folder.
These helpers check them where they are read and raise a `UserError` naming the path, what
is wrong (missing, a folder where a file is expected, unreadable, a line that is not JSON)
and the fix, so the CLI prints one line instead of a traceback. The two error classes also
subclass the built-in error a caller may already catch (`FileNotFoundError`, `ValueError`).
Like `toolzero.errors`, this module sits at the bottom of the package.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolzero.errors import ConfigError, UserError


class MissingInputError(UserError, FileNotFoundError):
    """A file or folder the user named does not exist, or is the wrong kind."""


class BadInputError(UserError, ValueError):
    """A file or value the user gave cannot be used as it is (bad JSON, duplicate id, ...)."""


def _with_fix(message: str, fix: str) -> str:
    return f"{message}; {fix}" if fix else message


def require_file(path: str | Path, what: str = "file", fix: str = "") -> Path:
    """`path` as a `Path` if it is an existing file; otherwise `MissingInputError`.

    >>> require_file("/no/such.jsonl", "--predictions", "give a JSONL file")
    Traceback (most recent call last):
    toolzero.user_files.MissingInputError: --predictions: no such file: /no/such.jsonl; give a JSONL file
    """
    p = Path(path).expanduser()
    if p.is_dir():
        raise MissingInputError(_with_fix(f"{what}: {path} is a folder, not a file", fix))
    if not p.exists():
        raise MissingInputError(_with_fix(f"{what}: no such file: {path}", fix))
    return p


def require_dir(path: str | Path, what: str = "folder", fix: str = "") -> Path:
    """`path` as a `Path` if it is an existing folder; otherwise `MissingInputError`."""
    p = Path(path).expanduser()
    if p.is_file():
        raise MissingInputError(_with_fix(f"{what}: {path} is a file, not a folder", fix))
    if not p.exists():
        raise MissingInputError(_with_fix(f"{what}: no such folder: {path}", fix))
    return p


def read_text(path: str | Path, what: str = "file", fix: str = "") -> str:
    """The UTF-8 text of a file the user named (missing, a folder or unreadable: `UserError`)."""
    p = require_file(path, what, fix)
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(
            f"{what}: {path} is not UTF-8 text ({exc.reason}); give a text file"
        ) from exc
    except OSError as exc:  # permissions, I/O errors: the user's file, not our code
        raise BadInputError(f"{what}: cannot read {path}: {exc.strerror or exc}") from exc


def json_line(line: str, path: str | Path, number: int) -> Any:
    """One JSON-lines row; a row that does not decode is `BadInputError` naming file and line.

    >>> json_line('{"a": 1}', "rows.jsonl", 3)
    {'a': 1}
    >>> json_line("{oops", "rows.jsonl", 3)
    Traceback (most recent call last):
    toolzero.user_files.BadInputError: rows.jsonl line 3: not valid JSON (Expecting property name enclosed in double quotes, column 2); fix or remove the line
    """
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"{path} line {number}: not valid JSON ({exc.msg}, column {exc.colno}); "
            "fix or remove the line"
        ) from None


def json_document(text: str, path: str | Path) -> Any:
    """A whole JSON file's value; text that does not decode is `BadInputError` naming it."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"{path}: not valid JSON ({exc.msg}, line {exc.lineno}, column {exc.colno}); fix the file"
        ) from None


def writable_dir(path: str | Path, what: str = "--out") -> Path:
    """An output folder (created, with its parents); a path that is a file is an error."""
    p = Path(path).expanduser()
    if p.exists() and not p.is_dir():
        raise BadInputError(f"{what}: {path} is a file; give a folder (new or from an earlier run)")
    p.mkdir(parents=True, exist_ok=True)
    return p


def writable_file(path: str | Path, what: str = "--out") -> Path:
    """An output file path, its parent folders created; a path that is a folder is an error."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise BadInputError(f"{what}: {path} is a folder; give a file name, e.g. {p / 'out.jsonl'}")
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def is_a(value: object, kind: type | tuple[type, ...]) -> bool:
    """`isinstance` for a value read from YAML, JSON or keyword arguments, where true and
    false count as bools only, never as the int or float an option asks for.

    >>> is_a(True, int), is_a(True, bool), is_a(3, (int, float))
    (False, True, True)
    """
    if kind is bool:
        return isinstance(value, bool)
    return isinstance(value, kind) and not isinstance(value, bool)


def yaml_problem(exc: Exception) -> str:
    """A PyYAML parse error on one line, what and where (its own text spans several lines).

    >>> import yaml
    >>> try:
    ...     yaml.safe_load("a: [1")
    ... except yaml.YAMLError as exc:
    ...     print(yaml_problem(exc))
    line 1, column 6: expected ',' or ']', but got '<stream end>'
    """
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}{problem}"


MAX_SHOWN_PROBLEMS = 20  # a file of 10,000 bad lines is named by its first few


def checked_json_lines(
    path: str | Path,
    check: Callable[[Any, dict[str, int]], tuple[str, str | None, Any]],
    what: str = "--predictions",
    fix: str = 'give a JSONL file of {"id", "completion"} rows',
) -> list[Any]:
    """The values `check` makes of each line of a JSON-lines file, in order.

    `check(row, seen)` gets a decoded line and the ids accepted so far (id -> line number,
    for duplicate messages) and returns `(problem, id, value)`: a non-empty problem rejects
    the line. Every problem is raised at once as a `ConfigError` naming the file and lines.
    """
    text = read_text(path, what, fix)
    values: list[Any] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            problems.append(f"line {number}: not JSON ({exc}); fix or remove the line")
            continue
        problem, row_id, value = check(row, seen)
        if problem:
            problems.append(f"line {number}: {problem}")
            continue
        if row_id is not None:
            seen[row_id] = number
        values.append(value)
    if problems:
        more = len(problems) - MAX_SHOWN_PROBLEMS
        shown = problems[:MAX_SHOWN_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        raise ConfigError(shown, f"{what} {path}")
    return values
