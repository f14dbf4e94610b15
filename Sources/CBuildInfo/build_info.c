// What the build knows about itself. A C target because a Swift -D define carries no value,
// and a generated Swift file would dirty the work tree; see CBuildInfo.h.

#include "CBuildInfo.h"

#ifndef OCTOPODS_COMMIT
#define OCTOPODS_COMMIT ""
#endif

const char *octo_build_commit(void) {
    return OCTOPODS_COMMIT;
}
