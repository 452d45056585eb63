/*
 * persist.c - the index file: save (consistent snapshot, crash-safe write) and load (mmap,
 * every byte checked before it is trusted).
 *
 * Format version 2, little-endian, one file:
 *   [0, 336)   header: magic "PLAITVX\0", version, header size, generation, parameters,
 *              slot count, entry point, max level, section table (4 entries: kind, offset,
 *              length, BLAKE2b-256 of the section), then BLAKE2b-256 of bytes [0, 304).
 *   sections, each 64-byte aligned:
 *     1 NODES    per slot 16 bytes: label u64, level u8, state u8 (0 live, 1 deleted, 2 free)
 *     2 LINKS    per non-free slot, levels 0..level: count u32, count x slot u32
 *     3 PAYLOAD  per slot the record payload (float32[dim], or scale f32, norm2 f32,
 *                centroid u32, int8[dim], refinement bits[(dim+7)/8])
 *     4 FLOATS   int8 only: centroid count u32, 0 u32, centroids float32[count][dim], then
 *                (keep_float) per slot float32[dim]; empty for float32 storage
 * Version 1 (int8 payload without centroid or bits) is read for float32 storage, whose layout
 * did not change; a version-1 int8 file is refused with PLAIT_EVERSION (rebuild it).
 * Free slots are written as zeros so that save -> load -> save gives identical bytes.
 * Deleted (not yet compacted) slots are kept with their links: they still route searches.
 */
#include "vector/vx_internal.h"

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/xalloc.h"
#include "plait/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "persist.c writes payloads with memcpy: little-endian hosts only"
#endif

#define VX_MAGIC "PLAITVX\0"
#define VX_VERSION 2u
#define HDR_TABLE 80
#define HDR_ENTRY 56
#define NSECT 4
#define HDR_HASHED (HDR_TABLE + NSECT * HDR_ENTRY) /* 304 */
#define HDR_SIZE (HDR_HASHED + PLAIT_HASH_BYTES)   /* 336 */
enum { S_NODES, S_LINKS, S_PAYLOAD, S_FLOATS };

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

/* ---- save ---- */

static size_t links_bytes(plait_vindex *ix, uint32_t nslots)
{
    size_t b = 0;
    for (uint32_t id = 0; id < nslots; id++) {
        vx_node *n = vx_rec(ix, id);
        if (atomic_load(&n->flags) & VX_F_FREE) continue;
        for (uint32_t l = 0; l <= n->level; l++) b += 4 * (1 + (size_t)atomic_load(vx_list(ix, n, l)));
    }
    return b;
}

/* Copies the index into a file image (checksums not yet filled).  Caller holds the locks
 * that stop mutation. */
static uint8_t *serialize(plait_vindex *ix, uint64_t gen, size_t *len_out)
{
    const plait_vindex_params *p = &ix->p;
    uint32_t nslots = atomic_load(&ix->nslots);
    uint32_t ncent = atomic_load(&ix->cent) ? ix->ncent : 0;
    size_t cent_bytes = p->storage == PLAIT_VSTORE_INT8 ? 8 + (size_t)ncent * p->dim * 4 : 0;
    size_t len_s[NSECT] = {(size_t)nslots * 16, links_bytes(ix, nslots), (size_t)nslots * ix->payload,
                           cent_bytes + (ix->fchunks ? (size_t)nslots * p->dim * 4 : 0)};
    size_t off_s[NSECT], off = align64(HDR_SIZE);
    for (int s = 0; s < NSECT; s++) {
        off_s[s] = off;
        off = align64(off + len_s[s]);
    }
    uint8_t *b = xcalloc(1, off);
    uint64_t st = atomic_load(&ix->ep_state);
    memcpy(b, VX_MAGIC, 8);
    put32(b + 8, VX_VERSION);
    put32(b + 12, HDR_SIZE);
    put64(b + 16, gen);
    uint32_t fields[] = {p->dim, (uint32_t)p->metric, (uint32_t)p->storage, p->keep_float, p->M,
                         p->ef_construction, p->ef_search};
    for (int i = 0; i < 7; i++) put32(b + 24 + 4 * i, fields[i]);
    memcpy(b + 52, &p->compact_threshold, 4);
    put64(b + 56, p->seed);
    put32(b + 64, nslots);
    put32(b + 68, st == VX_EP_EMPTY ? VX_NONE : (uint32_t)st);
    put32(b + 72, st == VX_EP_EMPTY ? UINT32_MAX : (uint32_t)(st >> 32));
    put32(b + 76, NSECT);
    for (int s = 0; s < NSECT; s++) {
        uint8_t *e = b + HDR_TABLE + s * HDR_ENTRY;
        put32(e, (uint32_t)s + 1);
        put64(e + 8, off_s[s]);
        put64(e + 16, len_s[s]);
    }
    if (cent_bytes) {
        put32(b + off_s[S_FLOATS], ncent);
        if (ncent) memcpy(b + off_s[S_FLOATS] + 8, atomic_load(&ix->cent), (size_t)ncent * p->dim * 4);
    }
    uint8_t *nodes = b + off_s[S_NODES], *links = b + off_s[S_LINKS];
    for (uint32_t id = 0; id < nslots; id++) {
        vx_node *n = vx_rec(ix, id);
        uint32_t fl = atomic_load(&n->flags);
        if (fl & VX_F_FREE) {
            nodes[16 * (size_t)id + 9] = 2;
            continue;
        }
        put64(nodes + 16 * (size_t)id, n->label);
        nodes[16 * (size_t)id + 8] = (uint8_t)n->level;
        nodes[16 * (size_t)id + 9] = (fl & VX_F_DELETED) ? 1 : 0;
        for (uint32_t l = 0; l <= n->level; l++) {
            _Atomic uint32_t *lst = vx_list(ix, n, l);
            uint32_t c = atomic_load(lst);
            put32(links, c);
            for (uint32_t i = 0; i < c; i++) put32(links + 4 + 4 * i, atomic_load(&lst[1 + i]));
            links += 4 * (1 + (size_t)c);
        }
        memcpy(b + off_s[S_PAYLOAD] + (size_t)id * ix->payload, vx_payload(ix, n), ix->payload);
        if (ix->fchunks)
            memcpy(b + off_s[S_FLOATS] + cent_bytes + (size_t)id * p->dim * 4, vx_fvec(ix, id), (size_t)p->dim * 4);
    }
    *len_out = off;
    return b;
}

/* Fills section and header checksums of a well-formed image. */
static void seal(uint8_t *b)
{
    for (int s = 0; s < NSECT; s++) {
        uint8_t *e = b + HDR_TABLE + s * HDR_ENTRY;
        plait_hash h;
        plait_hash_bytes(&h, b + get64(e + 8), get64(e + 16));
        memcpy(e + 24, h.b, PLAIT_HASH_BYTES);
    }
    plait_hash h;
    plait_hash_bytes(&h, b, HDR_HASHED);
    memcpy(b + HDR_HASHED, h.b, PLAIT_HASH_BYTES);
}

int plait_vindex_save(plait_vindex *ix, const char *path, uint64_t generation)
{
    if (!ix || !path) return plait_error_set(PLAIT_EINVALID, "vector index: save needs a path");
    pthread_mutex_lock(&ix->save_lock);
    /* mut_lock's write side waits for in-flight adds/removes and holds new ones back while
     * the image is copied; searches only take struct_lock and keep running. */
    pthread_rwlock_rdlock(&ix->struct_lock);
    pthread_rwlock_wrlock(&ix->mut_lock);
    size_t len;
    uint8_t *img = serialize(ix, generation, &len);
    pthread_rwlock_unlock(&ix->mut_lock);
    pthread_rwlock_unlock(&ix->struct_lock);
    seal(img); /* hashing happens outside the locks */
    int rc = plait_write_file_atomic(path, img, len);
    free(img);
    if (rc == PLAIT_OK) atomic_store(&ix->generation, generation);
    pthread_mutex_unlock(&ix->save_lock);
    return rc;
}

/* ---- load ---- */

typedef struct {
    plait_vindex_params p;
    uint32_t nslots, ep, maxl;
    uint64_t off[NSECT], len[NSECT];
    uint64_t generation;
    uint32_t version, ncent;
    uint64_t cent_bytes; /* int8: count, pad and centroids at the head of FLOATS */
} header;

static int corrupt(const char *what) { return plait_error_set(PLAIT_ECORRUPT, "vector index file: %s", what); }

static int parse_header(const uint8_t *b, size_t len, header *h)
{
    if (len < 12 || memcmp(b, VX_MAGIC, 8) != 0)
        return plait_error_set(PLAIT_EINVALID, "not a plait vector index file (bad magic)");
    uint32_t ver = get32(b + 8);
    if (ver > VX_VERSION)
        return plait_error_set(PLAIT_EVERSION, "vector index file is format %u; this plait reads up to %u: "
                               "rebuild the index or upgrade plait", ver, VX_VERSION);
    if (ver == 0) return corrupt("format version 0");
    if (len < HDR_SIZE) return corrupt("truncated header");
    if (get32(b + 12) != HDR_SIZE || get32(b + 76) != NSECT) return corrupt("bad header size");
    plait_hash hh;
    plait_hash_bytes(&hh, b, HDR_HASHED);
    if (memcmp(hh.b, b + HDR_HASHED, PLAIT_HASH_BYTES) != 0) return corrupt("header checksum mismatch");
    h->generation = get64(b + 16);
    plait_vindex_params_init(&h->p, get32(b + 24));
    h->p.metric = (plait_vmetric)get32(b + 28);
    h->p.storage = (plait_vstorage)get32(b + 32);
    h->p.keep_float = get32(b + 36);
    h->p.M = get32(b + 40);
    h->p.ef_construction = get32(b + 44);
    h->p.ef_search = get32(b + 48);
    memcpy(&h->p.compact_threshold, b + 52, 4);
    h->p.seed = get64(b + 56);
    h->nslots = get32(b + 64);
    h->ep = get32(b + 68);
    h->maxl = get32(b + 72);
    if (h->p.keep_float > 1 || (h->p.keep_float && h->p.storage != PLAIT_VSTORE_INT8) || h->p.ef_search == 0)
        return corrupt("inconsistent parameters");
    h->version = ver;
    if (h->nslots > (uint64_t)VX_MAX_CHUNKS * VX_CHUNK) return corrupt("slot count out of range");
    for (int s = 0; s < NSECT; s++) {
        const uint8_t *e = b + HDR_TABLE + s * HDR_ENTRY;
        h->off[s] = get64(e + 8);
        h->len[s] = get64(e + 16);
        if (get32(e) != (uint32_t)s + 1 || h->off[s] > len || h->len[s] > len - h->off[s] ||
            h->off[s] < HDR_SIZE)
            return corrupt("section table out of bounds (truncated file?)");
        plait_hash sh;
        plait_hash_bytes(&sh, b + h->off[s], h->len[s]);
        if (memcmp(sh.b, e + 24, PLAIT_HASH_BYTES) != 0) return corrupt("section checksum mismatch");
    }
    /* The layout is fixed (sections in order, 64-byte aligned, zero padding, nothing after),
     * so every byte of the file is either checksummed or checked here. */
    size_t expect = align64(HDR_SIZE);
    for (int s = 0; s < NSECT; s++) {
        if (h->off[s] != expect) return corrupt("sections out of place");
        expect = align64(h->off[s] + h->len[s]);
        if (expect > len) return corrupt("truncated file");
        for (size_t i = h->off[s] + h->len[s]; i < expect; i++)
            if (b[i]) return corrupt("nonzero padding");
    }
    for (size_t i = HDR_SIZE; i < align64(HDR_SIZE); i++)
        if (b[i]) return corrupt("nonzero padding");
    if (len != expect) return corrupt(len < expect ? "truncated file" : "trailing bytes after the last section");
    if (ver == 1 && h->p.storage == PLAIT_VSTORE_INT8)
        return plait_error_set(PLAIT_EVERSION, "vector index file is format 1 with int8 storage, whose "
                               "quantisation this plait no longer reads (format 2 codes residuals of "
                               "centroids): rebuild the index");
    h->ncent = 0;
    h->cent_bytes = 0;
    if (h->p.storage == PLAIT_VSTORE_INT8) {
        if (h->len[S_FLOATS] < 8) return corrupt("centroid table missing");
        const uint8_t *c = b + h->off[S_FLOATS];
        h->ncent = get32(c);
        if (get32(c + 4) != 0 || h->ncent > VX_I8_MAX_CENT) return corrupt("bad centroid count");
        h->cent_bytes = 8 + (uint64_t)h->ncent * h->p.dim * 4;
    }
    return PLAIT_OK;
}

/* Checks section sizes against the parameters (after they were validated). */
static int check_sizes(const plait_vindex *ix, const header *h)
{
    uint64_t n = h->nslots;
    if (h->len[S_NODES] != n * 16 || h->len[S_PAYLOAD] != n * ix->payload ||
        h->len[S_FLOATS] != h->cent_bytes + (ix->fchunks ? n * ix->p.dim * 4 : 0))
        return corrupt("section sizes do not match the parameters");
    return PLAIT_OK;
}

/* Reads NODES and PAYLOAD/FLOATS into freshly allocated slots 0..nslots-1. */
static int load_nodes(plait_vindex *ix, const uint8_t *b, const header *h)
{
    const uint8_t *nodes = b + h->off[S_NODES];
    for (uint32_t id = 0; id < h->nslots; id++) {
        uint32_t got = vx_slot_alloc(ix);
        if (got != id) return corrupt("internal: slot order");
        vx_node *n = vx_rec(ix, id);
        const uint8_t *r = nodes + 16 * (size_t)id;
        uint8_t state = r[9];
        if (state > 2 || r[8] > VX_MAX_LEVEL) return corrupt("bad node record");
        if (state == 2) {
            atomic_store(&n->flags, VX_F_FREE);
            continue;
        }
        n->label = get64(r);
        n->level = r[8];
        if (n->level) {
            size_t bytes = (size_t)n->level * (ix->p.M + 1) * sizeof(uint32_t);
            n->upper = xcalloc(1, bytes);
            atomic_fetch_add(&ix->upper_bytes, bytes);
        }
        memcpy(vx_payload(ix, n), b + h->off[S_PAYLOAD] + (size_t)id * ix->payload, ix->payload);
        if (ix->fchunks)
            memcpy(vx_fvec(ix, id), b + h->off[S_FLOATS] + h->cent_bytes + (size_t)id * ix->p.dim * 4,
                   (size_t)ix->p.dim * 4);
        if (ix->p.storage == PLAIT_VSTORE_INT8) {
            uint32_t c = get32(b + h->off[S_PAYLOAD] + (size_t)id * ix->payload + 8);
            if (c != VX_NONE && c >= h->ncent) return corrupt("vector names a missing centroid");
        }
        if (state == 1) {
            atomic_store(&n->flags, VX_F_DELETED);
            atomic_fetch_add(&ix->n_tomb, 1);
            continue;
        }
        atomic_store(&n->flags, 0);
        if (vx_map_get(ix, n->label) != VX_NONE) return corrupt("duplicate label");
        vx_map_lock(ix, n->label);
        vx_map_put_locked(ix, n->label, id);
        vx_map_unlock(ix, n->label);
        atomic_fetch_add(&ix->n_live, 1);
    }
    for (uint32_t id = h->nslots; id-- > 0;)
        if (atomic_load(&vx_rec(ix, id)->flags) & VX_F_FREE) vx_slot_free_push(ix, id);
    return PLAIT_OK;
}

static int load_links(plait_vindex *ix, const uint8_t *b, const header *h)
{
    const uint8_t *p = b + h->off[S_LINKS], *end = p + h->len[S_LINKS];
    for (uint32_t id = 0; id < h->nslots; id++) {
        vx_node *n = vx_rec(ix, id);
        if (atomic_load(&n->flags) & VX_F_FREE) continue;
        for (uint32_t l = 0; l <= n->level; l++) {
            if (end - p < 4) return corrupt("links section truncated");
            uint32_t c = get32(p);
            if (c > vx_cap(ix, l) || (size_t)(end - p - 4) / 4 < c) return corrupt("neighbour list too long");
            _Atomic uint32_t *lst = vx_list(ix, n, l);
            for (uint32_t i = 0; i < c; i++) {
                uint32_t t = get32(p + 4 + 4 * i);
                if (t >= h->nslots) return corrupt("neighbour out of range");
                vx_node *tn = vx_rec(ix, t);
                if ((atomic_load(&tn->flags) & VX_F_FREE) || tn->level < l)
                    return corrupt("neighbour names a free slot or a lower level");
                atomic_store(&lst[1 + i], t);
            }
            atomic_store(lst, c);
            p += 4 * (1 + (size_t)c);
        }
    }
    if (p != end) return corrupt("trailing bytes in links section");
    return PLAIT_OK;
}

static int load_entry(plait_vindex *ix, const header *h)
{
    if (h->ep == VX_NONE) {
        if (h->maxl != UINT32_MAX || atomic_load(&ix->n_live) + atomic_load(&ix->n_tomb))
            return corrupt("missing entry point");
        return PLAIT_OK;
    }
    if (h->ep >= h->nslots) return corrupt("entry point out of range");
    vx_node *n = vx_rec(ix, h->ep);
    if ((atomic_load(&n->flags) & VX_F_FREE) || n->level != h->maxl) return corrupt("bad entry point");
    atomic_store(&ix->ep_state, ((uint64_t)h->maxl << 32) | h->ep);
    return PLAIT_OK;
}

int plait_vindex_load_buffer(plait_vindex **out, const void *data, size_t len, uint64_t *generation)
{
    *out = NULL;
    int rc = plait_hash_init();
    if (rc) return rc;
    header h;
    if (!data) return plait_error_set(PLAIT_EINVALID, "vector index: no data");
    if ((rc = parse_header(data, len, &h))) return rc;
    plait_vindex *ix;
    if ((rc = plait_vindex_new(&ix, &h.p)))
        return plait_error_set(PLAIT_ECORRUPT, "vector index file: bad parameters: %s", plait_error_last());
    if (h.ncent && h.len[S_FLOATS] >= h.cent_bytes) {
        float *cent = xmalloc((size_t)h.ncent * h.p.dim * 4);
        memcpy(cent, (const uint8_t *)data + h.off[S_FLOATS] + 8, (size_t)h.ncent * h.p.dim * 4);
        ix->ncent = h.ncent;
        atomic_store(&ix->cent, cent);
    }
    if ((rc = check_sizes(ix, &h)) || (rc = load_nodes(ix, data, &h)) ||
        (rc = load_links(ix, data, &h)) || (rc = load_entry(ix, &h))) {
        plait_vindex_free(ix);
        return rc;
    }
    atomic_store(&ix->generation, h.generation);
    if (generation) *generation = h.generation;
    *out = ix;
    return PLAIT_OK;
}

int plait_vindex_load(plait_vindex **out, const char *path, uint64_t *generation)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return plait_error_set(errno == ENOENT ? PLAIT_ENOTFOUND : PLAIT_EIO, "cannot open %s: %s", path,
                               strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return plait_error_set(PLAIT_EIO, "%s is not a readable regular file", path);
    }
    if (st.st_size == 0) {
        close(fd);
        return plait_error_set(PLAIT_EINVALID, "%s is empty: not a plait vector index file", path);
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return plait_error_set(PLAIT_EIO, "cannot map %s: %s", path, strerror(errno));
    madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    int rc = plait_vindex_load_buffer(out, m, (size_t)st.st_size, generation);
    munmap(m, (size_t)st.st_size);
    if (rc) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", plait_error_last());
        return plait_error_set(rc, "%s: %s", path, msg);
    }
    return PLAIT_OK;
}

int vx_persist_reseal(uint8_t *b, size_t len)
{
    if (len < HDR_SIZE || memcmp(b, VX_MAGIC, 8) != 0) return -1;
    for (int s = 0; s < NSECT; s++) {
        uint8_t *e = b + HDR_TABLE + s * HDR_ENTRY;
        uint64_t off = get64(e + 8), n = get64(e + 16);
        if (off > len || n > len - off) return -1;
    }
    seal(b);
    return 0;
}
