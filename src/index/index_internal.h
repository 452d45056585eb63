/* index_internal.h - state shared by the pipeline's stages (pipeline.c, writer.c, pending.c). */
#ifndef PLAIT_INDEX_INTERNAL_H
#define PLAIT_INDEX_INTERNAL_H

#include "index/index.h"
#include "core/queue.h"
#include "core/strmap.h"
#include "discover/cargo.h"
#include "graph/graph.h"
#include "store/store.h"

typedef enum { JOB_PARSE, JOB_UNCHANGED, JOB_SAME_CONTENT, JOB_FAILED, JOB_VANISHED } plait_job_state;

/* pending.c: a first load's resolvable edges, one group per file row (see the file). */
typedef struct pending_file pending_file;
typedef struct {
    PLAIT_VEC(pending_file *) by_fid; /* indexed by file row id; NULL: none */
    size_t rows;
} pending_edges;
/* Replaces file `file_id`'s group with copies of the n edges. */
void pending_put(pending_edges *pe, int64_t file_id, const plait_edge *const *edges, size_t n);
/* Moves all rows, in file id order, into one new array (the caller frees it; the strings
 * stay pe's until pending_free).  Once only: the groups keep no rows afterwards. */
plait_pending_edge *pending_flatten(pending_edges *pe, size_t *n);
void pending_free(pending_edges *pe);

typedef struct {
    char *rel;
    int64_t size, mtime_ns;
    plait_job_state state;
    char *src;              /* file bytes, until parsed */
    size_t len;
    plait_hash hash;
    int has_hash;
    plait_extract x;        /* items, mod declarations and diagnostics */
} plait_job;

void plait_job_free(plait_job *j);

typedef PLAIT_VEC(plait_mount *) mount_list;

typedef struct {
    const plait_index_opts *opts;
    plait_index_stats *stats;
    uint64_t t0, last_draw;
    plait_walk walk;
    plait_workspace ws;
    plait_path_diags diags;          /* run-level: walk, manifests, mounting */
    plait_store *store;
    plait_file_rec *old;             /* files as the database had them */
    size_t nold;
    plait_strmap old_files;          /* rel -> plait_file_rec* */
    PLAIT_VEC(plait_job *) jobs;     /* handed to the reader */
    size_t njobs;
    long files_done;
    plait_strmap seen;               /* rel of every source this run -> (void*)1 */
    plait_strmap mounts;             /* rel -> mount_list* */
    plait_strmap pending;            /* rel -> plait_job* waiting for a mount */
    plait_strmap processed;          /* rel -> mount signature the database now holds */
    plait_strmap mods_of;            /* rel -> its `mod` declarations as JSON */
    plait_strmap kept;               /* rel -> plait_job* parsed this run, kept for re-mounts */
    size_t kept_bytes;
    plait_strmap recheck;            /* rel -> 1 while queued in `remount` */
    PLAIT_VEC(char *) remount;       /* files whose mounts may differ from what is stored */
    PLAIT_VEC(plait_target *) pseudo;/* targets made up for orphan and loose files */
    plait_queue *parse_q, *write_q;
    int parsers_left;
    int in_tx, batch;
    int extractor_changed;           /* the index was made by another extractor version */
    int structure_only;              /* PLAIT_BENCH_STRUCTURE_ONLY: no call/type/import edges */
    const char *extractor;           /* the version string stored in meta "extractor" */
    plait_rust_parser *parser;       /* the writer's own, for re-mounts */
    pending_edges pending_edges;     /* a first load's resolvable edges, written after resolution */
    int defer_edges;                 /* a first load: resolvable edges go to pending_edges */
} pipeline;

int plait_index_prepare(pipeline *p);
/* --with-deps: adds the dependencies' crates to p->ws and their sources to p->walk. */
void plait_index_add_deps(pipeline *p);
int plait_index_write(pipeline *p);
int plait_index_finish(pipeline *p, int interrupted);
void plait_index_cleanup(pipeline *p);
void plait_index_progress(pipeline *p);
int plait_index_stopping(void);

#endif
