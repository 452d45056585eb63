/* extract.c - the plait_extract container: kind names, diagnostics, freeing. */
#include "parse/extract.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[PLAIT_KIND_COUNT] = {
    "crate", "module", "function", "method", "struct", "enum", "variant", "field",
    "union", "trait", "impl", "const", "static", "type_alias", "macro", "use",
};

const char *plait_kind_name(plait_kind k)
{
    return (unsigned)k < PLAIT_KIND_COUNT ? kind_names[k] : "unknown";
}

int plait_kind_from_name(const char *name)
{
    for (int i = 0; i < PLAIT_KIND_COUNT; i++)
        if (strcmp(kind_names[i], name) == 0) return i;
    return -1;
}

const char *plait_diag_severity_name(plait_diag_severity s)
{
    return s == PLAIT_DIAG_ERROR ? "error" : s == PLAIT_DIAG_WARNING ? "warning" : "info";
}

void plait_extract_diag(plait_extract *x, plait_diag_severity sev, uint32_t line, const char *code,
                        const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    plait_diag d = {sev, line, xstrdup(code), xstrdup(buf)};
    PLAIT_VEC_PUSH(&x->diags, d);
}

void plait_extract_free(plait_extract *x)
{
    for (size_t i = 0; i < x->items.len; i++) {
        plait_item *it = &x->items.items[i];
        free(it->name);
        free(it->rel_path);
        free(it->key_path);
        free(it->scope);
        free(it->visibility);
        free(it->signature);
        free(it->doc);
        free(it->attrs);
        free(it->cfg);
        free(it->target);
        free(it->trait_path);
    }
    for (size_t i = 0; i < x->mods.len; i++) {
        plait_moddecl *m = &x->mods.items[i];
        free(m->name);
        free(m->path_attr);
        free(m->inline_dir);
        free(m->rel_path);
        free(m->visibility);
        free(m->doc);
        free(m->cfg);
        free(m->attrs);
    }
    for (size_t i = 0; i < x->diags.len; i++) {
        free(x->diags.items[i].code);
        free(x->diags.items[i].message);
    }
    for (size_t i = 0; i < x->calls.len; i++) {
        free(x->calls.items[i].target);
        free(x->calls.items[i].receiver);
    }
    PLAIT_VEC_FREE(&x->calls);
    for (size_t i = 0; i < x->typerefs.len; i++) free(x->typerefs.items[i].path);
    PLAIT_VEC_FREE(&x->typerefs);
    PLAIT_VEC_FREE(&x->items);
    PLAIT_VEC_FREE(&x->mods);
    PLAIT_VEC_FREE(&x->diags);
    free(x->inner_doc);
    free(x->inner_attrs);
    memset(x, 0, sizeof *x);
}
