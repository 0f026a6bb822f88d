"""recipes/launch/slurm.sh: valid bash, and the accelerate command it builds on each node
(run with stand-ins for srun, scontrol and accelerate that record their arguments)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SLURM = ROOT / "recipes" / "launch" / "slurm.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


@pytest.mark.parametrize(
    "script", [SLURM, ROOT / "scripts" / "gpu_check.sh", ROOT / "scripts" / "gpu_check_wheels.sh"]
)
def test_launch_and_device_scripts_parse(script: Path) -> None:
    subprocess.run(["bash", "-n", str(script)], check=True)


def fake_bin(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(0o755)


def test_slurm_script_launches_accelerate_with_slurms_topology(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "accelerate.args"
    fake_bin(bin_dir, "scontrol", 'printf "gpu-node-7\\ngpu-node-8\\n"\n')
    # srun: drop its own options, run the command as task 0 of the second node
    fake_bin(bin_dir, "srun", 'while [[ $1 == --* ]]; do shift; done\nSLURM_NODEID=1 SLURM_PROCID=1 "$@"\n')
    fake_bin(bin_dir, "accelerate", f'printf "%s\\n" "$@" > {record}\n')
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "SLURM_NNODES": "2",
        "SLURM_JOB_NODELIST": "gpu-node-[7-8]",
    }
    subprocess.run(
        ["bash", str(SLURM), "recipes/toolrl-grpo-qwen2.5-3b.yaml", "grpo.gradient_accumulation_steps=4"],
        check=True, env=env, cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    args = record.read_text().split("\n")[:-1]
    options = dict(zip(args[0:14:2], args[1:14:2], strict=True))
    assert options == {
        "launch": "--config_file",  # `accelerate launch --config_file ...`
        "recipes/launch/zero3.yaml": "--num_machines",
        "2": "--num_processes",
        "16": "--machine_rank",
        "1": "--main_process_ip",
        "gpu-node-7": "--main_process_port",
        "29500": "--rdzv_backend",
    }
    assert args[14:] == [
        "static", "-m", "toolzero", "train",
        "--config", "recipes/toolrl-grpo-qwen2.5-3b.yaml", "grpo.gradient_accumulation_steps=4",
    ]  # fmt: skip


def test_slurm_script_refuses_to_run_outside_slurm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}
    out = subprocess.run(
        ["bash", str(SLURM), "recipes/quickstart.yaml"], env=env, capture_output=True, text=True
    )
    assert out.returncode != 0 and "run this script with sbatch" in out.stderr
