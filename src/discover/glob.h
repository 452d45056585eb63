/* glob.h - shell-style glob matching: `*` and `?` stop at `/` when `pathname` is set, `**` as a
 * whole path segment crosses directories, `[a-z]`/`[!x]` classes, `\` escapes. */
#ifndef PLAIT_DISCOVER_GLOB_H
#define PLAIT_DISCOVER_GLOB_H

int plait_glob_match(const char *pattern, const char *text, int pathname);

#endif
