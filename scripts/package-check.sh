#!/usr/bin/env bash
# The packaging check: builds the .deb and the release archive from one release build, lints the
# .deb, installs it with dpkg, uses what it installed (the binary, `man`, bash, zsh and fish
# completion, `octopods doctor --sandbox`), removes it and checks that nothing is left; then
# checks the archive's contents and checksums, and that both are reproducible. CI (.ci/run)
# runs it after `swift test`; run it alone the same way, as root on a machine (or container)
# where installing a package is fine:
#
#   scripts/package-check.sh                  # builds the release binary (minutes on 2 cores)
#   BINARY=path scripts/package-check.sh      # packages a binary built before
#
# It refuses to run where an octopods package is installed already.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
started=$SECONDS
step() { printf '\n== %s (%ds)\n' "$1" "$((SECONDS - started))"; }
fail() { echo "package-check: FAILED: $*" >&2; exit 1; }

# What packaging and the checks need, installed only when missing (after an index update), as
# .ci/run does. libcurl4 and ca-certificates: the package's dependencies.
packages=(lintian dpkg-dev make gcc man-db bash-completion zsh fish libcurl4 ca-certificates)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
if dpkg -s octopods >/dev/null 2>&1; then
    fail "an octopods package is installed on this machine; this check installs and removes its own (dpkg -r octopods first)"
fi

version=$(make -s --no-print-directory version)
arch=$(dpkg --print-architecture)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
deb="$out/octopods_${version}_${arch}.deb"
tarball="$out/octopods-$version-linux-$(uname -m).tar.gz"

step "release build and packages (make deb dist)"
make --no-print-directory deb dist DISTDIR="$out" ${BINARY:+BINARY="$BINARY"}
for made in "$deb" "$tarball" "$out/SHA256SUMS"; do
    [ -f "$made" ] || fail "make deb dist did not make $made"
done

step "lintian"
# No error and no warning (overrides, if ever needed, carry a comment saying why).
lintian --fail-on error,warning --tag-display-limit 0 "$deb" || fail "lintian found errors or warnings (above)"
dpkg-deb --field "$deb" Package Version Architecture Depends Suggests Section Priority

step "install (dpkg -i)"
mapfile -t files < <(dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./|/|; s|/$||' | grep -v '^\.\?$')
new=()   # what the package brings that was not on the machine before: all of it must go with dpkg -r
for path in "${files[@]}"; do
    if [ ! -e "$path" ]; then new+=("$path"); fi
done
dpkg -i "$deb"

step "the installed files"
expected_version="octopods $version"
if commit=$(git rev-parse --short=12 HEAD 2>/dev/null) && [ -z "${BINARY:-}" ]; then
    git diff --quiet HEAD -- || commit+=-dirty
    expected_version+=" (commit $commit)"
fi
got=$(/usr/bin/octopods --version)
# A binary given with BINARY names the commit it was built from, whatever HEAD is now.
[ "$got" = "$expected_version" ] || { [ -n "${BINARY:-}" ] && [[ "$got" == "$expected_version"* ]]; } \
    || fail "octopods --version said '$got', not '$expected_version'"
verbose=$(octopods --version -v)
grep -q '^libcurl [0-9]' <<< "$verbose" || fail "octopods --version -v names no libcurl: $verbose"
echo "$verbose"
[ "$(man -w octopods)" = /usr/share/man/man1/octopods.1.gz ] || fail "man -w octopods: $(man -w octopods 2>&1)"
MANPAGER=cat MANWIDTH=80 man octopods 2>&1 | grep -q '^EXIT STATUS' || fail "man octopods does not render"
home=$(mktemp -d)
# bash-completion loads /usr/share/bash-completion/completions/octopods by name on first use.
completed=$(HOME=$home bash --norc --noprofile -c '
    source /usr/share/bash-completion/bash_completion || exit 1
    __load_completion octopods || exit 2
    COMP_WORDS=(octopods tem) COMP_CWORD=1 COMP_LINE="octopods tem" COMP_POINT=12 COMPREPLY=()
    _octopods octopods tem octopods
    echo "${COMPREPLY[*]}"')
[ "$completed" = templates ] || fail "bash completion of 'octopods tem' gave '$completed'"
HOME=$home zsh -fc 'print -l $fpath' | grep -qx /usr/share/zsh/vendor-completions \
    || fail "/usr/share/zsh/vendor-completions is not on zsh's fpath"
HOME=$home fish -c 'complete -C "octopods tem"' | grep -q '^templates' || fail "fish does not complete 'octopods tem'"
HOME=$home octopods doctor --sandbox -o table || fail "octopods doctor --sandbox failed"
rm -rf "$home"

step "remove (dpkg -r)"
dpkg -r octopods
if dpkg -s octopods 2>/dev/null | grep -q '^Status: install'; then fail "dpkg still lists octopods as installed"; fi
for path in "${new[@]}"; do
    if [ -e "$path" ]; then fail "dpkg -r left $path"; fi
done
echo "removed: none of its ${#new[@]} new paths is left"

step "the release archive"
(cd "$out" && sha256sum -c SHA256SUMS) || fail "SHA256SUMS does not match"
grep -q " $(basename "$deb")\$" "$out/SHA256SUMS" || fail "SHA256SUMS does not list the .deb"
name=$(basename "$tarball" .tar.gz)
listed=$(tar -tzf "$tarball" | LC_ALL=C sort | tr '\n' ' ')
wanted=$(printf '%s\n' "$name/" "$name/CHANGELOG.md" "$name/LICENSE" "$name/README.md" "$name/bin/" "$name/bin/octopods" \
    "$name/share/" "$name/share/bash-completion/" "$name/share/bash-completion/completions/" \
    "$name/share/bash-completion/completions/octopods" "$name/share/fish/" "$name/share/fish/vendor_completions.d/" \
    "$name/share/fish/vendor_completions.d/octopods.fish" "$name/share/man/" "$name/share/man/man1/" \
    "$name/share/man/man1/octopods.1" "$name/share/zsh/" "$name/share/zsh/site-functions/" \
    "$name/share/zsh/site-functions/_octopods" | LC_ALL=C sort | tr '\n' ' ')
[ "$listed" = "$wanted" ] || fail "the archive holds: $listed; expected: $wanted"
unpacked=$(mktemp -d)
tar -xzf "$tarball" -C "$unpacked"
[ "$("$unpacked/$name/bin/octopods" --version)" = "$got" ] || fail "the archive's binary is not the .deb's ($got)"
cmp -s "$unpacked/$name/share/man/man1/octopods.1" man/octopods.1 || fail "the archive's man page is not man/octopods.1"
cmp -s "$unpacked/$name/LICENSE" LICENSE || fail "the archive's LICENSE differs"
rm -rf "$unpacked"

step "reproducible: the same binary packaged again gives the same files"
again=$(mktemp -d)
make --no-print-directory -s deb dist DISTDIR="$again" BINARY="$(realpath "${BINARY:-.build-static/release/octopods}")" >/dev/null
cmp "$deb" "$again/$(basename "$deb")" || fail "a second make deb made another .deb"
cmp "$tarball" "$again/$(basename "$tarball")" || fail "a second make dist made another archive"
rm -rf "$again"

step "package check passed"
ls -l "$deb" "$tarball"
