/*
 * tokenizer.h - the USE-lite SentencePiece-unigram tokenizer, bit-for-bit the behaviour of
 * the reference (Tokenizer in @tensorflow-models/universal-sentence-encoder 1.3.3).
 *
 * Rules (docs/embed.md has the reasoning):
 *  1. Bytes that are not valid UTF-8 become U+FFFD, one per offending byte.
 *  2. NFKC (utf8proc).  Empty after that -> no tokens.
 *  3. Prefix U+2581 and replace every U+0020 by U+2581 (other whitespace is kept as is).
 *  4. Work on UTF-16 code units, as the reference's JavaScript does: a character outside the
 *     BMP is two units, and since no piece contains one, two unknowns.
 *  5. Viterbi over piece scores from vocab.json pieces 6..7999 (ids 0..5 are reserved; a
 *     piece listed twice keeps its last id and score).  Where no piece starts at a position,
 *     one unit becomes id 0 with score 0.  Candidates ending at a position are tried in
 *     order of start; one replaces the best when the best is still exactly 0 or the new
 *     score is >= it (ties go to the later start), as in the reference.
 *  6. Runs of consecutive id 0 (unknown) merge into one.
 * Any byte string is accepted; nothing here can fail after loading.
 */
#ifndef PLAIT_EMBED_TOKENIZER_H
#define PLAIT_EMBED_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

typedef struct use_tokenizer use_tokenizer;

/* Loads dir/vocab.json (checked against its pin). */
int use_tokenizer_load(const char *dir, use_tokenizer **out);
/* Builds a tokenizer from vocab.json text that was already verified (or is a test vocab). */
int use_tokenizer_from_json(const char *json, size_t len, use_tokenizer **out);
void use_tokenizer_free(use_tokenizer *t);

/* Token ids of text[0..len) into a fresh array (caller frees; NULL when *n is 0). */
void use_tokenize(const use_tokenizer *t, const char *text, size_t len, int32_t **ids, size_t *n);

/* The text as the lattice sees it: UTF-16 code units after rules 1-3 (caller frees). */
void use_tokenizer_units(const char *text, size_t len, uint16_t **units, size_t *n);

#endif
