"""`toolzero report`: plots and report.md from run folders' metrics.jsonl.

toolzero report runs/quickstart                      # writes runs/quickstart/report.md
toolzero report runs/a runs/b --out runs/compare     # overlays the runs
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="regenerate a run's plots and report.md, or overlay several runs",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("runs", nargs="+", metavar="RUN_DIR")
    parser.add_argument("--out", help="output folder (required for several runs)")
    parser.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from toolzero.reports import generate_report
    from toolzero.user_files import writable_dir

    out = args.out
    if out is None and len(args.runs) > 1:
        out = "runs/compare-" + "-vs-".join(p.rstrip("/").split("/")[-1] for p in args.runs)
    if out is not None:
        writable_dir(out)  # a file in the way is an input error, not a crash in the plots
    print(generate_report(args.runs, out))
    return 0
