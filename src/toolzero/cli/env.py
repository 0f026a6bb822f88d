"""`toolzero env`: versions, devices, driver, bf16 and the problems seen, for bug reports.

    toolzero env            # paste the output into an issue

Exit code 0 either way: the problems are printed, not raised (see `toolzero.env_report`).
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "env",
        help="print versions, devices, bf16 support and install problems (for bug reports)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=run_env)


def run_env(args: argparse.Namespace) -> int:
    from toolzero.env_report import collect, render

    print(render(collect()), end="")
    return 0
