/* map_lfht_qsbr.c - cds_lfht with the urcu-qsbr flavour (see map_lfht.inc). */
#include <urcu/urcu-qsbr.h>
#define LFHT_QSBR 1
#define LFHT_FLAVOR urcu_qsbr_
#define LFHT_NAME pilot_lfht_qsbr
#define LFHT_LABEL "lfht-qsbr"
#define LFHT_WHAT "liburcu cds_lfht, urcu-qsbr flavour (empty read lock, quiescent state per file)"
#include "map_lfht.inc"
