/* map_lfht_memb.c - cds_lfht with the urcu-memb flavour (see map_lfht.inc). */
#include <urcu/urcu-memb.h>
#define LFHT_FLAVOR urcu_memb_
#define LFHT_NAME pilot_lfht_memb
#define LFHT_LABEL "lfht-memb"
#define LFHT_WHAT "liburcu cds_lfht, urcu-memb flavour (read lock = TLS counter)"
#include "map_lfht.inc"
