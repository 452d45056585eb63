/*
 * toml.h - reads a TOML document (Cargo.toml) with the tree-sitter-toml grammar into a flat
 * table of dotted keys.  Scalars are stored as text ("true", "42", unescaped strings); array
 * elements as "key[i]", tables in arrays as "key[i].sub"; "key[]" holds an array's length.
 * Example: `[[bin]] name = "x"` gives "bin[]" = "1" and "bin[0].name" = "x".
 */
#ifndef PLAIT_PARSE_TOML_H
#define PLAIT_PARSE_TOML_H

#include <stddef.h>

typedef struct plait_toml plait_toml;

/* Parses `src`; on success *out is a new table freed with plait_toml_free().  A document with
 * syntax errors fails with PLAIT_EINVALID naming the first bad line. */
int plait_toml_parse(const char *src, size_t len, plait_toml **out);
void plait_toml_free(plait_toml *t);
/* The value at a dotted key, or NULL. */
const char *plait_toml_get(const plait_toml *t, const char *key);
/* Length of the array at `key`, 0 if none. */
int plait_toml_count(const plait_toml *t, const char *key);
/* A boolean at `key`, `dflt` if absent or not a boolean. */
int plait_toml_bool(const plait_toml *t, const char *key, int dflt);

#endif
