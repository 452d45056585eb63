/*
 * words.h - identifiers split into lowercase words, for the full-text index and the texts
 * that are embedded: `parse_quote` -> "parse quote", `ParseStream` -> "parse stream",
 * `HTTPServer` -> "http server", `syn::token::Brace` -> "syn token brace".
 *
 * Rules: a word is a run of ASCII letters and digits (bytes >= 0x80 are kept inside words, so
 * UTF-8 passes through unchanged); anything else separates words.  Inside a run, a new word
 * starts at a lower-to-upper change (`parseStream`) and before the last capital of a capital
 * run followed by a lowercase letter (`HTTPServer` -> HTTP|Server).  Digits stay with the
 * word before them (`utf8`, `Sha256Hash` -> "sha256 hash").  Output is lowercase.
 */
#ifndef PLAIT_STORE_WORDS_H
#define PLAIT_STORE_WORDS_H

#include <sqlite3.h>
#include <stddef.h>

#include "core/strbuf.h"

/* Appends the words of s[0..n) to `out`, each preceded by a space when `out` is not empty. */
void plait_words_append(strbuf *out, const char *s, size_t n);

/* Registers plait_words(text) -> the words of text as one string (NULL stays NULL) on `db`,
 * as a deterministic SQL function.  The FTS rows are built with it. */
int plait_words_register(sqlite3 *db);

#endif
