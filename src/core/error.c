/* error.c - the thread-local last-error slot behind plait/error.h. */
#include "plait/error.h"

#include <stdio.h>

static _Thread_local char last_msg[1024];
static _Thread_local int last_code;

int plait_error_setv(int code, const char *fmt, va_list ap)
{
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    last_code = code;
    return code;
}

int plait_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    plait_error_setv(code, fmt, ap);
    va_end(ap);
    return code;
}

const char *plait_error_last(void) { return last_msg; }
int plait_error_last_code(void) { return last_code; }

void plait_error_clear(void)
{
    last_msg[0] = '\0';
    last_code = PLAIT_OK;
}

const char *plait_error_name(int code)
{
    switch (code) {
    case PLAIT_OK: return "ok";
    case PLAIT_ENOMEM: return "out of memory";
    case PLAIT_EIO: return "I/O error";
    case PLAIT_ENOTFOUND: return "not found";
    case PLAIT_EINVALID: return "invalid input";
    case PLAIT_EDB: return "database error";
    case PLAIT_ECORRUPT: return "corrupt data";
    case PLAIT_EVERSION: return "unsupported version";
    case PLAIT_EINTERRUPTED: return "interrupted";
    case PLAIT_EAMBIGUOUS: return "ambiguous";
    default: return "error";
    }
}
