#!/usr/bin/env bash
# Builds $OUT/octopods-<version>-linux-<machine>.tar.gz from an already built release binary, and
# $OUT/SHA256SUMS for it and the .deb of the same version when there is one (what `make dist`
# runs; scripts/package-check.sh checks both).
#
#   VERSION=0.1.0 BINARY=.build-static/release/octopods OUT=dist scripts/build-dist.sh
#
# The archive holds one directory laid out as a prefix, so that it can be used where it is
# unpacked or unpacked into one:
#
#   octopods-0.1.0-linux-x86_64/bin/octopods
#   octopods-0.1.0-linux-x86_64/share/man/man1/octopods.1
#   octopods-0.1.0-linux-x86_64/share/{bash-completion,zsh,fish}/...   (as `make install` puts them)
#   octopods-0.1.0-linux-x86_64/{README.md,LICENSE,CHANGELOG.md}
#
#   sudo tar -xzf octopods-0.1.0-linux-x86_64.tar.gz -C /usr/local --strip-components=1 \
#       --exclude='*.md' --exclude=LICENSE
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

: "${VERSION:?set VERSION (make dist does)}" "${BINARY:?set BINARY to the release binary (make dist does)}"
OUT=${OUT:-dist}
name="octopods-$VERSION-linux-$(uname -m)"
entry=$(grep -m1 -E '^## \[[0-9]' CHANGELOG.md || true)
# Every timestamp in the archive is the release's (its CHANGELOG.md date), so the same sources
# make the same archive.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date -u -d "${entry##* - }" +%s 2>/dev/null || echo 0)}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
make --no-print-directory -s install DESTDIR="$stage/$name" PREFIX= BINARY="$BINARY"
install -m 0644 README.md LICENSE CHANGELOG.md "$stage/$name/"
find "$stage/$name" -type d -exec chmod 0755 {} +

mkdir -p "$OUT"
tar -C "$stage" --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner -cf - "$name" \
    | gzip -9n > "$OUT/$name.tar.gz"
(
    cd "$OUT"
    files=("$name.tar.gz")
    for deb in "octopods_${VERSION}"_*.deb; do [ -e "$deb" ] && files+=("$deb"); done
    sha256sum "${files[@]}" > SHA256SUMS
)
echo "$OUT/$name.tar.gz"
echo "$OUT/SHA256SUMS"
