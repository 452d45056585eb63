/* Fuzz target: the Rust extractor on arbitrary bytes (any file on disk can end in .rs), then
 * the module-declaration JSON round trip the index stores for unchanged files. */
#include "graph/graph.h"
#include "parse/extract.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static plait_rust_parser *p;
    if (!p) {
        plait_hash_init();
        p = plait_rust_parser_new();
    }
    char *src = malloc(size + 1);
    memcpy(src, data, size);
    src[size] = '\0';
    plait_extract x = {0};
    if (plait_rust_extract(p, src, size, &x) == 0) {
        for (size_t i = 0; i < x.items.len; i++) { /* every item's span lies in the file */
            const plait_item *it = &x.items.items[i];
            if (it->byte_start > it->byte_end || it->byte_end > size || it->line_start > it->line_end) abort();
            if (it->parent >= (int)i) abort(); /* parents come first */
        }
        char *json = plait_graph_mods_to_json(&x);
        plait_extract back = {0};
        if (plait_graph_mods_from_json(json, &back) != 0 || back.mods.len != x.mods.len) abort();
        plait_extract_free(&back);
        free(json);
    }
    plait_extract_free(&x);
    free(src);
    return 0;
}
