#ifndef OCTOPODS_CBUILDINFO_H
#define OCTOPODS_CBUILDINFO_H

/// The git commit the binary was built from ("" when none was given): the Makefile's release
/// build passes it as `-Xcc -DOCTOPODS_COMMIT="…"`; a plain `swift build` (the tests) has none,
/// so every test and generated file sees the same `octopods --version`.
const char *octo_build_commit(void);

#endif
