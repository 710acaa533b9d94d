#!/usr/bin/env bash
# Everything that ran on the lent GPU machine, as one call of at most ~9 minutes (docs/RESULTS.md):
#   TTS engines from a carried bundle -> synthetic corpus -> flow net + autoencoder (tiny, small)
#   -> the GAN variants of the ablation table and the small preset, side by side on the one GPU
#   -> their generators and logs in $OUT.
# That machine has PyTorch, NumPy, OpenCV and scikit-image but none of PyAV, dlib, apt or a network:
# only `lipglance synth` and `lipglance train` run there; evaluation runs on the CPU machine afterwards.
# The TTS bundle (.gpu/tts.tar.xz) holds this Debian machine's espeak-ng, mbrola (+ voices), flite
# and the libraries they link: `scripts/tts_bundle.sh` makes it.
set -uo pipefail
OUT=${OUT:?set OUT to the folder that comes back}
WORK=${WORK:-/tmp/glance-gpu}
PY=${PY:-python3}
TOTAL=${TOTAL:-540}            # seconds for the whole script
PRETRAIN=${PRETRAIN:-75}       # seconds for the flow and autoencoder stages (run side by side)
IDENTITIES=${IDENTITIES:-300}
SENTENCES=${SENTENCES:-12}
BATCH=${BATCH:-24}
KEEP=${KEEP:-250}
VARIANTS=${VARIANTS:-"tiny+release+skips tiny+release tiny+release+b tiny+release+d tiny+release+f tiny+release+h tiny+release+cosine small+release+skips"}
T0=$(date +%s)
say() { echo "[$(( $(date +%s) - T0 )) s] $*" | tee -a "$OUT/log.txt"; }
mkdir -p "$OUT" "$WORK/bin" "$WORK/tts" "$WORK/runs"
CORES=${CORES:-$("$PY" -c "import os; print(len(os.sched_getaffinity(0)))")}  # not nproc: it obeys OMP_NUM_THREADS
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

# 1. TTS engines: real binaries behind wrappers, so that the bundled libraries never reach Python.
tar -C "$WORK/tts" -xJf .gpu/tts.tar.xz 2>/dev/null \
  || "$PY" -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])" .gpu/tts.tar.xz "$WORK/tts"
mkdir -p /usr/share/mbrola && cp -r "$WORK/tts/share/mbrola/." /usr/share/mbrola/
for b in espeak-ng flite mbrola; do
  printf '#!/bin/sh\nLD_LIBRARY_PATH=%s ESPEAK_DATA_PATH=%s exec %s "$@"\n' \
    "$WORK/tts/lib" "$WORK/tts/share" "$WORK/tts/real/$b" > "$WORK/bin/$b"
  chmod +x "$WORK/bin/$b"
done
export PATH=$WORK/bin:$PATH
cat > "$WORK/glance_min.py" <<'EOF'
"""`lipglance synth` and `lipglance train` only (the full CLI imports PyAV and dlib, absent there)."""
import argparse
import sys

from lipglance.errors import UserError
from lipglance.synth import cli as synth
from lipglance.train import cli as train

if __name__ == "__main__":  # worker processes import this file again
    parser = argparse.ArgumentParser(prog="lipglance")
    sub = parser.add_subparsers(dest="command")
    for module in (synth, train):
        module.add_parser(sub)
    args = parser.parse_args()
    try:
        sys.exit(int(args.func(args)))
    except UserError as e:
        sys.exit(f"lipglance {args.command}: error: {e}")
EOF
G() { "$PY" "$WORK/glance_min.py" "$@"; }
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader; echo "$CORES cores"
  "$PY" -c "import torch, numpy, cv2; print('torch', torch.__version__, 'numpy', numpy.__version__, 'cv2', cv2.__version__)"
  espeak-ng --version; } 2>&1 | tee -a "$OUT/log.txt"

# 2. Corpus (the same plan as on the CPU machine, where the test split is evaluated).
say "synth ${IDENTITIES}x${SENTENCES}"
G synth "$WORK/corpus" --identities "$IDENTITIES" --sentences-per-identity "$SENTENCES" --seed 0 \
  --workers "$CORES" 2>>"$OUT/synth.err" | tee -a "$OUT/log.txt"
tail -n 2 "$OUT/synth.err" | tr '\r' '\n' | tail -n 2 >>"$OUT/log.txt"
[ -f "$WORK/corpus/manifest.jsonl" ] || { say "no corpus"; exit 1; }

# 3. Flow net and autoencoder of each preset, side by side, for a fixed time (SIGTERM checkpoints).
train() {  # train PRESET_CONFIG STAGE RUN SECONDS BATCH WORKERS [extra...]
  local cfg=$1 stage=$2 run=$3 secs=$4 batch=$5 workers=$6; shift 6
  timeout -s TERM "$secs" "$PY" "$WORK/glance_min.py" train "$stage" --config "$cfg" --data "$WORK/corpus" \
    --out "$run" --steps 1000000 --batch-size "$batch" --workers "$workers" --eval-every 0 --log-every 25 "$@" \
    >"$run.$stage.log" 2>&1
  echo "$cfg $stage: exit $? after $(tail -n 1 "$run/$stage/stats.jsonl" 2>/dev/null | cut -c1-200)" >>"$OUT/log.txt"
}
say "pretrain ${PRETRAIN} s"
for preset in tiny small; do
  train "$preset+release" flow "$WORK/runs/$preset-base" "$PRETRAIN" 16 3 --ckpt-every 1000 --sample-every 100000 &
  train "$preset+release" autoencoder "$WORK/runs/$preset-base" "$PRETRAIN" 16 2 --ckpt-every 1000 \
    --sample-every 100000 &
done
wait

# 4. GAN variants side by side until the deadline; each keeps its generator every $KEEP steps.
GAN=$(( T0 + TOTAL - 30 - $(date +%s) ))
say "gan ${GAN} s: $VARIANTS"
for v in $VARIANTS; do
  run=$WORK/runs/$v; mkdir -p "$run"
  cp "$WORK/runs/${v%%+*}-base/"{flow,autoencoder}.safetensors "$run/"
  train "$v" gan "$run" "$GAN" "$BATCH" 1 --ckpt-every "$KEEP" --keep-every "$KEEP" --sample-every 500 &
done
(sleep 90; nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader >>"$OUT/log.txt" 2>&1
 uptime >>"$OUT/log.txt") &
wait

# 5. What comes back: every variant's generator at the last step all tiny variants reached, the final
#    generators, the logs and the last sample grids.
say "pack"
common=$(for v in $VARIANTS; do case $v in tiny*) ls "$WORK/runs/$v/gan/snapshots" | sort | tail -n 1;; esac; done \
  | sed 's/.*step0*\([0-9]*\).*/\1/' | sort -n | head -n 1)
say "common step of the tiny variants: $common"
cd "$WORK/runs"
tiny=() small=()
for v in $VARIANTS; do
  snap=$v/gan/snapshots/generator-step$(printf %07d "$common").safetensors
  case $v in tiny*) [ -f "$snap" ] && tiny+=("$snap");; esac
  case $v in tiny+release+skips) tiny+=("$v/generator.safetensors");; small*) small+=("$v/generator.safetensors");; esac
done
tar -cf "$OUT/tiny.tar" "${tiny[@]}"
tar -cf "$OUT/small.tar" "${small[@]}"
tar -cf "$OUT/logs.tar" ./*.log ./*/gan/stats.jsonl ./*/flow/stats.jsonl ./*/autoencoder/stats.jsonl \
  $(ls -d ./*/gan/samples 2>/dev/null) ./*/config.json 2>/dev/null
tar -cf "$OUT/pretrain.tar" ./tiny-base/flow.safetensors ./tiny-base/autoencoder.safetensors
ls -la "$OUT" | tee -a "$OUT/log.txt"
say "done"
