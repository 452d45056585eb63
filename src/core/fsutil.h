/* fsutil.h - small filesystem helpers: whole-file reads, path joining and normalising. */
#ifndef PLAIT_CORE_FSUTIL_H
#define PLAIT_CORE_FSUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Reads `path` into a fresh NUL-terminated buffer (caller frees) of *len bytes.
 * Fails with PLAIT_EINVALID if the file is larger than `limit` bytes (0 = no limit). */
int plait_read_file(const char *path, size_t limit, char **out, size_t *len);
/* Writes `data` to `path` through a temp file + fsync + rename. */
int plait_write_file_atomic(const char *path, const void *data, size_t len);
/* "a" + "b" -> "a/b" (no double slash); caller frees. */
char *plait_path_join(const char *a, const char *b);
/* Lexically normalises in place: removes "." parts, folds "x/.." , collapses "//".
 * A leading "/" is kept; leading ".." of a relative path are kept. */
void plait_path_normalise(char *p);
/* Directory part of a path ("a/b/c.rs" -> "a/b", "c.rs" -> ""); caller frees. */
char *plait_path_dirname(const char *p);
/* Last component, pointer into p. */
const char *plait_path_basename(const char *p);
int plait_is_file(const char *path);
int plait_is_dir(const char *path);
/* mkdir -p */
int plait_mkdirs(const char *path);
/* Nanosecond wall clock for timing. */
uint64_t plait_now_ns(void);

#endif
