/* utf8.h - UTF-8 validation for text that must become JSON or go to the parser. */
#ifndef PLAIT_CORE_UTF8_H
#define PLAIT_CORE_UTF8_H

#include <stddef.h>

/* Replaces, in place, every byte that is not part of valid UTF-8 (overlong forms, surrogates
 * and code points past U+10FFFF included) with '?'.  The length is unchanged, so byte offsets
 * into the text still hold.  Returns the offset of the first bad byte, or -1 if none. */
long plait_utf8_sanitize(char *s, size_t n);

#endif
