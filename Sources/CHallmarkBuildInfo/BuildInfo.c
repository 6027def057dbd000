#include "CHallmarkBuildInfo.h"

/* Release builds define these with -Xcc -D… (see scripts/build-release); development builds leave them empty. */
#ifndef HALLMARK_GIT_COMMIT
#define HALLMARK_GIT_COMMIT ""
#endif
#ifndef HALLMARK_SOURCE_DATE_EPOCH
#define HALLMARK_SOURCE_DATE_EPOCH ""
#endif

const char *hallmark_build_commit(void) { return HALLMARK_GIT_COMMIT; }
const char *hallmark_build_source_date(void) { return HALLMARK_SOURCE_DATE_EPOCH; }
