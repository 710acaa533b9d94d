#!/usr/bin/env bash
# Train GAN-stage variants one after another with the same data, seed, batch and number of steps
# (the rows of docs/RESULTS.md's ablation table), from one run folder's flow net and autoencoder.
#   BASE=runs/default VARIANTS="tiny+release+b tiny+release+d" STEPS=320 scripts/ablation.sh
# Two instances with OMP_NUM_THREADS=1 and different VARIANTS use two cores better than one with two.
# Every run resumes; then `scripts/ablation_table.py` evaluates and draws the table.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-data/corpus}
RUNS=${RUNS:-runs/ablation}
BASE=${BASE:?a run folder holding flow.safetensors and autoencoder.safetensors}
STEPS=${STEPS:-320}
BATCH=${BATCH:-8}
KEEP=${KEEP:-160}
VARIANTS=${VARIANTS:-"tiny+release tiny+release+b tiny+release+d tiny+release+f tiny+release+h tiny+release+cosine"}
G=${G:-.venv/bin/lipglance}
for v in $VARIANTS; do
  run=$RUNS/$v
  mkdir -p "$run"
  cp -n "$BASE/flow.safetensors" "$BASE/autoencoder.safetensors" "$run/"
  resume=()
  [ -f "$run/gan/state.safetensors" ] && resume=(--resume)
  $G train gan --config "$v" --data "$DATA" --out "$run" --steps "$STEPS" --batch-size "$BATCH" --workers 0 \
    --ckpt-every 40 --keep-every "$KEEP" --sample-every "$KEEP" --eval-every 0 "${resume[@]}"
done
