#!/usr/bin/env bash
# Unpacks a second, current libcurl (8.x, with its own OpenSSL) for the end-to-end tests that run
# the binary with another libcurl (CONTRIBUTING, "Another libcurl"): the one the `pycurl` wheel
# from PyPI ships. Nothing is installed system-wide; it lands in .build/libcurl-alt/lib, which the
# tests put on LD_LIBRARY_PATH for the binary. Run by .ci/run; idempotent.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target=.build/libcurl-alt
if [ -e "$target/lib/libcurl.so.4" ]; then
    echo "libcurl-alt: already there: $(cat "$target/VERSION" 2>/dev/null)"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$work" pycurl
wheel=$(ls "$work"/pycurl-*.whl | head -1)
python3 -m zipfile -e "$wheel" "$work/unpacked"
rm -rf "$target" && mkdir -p "$target/lib"
# The wheel's libraries find each other through RUNPATH $ORIGIN: keep them together.
cp "$work"/unpacked/pycurl.libs/* "$target/lib/"
library=$(ls "$target"/lib/libcurl-*.so.* | head -1)
cp "$library" "$target/lib/libcurl.so.4"
version=$(strings "$library" | grep -m1 -E '^libcurl/[0-9]' || true)
echo "${version:-libcurl (version unknown)} from $(basename "$wheel")" > "$target/VERSION"
echo "libcurl-alt: $(cat "$target/VERSION") in $target/lib"
