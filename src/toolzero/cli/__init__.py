"""`toolzero` command line: one entry point, one module per subcommand group.

Each module in this package defines `register(subparsers)`, which adds its subcommand and
sets `handler` to a function of the parsed arguments returning an exit code. Modules import
their heavy dependencies (torch, transformers, trl) inside the handler so that
`toolzero --help` and the reward tools start instantly.

A `UserError` (a missing file, a malformed row, an unknown name: see `toolzero.errors`)
becomes one `error: ...` line on stderr and its exit code (2); `-v` prints the traceback
too. Any other exception is a bug in toolzero and propagates with its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
import traceback

from toolzero import __version__
from toolzero.errors import UserError


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (argparse names the flag on error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="toolzero",
        description="Train tool-using LLMs with pure RL (GRPO + rule-based rewards).",
    )
    parser.add_argument("--version", action="version", version=f"toolzero {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logging; tracebacks for input errors"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except UserError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
