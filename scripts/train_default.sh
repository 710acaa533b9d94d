#!/usr/bin/env bash
# Reproduce the bundled default model from an empty checkout:
#   synthetic corpus -> flow net -> perceptual autoencoder -> GAN -> evaluation -> glance/assets/.
# Every stage resumes where it stopped; run the script again after an interruption.
# Budget knobs: FLOW_STEPS, AE_STEPS, GAN_STEPS (the shipped model's card says what it used).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-data/corpus}
RUN=${RUN:-runs/default}
CONFIG=${CONFIG:-tiny+release+skips}
FLOW_STEPS=${FLOW_STEPS:-800}
AE_STEPS=${AE_STEPS:-600}
GAN_STEPS=${GAN_STEPS:-1200}
G=.venv/bin/glance

make setup
[ -f "$DATA/manifest.jsonl" ] || $G synth "$DATA" --identities 300 --sentences-per-identity 12 --seed 0

stage() {  # stage NAME STEPS BATCH
  local resume=()
  [ -f "$RUN/$1/state.safetensors" ] && resume=(--resume)
  $G train "$1" --config "$CONFIG" --data "$DATA" --out "$RUN" --steps "$2" --batch-size "$3" \
    --ckpt-every 40 --keep-every 160 --sample-every 160 --eval-every 0 "${resume[@]}"
}
stage flow "$FLOW_STEPS" 16
stage autoencoder "$AE_STEPS" 16
stage gan "$GAN_STEPS" 8
$G evaluate "$RUN" --data "$DATA" --split test --limit 240
cp "$RUN/generator.safetensors" glance/assets/default.safetensors
echo "default model: glance/assets/default.safetensors (from $RUN)"
