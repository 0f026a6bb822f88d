#!/usr/bin/env bash
# Fetch, on a machine with PyPI, the wheels the device check needs on an offline GPU
# machine whose image has torch, transformers, accelerate, peft and tensorboard but not
# trl, datasets or deepspeed (python 3.12, x86-64). They land in .whl/ (git-ignored via
# .git/info/exclude); scripts/gpu_check.sh installs them there. vLLM's wheel (~315 MB)
# is too large to carry: without it the vLLM steps are skipped.
#   bash scripts/gpu_check_wheels.sh            # then carry .whl to the GPU machine
set -euo pipefail
DEST=${DEST:-.whl}
PY=${PYTHON:-python3}
mkdir -p "$DEST"
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
PLATFORMS=(--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64
           --platform manylinux2014_x86_64 --platform manylinux1_x86_64)
# Pure-Python and binary wheels, each at the version the CPU set resolved.
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
  --implementation cp "${PLATFORMS[@]}" -d "$DEST" \
  trl==1.16.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 gguf==0.19.0 \
  rank-bm25==0.2.2 hjson pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 \
  typing-inspection==0.4.5
# DeepSpeed ships an sdist only: build a pure-Python wheel (its CUDA ops compile on use).
DS_BUILD_OPS=0 "$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$DEST" deepspeed==0.19.8 \
  || echo "deepspeed wheel not built: the ZeRO-3 step will be skipped"
du -sh "$DEST"
