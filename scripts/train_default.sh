#!/usr/bin/env bash
# Reproduce the bundled default model from an empty checkout:
#   synthetic corpus -> flow net -> perceptual autoencoder -> GAN (tiny+release+skips) -> fine-tuning with
#   silent windows (tiny+release+skips+silence, from the GAN's state) -> evaluation -> shape head (its own
#   copy of E_s and a closure gate, trained on the corpus's mouth landmarks with the generator frozen; drives
#   the shape renderer of real photos) -> motion probe (for the warp renderer) -> seal track (the p/b/m closure
#   decision, on the corpus with 18 training voices) -> lipglance/assets/ -> sync reports.
# Every stage resumes where it stopped; run the script again after an interruption.
# Budget knobs: FLOW_STEPS, AE_STEPS, GAN_STEPS, TUNE_STEPS, SHAPE_STEPS (the shipped model's card says what
# it used).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-data/corpus}
OPEN_DATA=${OPEN_DATA:-data/open}  # open-vocabulary sentences: the shape head's corpus
WIDE_DATA=${WIDE_DATA:-data/open_wide}  # the same with 18 training voices (val/test: data/open's): the seal track's
RUN=${RUN:-runs/default}
TUNED=${TUNED:-runs/default-tuned}
CONFIG=${CONFIG:-tiny+release+skips}
TUNE_CONFIG=${TUNE_CONFIG:-tiny+release+skips+silence}
SHAPED=${SHAPED:-runs/default-shape}
SHAPE_CONFIG=${SHAPE_CONFIG:-tiny+release+skips+silence+shape+shape_own+mel_warp}
FLOW_STEPS=${FLOW_STEPS:-800}
AE_STEPS=${AE_STEPS:-600}
GAN_STEPS=${GAN_STEPS:-1600}
TUNE_STEPS=${TUNE_STEPS:-1000}
SHAPE_STEPS=${SHAPE_STEPS:-12000}
G=.venv/bin/lipglance

make setup
[ -f "$DATA/manifest.jsonl" ] || $G synth "$DATA" --identities 300 --sentences-per-identity 12 --seed 0
[ -f "$OPEN_DATA/manifest.jsonl" ] || $G synth "$OPEN_DATA" --identities 300 --sentences-per-identity 12 --seed 0 \
  --layout open
[ -f "$WIDE_DATA/manifest.jsonl" ] || $G synth "$WIDE_DATA" --identities 300 --sentences-per-identity 12 --seed 0 \
  --layout open --voices wide

stage() {  # stage RUN CONFIG NAME STEPS BATCH [extra options]
  local run=$1 config=$2 name=$3 steps=$4 batch=$5 resume=()
  shift 5
  [ -f "$run/$name/state.safetensors" ] && resume=(--resume)
  $G train "$name" --config "$config" --data "$DATA" --out "$run" --steps "$steps" --batch-size "$batch" \
    --ckpt-every 40 --keep-every 200 --sample-every 200 --eval-every 0 "${resume[@]}" "$@"
}
stage "$RUN" "$CONFIG" flow "$FLOW_STEPS" 16
stage "$RUN" "$CONFIG" autoencoder "$AE_STEPS" 16
stage "$RUN" "$CONFIG" gan "$GAN_STEPS" 8
mkdir -p "$TUNED"
cp -n "$RUN/flow.safetensors" "$RUN/autoencoder.safetensors" "$TUNED/"
stage "$TUNED" "$TUNE_CONFIG" gan "$TUNE_STEPS" 8 --init "$RUN/gan/state.safetensors"
$G evaluate "$TUNED" --data "$DATA" --split test --limit 240 --closure 30
mkdir -p "$SHAPED"
cp -n "$TUNED/generator.safetensors" "$SHAPED/"
DATA="$OPEN_DATA" stage "$SHAPED" "$SHAPE_CONFIG" shape "$SHAPE_STEPS" 16 --eval-every 1000 --eval-windows 400 \
  --keep-every 1000
$G motion "$SHAPED/shape.safetensors" --data "$DATA" -o lipglance/assets/default.safetensors
$G seal lipglance/assets/default.safetensors --data "$WIDE_DATA" --chunk 48 --steps 4000 --report docs/seal.json
$G evaluate lipglance/assets/default.safetensors --data "$OPEN_DATA" --sync --limit 120 --out docs/sync
$G evaluate lipglance/assets/default.safetensors --data "$DATA" --sync --limit 120 --out docs/sync_gridtest
echo "default model: lipglance/assets/default.safetensors (from $SHAPED)"
