/*
 * plait/error.h - error codes and the retrievable last-error message.
 *
 * Every fallible plait function returns an int: PLAIT_OK (0) on success or a negative
 * plait_error_code.  The human-readable message of the most recent failure on the calling
 * thread is kept in thread-local storage and read with plait_error_last(); it names the
 * problem and, where there is one, the fix.  Nothing here allocates on the caller's behalf.
 */
#ifndef PLAIT_ERROR_H
#define PLAIT_ERROR_H

#include <stdarg.h>

typedef enum {
    PLAIT_OK = 0,
    PLAIT_ERR = -1,          /* generic failure */
    PLAIT_ENOMEM = -2,
    PLAIT_EIO = -3,          /* read/write/stat failed */
    PLAIT_ENOTFOUND = -4,    /* a file, item or index that does not exist */
    PLAIT_EINVALID = -5,     /* bad input: argument, file content, configuration */
    PLAIT_EDB = -6,          /* SQLite said no */
    PLAIT_ECORRUPT = -7,     /* a stored structure failed its checks */
    PLAIT_EVERSION = -8,     /* an on-disk format newer than this binary */
    PLAIT_EINTERRUPTED = -9, /* stopped by a signal; state is consistent */
    PLAIT_EAMBIGUOUS = -10,  /* a name matched more than one thing */
} plait_error_code;

/* Records `code` and a printf-style message as this thread's last error; returns `code`. */
int plait_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int plait_error_setv(int code, const char *fmt, va_list ap);

/* This thread's last error message ("" when none); valid until the next plait call. */
const char *plait_error_last(void);

/* The code recorded with the last message (PLAIT_OK when none). */
int plait_error_last_code(void);

void plait_error_clear(void);

/* A short constant name for a code, e.g. "not found". */
const char *plait_error_name(int code);

#endif
