#ifndef CHALLMARK_BUILD_INFO_H
#define CHALLMARK_BUILD_INFO_H
/// The commit the binary was built from, or "" when the build was not stamped.
const char *hallmark_build_commit(void);
/// The source date (Unix seconds, as text) the binary was built from, or "" when not stamped.
const char *hallmark_build_source_date(void);
#endif
