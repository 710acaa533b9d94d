#!/usr/bin/env bash
# Pack this machine's TTS engines (espeak-ng, mbrola + voices, flite) with the libraries they link
# into .gpu/tts.tar.xz, for a machine without apt (scripts/train_gpu.sh unpacks it). Needs `make setup`.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/real" "$tmp/lib" "$tmp/share" .gpu
bins=$(command -v espeak-ng flite mbrola)
cp -L $bins "$tmp/real/"
for b in $bins; do ldd "$b"; done | awk '/=>/ {print $3}' | sort -u | grep -v -e '/libc\.so' -e '/libm\.so' -e 'ld-linux' \
  | xargs -I{} cp -L {} "$tmp/lib/"
cp -rL "$(espeak-ng --version | sed 's/.*Data at: //')" "$tmp/share/espeak-ng-data"
find "$tmp/share/espeak-ng-data" -name '*_dict' ! -name en_dict -delete   # English only
cp -rL /usr/share/mbrola "$tmp/share/mbrola"
tar -C "$tmp" -cJf .gpu/tts.tar.xz .
ls -la .gpu/tts.tar.xz
