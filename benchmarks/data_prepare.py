"""How fast each data loader, the validator, the augmentations and the generator run.

Prints examples per second for every loader on real data where this machine has it
(`../shared/data`, the installed `bfcl-eval`) and on the test fixtures repeated to a few
thousand rows otherwise. Timings are the best of `--repeat` runs, single process.

    python benchmarks/data_prepare.py [--rows 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from toolzero.data.augment import AUGMENTATION_NAMES, augment
from toolzero.data.report import DataReport
from toolzero.data.sources import load_source
from toolzero.data.synthetic import generate_examples
from toolzero.data.validation import validate_examples

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
FIXTURES = ROOT / "tests" / "data" / "fixtures"


def best_rate(run: Callable[[], int], repeat: int) -> tuple[int, float]:
    """(examples made, best examples per second) over `repeat` runs."""
    best = 0.0
    n = 0
    for _ in range(repeat):
        start = time.perf_counter()
        n = run()
        best = max(best, n / max(time.perf_counter() - start, 1e-9))
    return n, best


def repeated_fixture(name: str, rows: int, folder: Path) -> Path:
    """The fixture's good rows repeated to about `rows` rows, as a JSON-lines file."""
    path = FIXTURES / name
    text = path.read_text()
    records = (
        json.loads(text)
        if path.suffix == ".json"
        else [json.loads(x) for x in text.splitlines() if x.startswith("{") and x.endswith("}")]
    )
    out = folder / f"{path.stem}.jsonl"
    with out.open("w") as f:
        for i in range(rows):
            f.write(json.dumps(records[i % len(records)]) + "\n")
    return out


def loader_cases(rows: int, folder: Path) -> list[tuple[str, str, str | None]]:
    cases = []
    if SHARED.is_dir():
        cases += [
            ("toolrl rlla json (real, 400 rows)", str(SHARED / "toolrl" / "rlla_sft.json"), None),
            ("verl parquet (real, 80 rows)", str(SHARED / "toolrl" / "rlla_test.parquet"), None),
            (
                "sharegpt glaive (real, 300 rows)",
                str(SHARED / "glaive" / "glaive_toolcall_en_demo.json"),
                None,
            ),
        ]
    try:
        import bfcl_eval  # noqa: F401

        cases.append(("bfcl live_multiple (real, 1053 rows)", "live_multiple", "bfcl"))
    except ImportError:
        pass
    for name, fmt in (
        ("toolace.json", "toolace"),
        ("xlam.json", "xlam"),
        ("glaive_v2.json", "glaive"),
        ("openai.jsonl", "openai"),
    ):
        cases.append((f"{fmt} (fixture x{rows})", str(repeated_fixture(name, rows, folder)), fmt))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'stage':44s} {'examples':>9s} {'per second':>11s}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, location, fmt in loader_cases(args.rows, Path(tmp)):
            n, rate = best_rate(
                lambda loc=location, f=fmt: len(load_source(loc, f, report=DataReport())),
                args.repeat,
            )
            print(f"load  {label:38s} {n:9d} {rate:11.0f}")
    examples = generate_examples(
        args.rows, shapes={"single": 1, "parallel": 1, "multiple": 1, "no_call": 1}
    )
    n, rate = best_rate(lambda: len(generate_examples(args.rows)), args.repeat)
    print(f"{'synthetic generate_examples':44s} {n:9d} {rate:11.0f}")
    n, rate = best_rate(lambda: len(validate_examples(examples, report=DataReport())), args.repeat)
    print(f"{'validate (all checks, synthetic)':44s} {n:9d} {rate:11.0f}")
    for name in AUGMENTATION_NAMES:
        n, rate = best_rate(
            lambda name=name: len(augment(examples, name, 1.0, seed=0)), args.repeat
        )
        print(f"augment {name:36s} {n:9d} {rate:11.0f}")


if __name__ == "__main__":
    main()
