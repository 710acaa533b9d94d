#!/usr/bin/env bash
# Idempotent set-up: Debian packages (when root), then the .venv with glance installed editable.
# Re-running does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
APT_PACKAGES=(espeak-ng flite mbrola mbrola-us1 mbrola-us2 mbrola-us3 mbrola-en1
  mbrola-de1 mbrola-de2 mbrola-de3 mbrola-de5 mbrola-de6 mbrola-fr1 mbrola-fr4 mbrola-nl2 mbrola-pl1 mbrola-sw1 mbrola-sw2
  rhvoice rhvoice-english chromium pocketsphinx-testdata)

apt_setup() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "setup: missing Debian packages (${missing[*]}); run 'make setup' as root to install them" >&2
    return 0
  fi
  # mbrola lives in Debian contrib, its voices in non-free: add those components once.
  local src=/etc/apt/sources.list.d/glance-contrib.sources
  if [ ! -f "$src" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
    awk 'BEGIN{RS=""; ORS="\n\n"} /URIs: http[^\n]*debian\n/ {
           gsub(/Components: [^\n]*/, "Components: contrib non-free"); print }' \
      /etc/apt/sources.list.d/debian.sources > "$src"
    [ -s "$src" ] || printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: %s\nComponents: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$(. /etc/os-release && echo "$VERSION_CODENAME")" > "$src"
  fi
  echo "setup: apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

venv_setup() {
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  local stamp=.venv/.glance-installed want
  want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  .venv/bin/python -m pip install -q --upgrade pip
  # The CPU build of torch that lies on this disk; an unpinned torch would pull a CUDA build.
  .venv/bin/python -m pip install -q "torch==2.13.0"
  .venv/bin/python -m pip install -q -e ".[dev,demo,onnx,transcript,train]"
  echo "$want" > "$stamp"
}

apt_setup
venv_setup
