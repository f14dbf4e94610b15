#!/usr/bin/env bash
# Builds $OUT/octopods_<version>_<arch>.deb from an already built release binary, with dpkg-deb
# (what `make deb` runs; scripts/package-check.sh lints, installs and removes it).
#
#   VERSION=0.1.0 BINARY=.build-static/release/octopods OUT=dist scripts/build-deb.sh
#
# The tree is what `make install PREFIX=/usr` lays out, with zsh's completion where Debian's
# zsh looks (/usr/share/zsh/vendor-completions), the man page compressed, and
# /usr/share/doc/octopods/{copyright,changelog.gz}: the copyright in the machine-readable format
# (packaging/copyright), the changelog in Debian's format, made from CHANGELOG.md's entries.
# Needs dpkg-dev (dpkg-shlibdeps works out the libc6 version the binary needs).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

: "${VERSION:?set VERSION (make deb does)}" "${BINARY:?set BINARY to the release binary (make deb does)}"
OUT=${OUT:-dist}
MAINTAINER=${MAINTAINER:-octopods maintainers <maintainers@octopods.invalid>}
for tool in dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" >/dev/null || { echo "error: $tool is missing: apt-get install dpkg-dev" >&2; exit 1; }
done

# The newest CHANGELOG.md entry must be this version: its date is the release's.
entry=$(grep -m1 -E '^## \[[0-9]' CHANGELOG.md || true)
if [[ "$entry" != "## [$VERSION] - "* ]]; then
    echo "error: CHANGELOG.md's newest entry is '$entry', not version $VERSION (Version.current): add one" >&2
    exit 1
fi
release_date=${entry##* - }
# Every timestamp in the package is the release's, so the same sources make the same .deb.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date -u -d "$release_date" +%s)}

arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/debian/octopods   # where dpkg-shlibdeps expects a package's files
make --no-print-directory -s install DESTDIR="$root" PREFIX=/usr BINARY="$BINARY" ZSHDIR=/usr/share/zsh/vendor-completions
gzip -9n "$root/usr/share/man/man1/octopods.1"
doc=$root/usr/share/doc/octopods
install -d -m 0755 "$doc"
install -m 0644 packaging/copyright "$doc/copyright"

# Debian's changelog format, one entry per CHANGELOG.md version: its items as the entry's items,
# wrapped at 78 columns.
awk -v maintainer="$MAINTAINER" '
    function flush() {
        if (item != "") { lines[++n] = item; item = "" }
    }
    function close_entry(   i, words, count, w, line) {
        flush()
        if (version == "") return
        printf "octopods (%s) unstable; urgency=medium\n\n", version
        for (i = 1; i <= n; i++) {
            count = split(lines[i], words, " "); line = "  *"
            for (w = 1; w <= count; w++) {
                if (length(line) + 1 + length(words[w]) > 78) { print line; line = "   " }
                line = line " " words[w]
            }
            print line
        }
        cmd = "date -u -R -d " date
        cmd | getline stamp; close(cmd)
        printf "\n -- %s  %s\n\n", maintainer, stamp
        n = 0; version = ""
    }
    /^## \[[0-9]/ {
        close_entry()
        version = $2; gsub(/[\[\]]/, "", version); date = $4
        next
    }
    /^## / { close_entry(); next }
    version == "" { next }
    /^- / { flush(); item = substr($0, 3); gsub(/`/, "", item); next }
    /^  [^ ]/ && item != "" { line = $0; sub(/^ +/, "", line); gsub(/`/, "", line); item = item " " line; next }
    END { close_entry() }
' CHANGELOG.md | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

installed_size=$(du -sk --apparent-size "$root" | cut -f1)
# The libraries the binary links (libc6, libgcc-s1) at the versions its symbols need, from
# dpkg-shlibdeps; libcurl is loaded with dlopen, so its dependency is declared by hand: the
# oldest version the transport supports (docs/linux-notes.md, "The oldest libcurl"), or
# libcurl4t64 (Debian 13, Ubuntu 24.04). redis-server is suggested: machines that share a key
# keep its rate budget in one (state_store = redis://…, docs/state-store.md).
install -d -m 0755 "$root/DEBIAN"   # also what tells dpkg-shlibdeps where the package's root is
printf 'Source: octopods\n\nPackage: octopods\nArchitecture: any\n' > "$stage/debian/control"
shlibs=$(cd "$stage" && dpkg-shlibdeps -O debian/octopods/usr/bin/octopods | sed -n 's/^shlibs:Depends=//p')
cat > "$root/DEBIAN/control" <<EOF
Package: octopods
Version: $VERSION
Architecture: $arch
Maintainer: $MAINTAINER
Installed-Size: $installed_size
Depends: ${shlibs:+$shlibs, }libcurl4 (>= 7.68.0) | libcurl4t64, ca-certificates
Suggests: redis-server
Section: net
Priority: optional
Description: command-line client for the Octopods messaging API
 Sends WhatsApp template and interactive messages, SMS and Viber Business
 Messages through the Octopods API, checked before they leave and followed
 until they land; lists templates, checks delivery status and keeps a local
 history of every send.
 .
 Built for support and operations engineers at a terminal and for shell
 scripts and cron jobs: tables on a terminal, JSON when piped, exit codes a
 script can branch on, and an API key that never reaches the shell history.
 A built-in sandbox (octopods --sandbox) tries everything without a key, and
 'octopods doctor' checks that a machine is ready.
EOF
chmod 0644 "$root/DEBIAN/control"
(cd "$root" && find usr -type f -printf '%P\n' | LC_ALL=C sort | sed 's|^|usr/|' | xargs md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +

mkdir -p "$OUT"
deb="$OUT/octopods_${VERSION}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
