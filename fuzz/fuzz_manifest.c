/* Fuzz target: Cargo.toml parsing, .gitignore rules and glob matching on arbitrary bytes. */
#include "discover/glob.h"
#include "discover/ignore.h"
#include "parse/toml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    plait_toml *t = NULL;
    if (plait_toml_parse(s, size, &t) == 0) {
        plait_toml_get(t, "package.name");
        plait_toml_count(t, "workspace.members");
        plait_toml_free(t);
    }
    plait_ignore *ig = plait_ignore_parse(s, "");
    plait_ignore_check(ig, "src/a/b.rs", 0);
    plait_ignore_check(ig, "target", 1);
    plait_ignore_free(ig);
    /* first line as a pattern, the rest as the text */
    char *nl = memchr(s, '\n', size);
    if (nl) {
        *nl = '\0';
        plait_glob_match(s, nl + 1, 1);
        plait_glob_match(s, nl + 1, 0);
    }
    free(s);
    return 0;
}
