/* ignore.c - gitignore rule parsing and matching (see ignore.h). */
#include "discover/ignore.h"
#include "discover/glob.h"
#include "core/xalloc.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    char *pattern;
    int negate, dir_only, anchored;
} rule;

struct plait_ignore {
    char *base;
    PLAIT_VEC(rule) rules;
};

static void add_rule(plait_ignore *ig, const char *line, size_t n)
{
    while (n && (line[n - 1] == ' ' || line[n - 1] == '\r') && !(n >= 2 && line[n - 2] == '\\')) n--;
    if (!n || line[0] == '#') return;
    rule r = {0};
    if (line[0] == '!') {
        r.negate = 1;
        line++, n--;
    } else if (line[0] == '\\' && n > 1 && (line[1] == '#' || line[1] == '!')) {
        line++, n--;
    }
    if (n && line[n - 1] == '/') {
        r.dir_only = 1;
        n--;
    }
    if (!n) return;
    /* a slash at the start or in the middle anchors the pattern to the file's directory */
    r.anchored = memchr(line, '/', n) != NULL;
    if (line[0] == '/') line++, n--;
    r.pattern = xstrndup(line, n);
    PLAIT_VEC_PUSH(&ig->rules, r);
}

plait_ignore *plait_ignore_parse(const char *text, const char *base)
{
    plait_ignore *ig = xcalloc(1, sizeof *ig);
    ig->base = xstrdup(base ? base : "");
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        add_rule(ig, p, n);
        p += n + (e ? 1 : 0);
    }
    return ig;
}

void plait_ignore_free(plait_ignore *ig)
{
    if (!ig) return;
    for (size_t i = 0; i < ig->rules.len; i++) free(ig->rules.items[i].pattern);
    PLAIT_VEC_FREE(&ig->rules);
    free(ig->base);
    free(ig);
}

int plait_ignore_check(const plait_ignore *ig, const char *relpath, int is_dir)
{
    size_t bl = strlen(ig->base);
    const char *rel = relpath;
    if (bl) {
        if (strncmp(relpath, ig->base, bl) != 0 || relpath[bl] != '/') return 0;
        rel = relpath + bl + 1;
    }
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    for (size_t i = ig->rules.len; i-- > 0;) {
        const rule *r = &ig->rules.items[i];
        if (r->dir_only && !is_dir) continue;
        int m = r->anchored ? plait_glob_match(r->pattern, rel, 1) : plait_glob_match(r->pattern, base, 1);
        if (m) return r->negate ? -1 : 1;
    }
    return 0;
}
