/*
 * ignore.h - .gitignore / .plaitignore rules.
 *
 * One plait_ignore holds the rules of one file, relative to the directory it sits in.  The
 * walker keeps a stack of them (root first) and asks plait_ignore_check on each, deepest
 * first: the deepest file with a matching rule decides, and within a file the last matching
 * rule wins, so `!keep.rs` after `*.rs` re-includes.  Semantics follow gitignore(5):
 * negation, directory-only `dir/`, anchoring when a `/` appears before the end, `**`.
 */
#ifndef PLAIT_DISCOVER_IGNORE_H
#define PLAIT_DISCOVER_IGNORE_H

typedef struct plait_ignore plait_ignore;

/* Parses rules from text; `base` is the directory (relative to the walk root, "" for the
 * root) the file lives in.  Caller frees with plait_ignore_free(). */
plait_ignore *plait_ignore_parse(const char *text, const char *base);
void plait_ignore_free(plait_ignore *ig);
/* For `relpath` (relative to the walk root): 1 ignored, -1 explicitly re-included, 0 no rule. */
int plait_ignore_check(const plait_ignore *ig, const char *relpath, int is_dir);

#endif
