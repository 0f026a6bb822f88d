#!/usr/bin/env bash
# The device check on one GPU, offline (python -m toolzero.gpu_check; see its docstring).
# Installs the wheels in .whl/ (scripts/gpu_check_wheels.sh) when present, runs the check
# in a scratch folder, and copies the report and logs to $OUT (or ./gpu-check-report).
#   bash scripts/gpu_check.sh [--budget-s 480]
set -uo pipefail
REPORT=${OUT:-gpu-check-report}
WORK=${WORK:-/tmp/toolzero-gpu-check}
PY=${PYTHON:-python3}
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 PYTHONUNBUFFERED=1
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
if compgen -G ".whl/*.whl" > /dev/null; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
mkdir -p "$REPORT"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$REPORT/nvidia-smi.txt" 2>&1
"$PY" -m toolzero env > "$REPORT/env.md" 2>&1
"$PY" -m toolzero.gpu_check --out "$WORK" "$@"
status=$?
cp "$WORK"/gpu_check.md "$WORK"/gpu_check.json "$REPORT"/ 2>/dev/null
tail -n 60 "$WORK"/*.log > "$REPORT/logs-tail.txt" 2>/dev/null
cat "$REPORT/env.md"
exit $status
