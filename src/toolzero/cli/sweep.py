"""`toolzero sweep`: run a sweep file's grid of training runs over seeds, then report.

    toolzero sweep --config recipes/sweeps/presets-cpu.yaml --dry-run   # validate, list runs
    toolzero sweep --config recipes/sweeps/presets-cpu.yaml             # run here, one at a time
    toolzero sweep --config SWEEP.yaml --parallel 2                     # two at a time
    toolzero sweep --config SWEEP.yaml --launcher slurm                 # submitit (toolzero[sweep])
    toolzero sweep --config SWEEP.yaml --launcher print                 # commands for any scheduler
    toolzero sweep report runs/sweeps/presets-cpu --baseline preset-toolzero

The sweep file and every point's recipe are validated before anything runs, every problem
listed at once. Rerunning skips finished runs and resumes interrupted ones. `--set
KEY=VALUE` changes a recipe setting of every point (after the sweep file's own). See
docs/sweeps.md.
"""

from __future__ import annotations

import argparse

from toolzero.cli import positive_int


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sweep",
        help="run a grid of training runs over seeds (sweep file), or report on one",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", metavar="SWEEP.yaml", help="the sweep file (see recipes/sweeps/)")
    parser.add_argument(
        "--dry-run", action="store_true", help="validate every point and list the runs; run nothing"
    )
    parser.add_argument("--launcher", default="local", choices=["local", "slurm", "print"])
    parser.add_argument(
        "--parallel", type=positive_int, default=1, help="local launcher: runs at a time (default 1)"
    )
    parser.add_argument(
        "--skip-machine-checks",
        action="store_true",
        help="skip the checks of this machine for a sweep meant for another (run.machine_checks=false)",
    )
    parser.add_argument(
        "--set", dest="overrides", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
        help="a recipe setting for every point, e.g. --set data.train=data/toolrl-4k",
    )
    parser.set_defaults(handler=run_sweep)
    sub = parser.add_subparsers(dest="sweep_command", metavar="{report}")
    report = sub.add_parser("report", help="tables with intervals, curves and CSVs of a sweep folder")
    report.add_argument("directory", metavar="DIR", help="the sweep's output_dir")
    report.add_argument("--baseline", metavar="POINT", help="paired differences against this point")
    report.set_defaults(handler=run_report)


def run_sweep(args: argparse.Namespace) -> int:
    from toolzero.errors import UserError
    from toolzero.sweeps import launch, load_sweep

    if not args.config:
        raise UserError("--config SWEEP.yaml is required (or: toolzero sweep report DIR)")
    overrides = list(args.overrides)
    if args.skip_machine_checks:
        overrides.append("run.machine_checks=false")
    spec = load_sweep(args.config, overrides)
    if args.dry_run:
        runs = len(spec.points) * len(spec.seeds)
        print(f"{args.config}: valid; {len(spec.points)} points x {len(spec.seeds)} seeds = {runs} runs")
        for job in spec.jobs():
            print(f"  {job.point} seed {job.seed}: {job.run_dir}")
        return 0
    launch(spec, args.launcher, args.parallel)
    if args.launcher == "local":
        print(f"done; report: toolzero sweep report {spec.output_dir}")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from toolzero.sweeps import write_sweep_report

    print(write_sweep_report(args.directory, args.baseline))
    return 0
