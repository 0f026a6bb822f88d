#!/usr/bin/env bash
# SLURM launch: accelerate + DeepSpeed ZeRO-3 (recipes/launch/zero3.yaml) on N nodes x 8 GPUs.
#   sbatch --nodes=2 recipes/launch/slurm.sh recipes/toolrl-grpo-qwen2.5-3b.yaml \
#     grpo.gradient_accumulation_steps=4
# Arguments: the recipe, then any KEY=VALUE overrides for `toolzero train`.
#
# Batch arithmetic: an optimizer step trains on prompts_per_step x num_generations
# completions over all N x 8 processes, so the per-device micro-batch is
#   completions / (N x 8 x grpo.gradient_accumulation_steps).
# The recipes assume one node (8 processes); on N nodes divide gradient_accumulation_steps
# by N to keep the same global batch and micro-batch. ToolRL (512 completions, 8 steps on
# one node): 2 nodes -> 4, 4 nodes -> 2, 8 nodes -> 1 (8 completions per device each time).
# Tool-Zero (1024 completions, 16 steps on one node): 2 nodes -> 8, 4 nodes -> 4.
#
# One task per node: each runs `accelerate launch`, which starts that node's 8 processes.
# The first node of the allocation is the rendezvous host; each node's rank is its
# SLURM_NODEID (SLURM_PROCID gives the same with one task per node).
#SBATCH --job-name=toolzero
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node=8
#SBATCH --cpus-per-task=64
#SBATCH --exclusive
#SBATCH --output=%x-%j.out
set -euo pipefail

RECIPE=${1:?usage: sbatch [--nodes=N] recipes/launch/slurm.sh RECIPE [KEY=VALUE ...]}
shift
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
NNODES=${SLURM_NNODES:?run this script with sbatch (SLURM_NNODES is unset)}
MAIN_PROCESS_IP=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | sed -n 1p)  # sed reads all: no SIGPIPE
MAIN_PROCESS_PORT=${MAIN_PROCESS_PORT:-29500}
ACCELERATE_CONFIG=${ACCELERATE_CONFIG:-recipes/launch/zero3.yaml}
export NCCL_ASYNC_ERROR_HANDLING=1

echo "toolzero: $NNODES node(s) x $GPUS_PER_NODE GPUs, main process $MAIN_PROCESS_IP:$MAIN_PROCESS_PORT"

# Single quotes: SLURM_NODEID / SLURM_PROCID are expanded on each node by its own task.
srun --ntasks-per-node=1 --kill-on-bad-exit=1 bash -c '
  MACHINE_RANK=${SLURM_NODEID:-$SLURM_PROCID}
  exec accelerate launch \
    --config_file "$0" \
    --num_machines "$1" \
    --num_processes "$(( $1 * $2 ))" \
    --machine_rank "$MACHINE_RANK" \
    --main_process_ip "$3" \
    --main_process_port "$4" \
    --rdzv_backend static \
    -m toolzero train --config "${@:5}"
' "$ACCELERATE_CONFIG" "$NNODES" "$GPUS_PER_NODE" "$MAIN_PROCESS_IP" "$MAIN_PROCESS_PORT" \
  "$RECIPE" "$@"
