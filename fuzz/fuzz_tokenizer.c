/*
 * fuzz_tokenizer.c - feeds arbitrary bytes (invalid UTF-8, NULs, surrogates encoded in UTF-8,
 * huge runs of unknown characters) to the USE-lite tokenizer with the real, pinned vocab.
 * Besides "no crash, no sanitizer report" it checks the tokenizer's invariants: ids are
 * valid vocabulary ids outside the reserved 1..5, unknown runs are merged, there are never
 * more tokens than UTF-16 units, and the same bytes always give the same ids.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed/tokenizer.h"
#include "plait/error.h"

static use_tokenizer *tok;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tok && use_tokenizer_load(PLAIT_SOURCE_DIR "/third_party/use-lite/dist", &tok) != PLAIT_OK) {
        fprintf(stderr, "fuzz_tokenizer: %s\n", plait_error_last());
        abort();
    }
    int32_t *ids, *again;
    size_t n, n2, nu;
    uint16_t *units;
    use_tokenize(tok, (const char *)data, size, &ids, &n);
    use_tokenizer_units((const char *)data, size, &units, &nu);
    if (n > nu) abort();
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= 8000 || (ids[i] >= 1 && ids[i] <= 5)) abort();
        if (i && ids[i] == 0 && ids[i - 1] == 0) abort();
    }
    use_tokenize(tok, (const char *)data, size, &again, &n2);
    if (n2 != n || (n && memcmp(ids, again, n * sizeof *ids) != 0)) abort();
    free(again);
    free(units);
    free(ids);
    return 0;
}
