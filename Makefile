# Install octopods, its man page and its shell completions.
#
#   make && sudo make install         build the release binary, install under /usr/local
#   make install PREFIX=~/.local      anywhere else
#   make install DESTDIR=/tmp/stage   staged (packaging); DESTDIR is prepended to every path
#   make install BINARY=path          install an already-built binary, without building
#   make install STRIP=true           keep the symbols (the installed binary is stripped by default)
#   make uninstall                    remove what install put there (same PREFIX/DESTDIR)
#   make deb                          dist/octopods_<version>_<arch>.deb (dpkg-deb; scripts/build-deb.sh)
#   make dist                         dist/octopods-<version>-linux-<machine>.tar.gz and dist/SHA256SUMS
#   make version                      print the version (Version.current in Sources/OctopodsKit/Core/ExitCode.swift)
#
# The release binary links the Swift runtime and libstdc++ statically, so it runs where no Swift
# toolchain is installed; it needs only libc (libm, libgcc_s) and, when a command makes a
# request, the system's libcurl.so.4 (loaded with dlopen, so building needs no curl headers). The sources import only
# FoundationEssentials, so ICU's 34 MB of data is not linked in; stripped it is about 17 MB
# (docs/linux-notes.md, "A lean static binary").

PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift
INSTALL ?= install
STRIP ?= strip

BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man/man1
BASHDIR = $(PREFIX)/share/bash-completion/completions
ZSHDIR = $(PREFIX)/share/zsh/site-functions
FISHDIR = $(PREFIX)/share/fish/vendor_completions.d

# The version, from its one place; the commit the release binary names in `octopods --version`
# (with -dirty when the work tree has changes; none outside a git checkout). Only the release
# build gets it, so `swift build`, the tests and the generated files never depend on it.
VERSION := $(shell sed -n 's/^ *package static let current = "\(.*\)"$$/\1/p' Sources/OctopodsKit/Core/ExitCode.swift)
COMMIT ?= $(shell c=$$(git rev-parse --short=12 HEAD 2>/dev/null) && { git diff --quiet HEAD -- 2>/dev/null || c=$$c-dirty; } && echo $$c)
DISTDIR = dist

# Its own build directory, so a plain `swift build -c release` (dynamically linked) is never
# what gets installed.
SCRATCH = .build-static
RELEASE_BINARY = $(SCRATCH)/release/octopods
# libstdc++ linked in statically: Swift's --static-swift-stdlib links it as a shared library,
# which costs every run its relocation at start and every request a longer symbol search when
# libcurl is loaded (docs/linux-notes.md, "libstdc++ linked statically"). The linker finds
# libstdc++.a first in this directory, which holds nothing else; without a libstdc++.a (no
# gcc installed) the shared one is used as before.
LIBSTDCXX_A := $(shell $(CC) -print-file-name=libstdc++.a 2>/dev/null)
STATIC_CXX_DIR = $(SCRATCH)/static-libstdc++
STATIC_CXX_FLAGS = $(if $(filter /%,$(LIBSTDCXX_A)),-Xlinker -L$(abspath $(STATIC_CXX_DIR)))
# --disable-local-rpath: no $$ORIGIN in the binary's RUNPATH. A static binary loads no library of
# its own, and with it every start looked for libm, libgcc_s and libc, and every request for
# libcurl.so.4, in the binary's directory first (13 failed opens; a libcurl.so.4 placed beside
# the binary would have been loaded).
COMMIT_FLAGS = $(if $(COMMIT), -Xcc -DOCTOPODS_COMMIT='"$(COMMIT)"')
RELEASE_BUILD = $(if $(STATIC_CXX_FLAGS),mkdir -p $(STATIC_CXX_DIR) && ln -sf $(LIBSTDCXX_A) $(STATIC_CXX_DIR)/libstdc++.a && )$(SWIFT) build -c release --static-swift-stdlib --disable-local-rpath --scratch-path $(SCRATCH) $(STATIC_CXX_FLAGS)$(COMMIT_FLAGS)
# With BINARY=path nothing is built.
BINARY ?=
INSTALLED_BINARY = $(if $(BINARY),$(BINARY),$(RELEASE_BINARY))

.PHONY: all build install uninstall deb dist version

all: build

# Always asks SwiftPM, which rebuilds what changed.
build:
	$(RELEASE_BUILD)

# install builds only when there is no binary yet, so `make && sudo make install` does not
# run the build as root; run `make` after changing the sources.
$(RELEASE_BINARY):
	$(RELEASE_BUILD)

install: $(if $(BINARY),,$(RELEASE_BINARY))
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)" "$(DESTDIR)$(BASHDIR)" \
		"$(DESTDIR)$(ZSHDIR)" "$(DESTDIR)$(FISHDIR)"
	$(INSTALL) -m 0755 "$(INSTALLED_BINARY)" "$(DESTDIR)$(BINDIR)/octopods"
	$(STRIP) "$(DESTDIR)$(BINDIR)/octopods"
	$(INSTALL) -m 0644 man/octopods.1 "$(DESTDIR)$(MANDIR)/octopods.1"
	$(INSTALL) -m 0644 completions/octopods.bash "$(DESTDIR)$(BASHDIR)/octopods"
	$(INSTALL) -m 0644 completions/_octopods "$(DESTDIR)$(ZSHDIR)/_octopods"
	$(INSTALL) -m 0644 completions/octopods.fish "$(DESTDIR)$(FISHDIR)/octopods.fish"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/octopods" "$(DESTDIR)$(MANDIR)/octopods.1" \
		"$(DESTDIR)$(BASHDIR)/octopods" "$(DESTDIR)$(ZSHDIR)/_octopods" \
		"$(DESTDIR)$(FISHDIR)/octopods.fish"

version:
	@echo $(VERSION)

# Both build the release binary first (SwiftPM rebuilds what changed), or take BINARY=path.
# scripts/package-check.sh builds, lints, installs and removes them (what CI runs).
deb: $(if $(BINARY),,build)
	VERSION="$(VERSION)" BINARY="$(abspath $(INSTALLED_BINARY))" OUT="$(DISTDIR)" scripts/build-deb.sh

dist: $(if $(BINARY),,build)
	VERSION="$(VERSION)" BINARY="$(abspath $(INSTALLED_BINARY))" OUT="$(DISTDIR)" scripts/build-dist.sh
