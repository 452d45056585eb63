/* store_internal.h - shared between the store's .c files only: statement ids and access. */
#ifndef PLAIT_STORE_INTERNAL_H
#define PLAIT_STORE_INTERNAL_H

#include "store/store.h"

enum { ST_FILE_GET, ST_FILE_INS, ST_FILE_UPD, ST_NODE_OLD, ST_NODE_DEL, ST_EDGE_DEL, ST_DIAG_DEL, ST_NODE_INS,
       ST_EDGE_INS, ST_DIAG_INS, ST_TOUCH, ST_FILE_DEL, ST_NODE_OLD_FILE,
       ST_FTS_DEL, ST_FTS_INS, ST_FTS_DEL_KEY, ST_COUNT };

sqlite3_stmt *plait_store_stmt(plait_store *s, int id);
sqlite3 *plait_store_raw(plait_store *s);

#endif
