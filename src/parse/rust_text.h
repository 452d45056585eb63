/*
 * rust_text.h - text helpers for the Rust extractor: whitespace collapsing, doc comment
 * cleaning, string-literal unescaping, visibility and type-path normalisation.  All returned
 * strings are fresh allocations the caller frees.
 */
#ifndef PLAIT_PARSE_RUST_TEXT_H
#define PLAIT_PARSE_RUST_TEXT_H

#include <stddef.h>

/* Collapses whitespace runs to one space, trims, and drops spaces next to `::`, `<`, `>`,
 * `(`, `)`, `,`-before, `&` so `Vec < T >` and `Vec<T>` read the same. */
char *rt_collapse(const char *s, size_t n);
/* Path text with every space removed ("a :: b" -> "a::b"). */
char *rt_path(const char *s, size_t n);
/* The body of a doc comment: `/// x` -> "x"; for block docs the opening and closing
 * markers and a leading " * " on each line are dropped. */
char *rt_doc_line(const char *s, size_t n);
char *rt_doc_block(const char *s, size_t n);
/* Unescapes a Rust string literal including its quotes (plain or raw r#"..."#). */
char *rt_unquote(const char *s, size_t n);
/* "pub ( crate )" -> "pub(crate)", "crate" -> "pub(crate)". */
char *rt_visibility(const char *s, size_t n);
/* Strips generic arguments: "a::B<T>::C<U>" -> "a::B::C". */
char *rt_strip_generics(const char *s);
/* Last `::` segment of a path (pointer into s). */
const char *rt_last_segment(const char *s);

#endif
