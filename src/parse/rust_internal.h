/*
 * rust_internal.h - the Rust extractor's walk state, shared by rust_extract.c (items, call
 * sites) and rust_receivers.c (what is known of the type of a name in a function body).
 */
#ifndef PLAIT_PARSE_RUST_INTERNAL_H
#define PLAIT_PARSE_RUST_INTERNAL_H

#include "parse/extract.h"

#include <string.h>
#include <tree_sitter/api.h>

/* A name bound in a function body.  `type` is the receiver marker its method calls carry
 * (resolve_calls.c reads it; "" = bound, nothing known: it hides an outer binding), `full`
 * the type as written when there is one (`Option<&'a Foo>`), for patterns over the name. */
struct local { char *name, *type, *full; };

typedef struct {
    const char *src;
    size_t len;
    plait_extract *x;
    int deep_reported;
    TSParser *ts;      /* to parse macro arguments as expressions */
    int macro_depth;
    uint32_t macro_byte, macro_line; /* where the outermost macro being re-parsed starts */
    PLAIT_VEC(char *) generics;      /* per item: the type parameters in scope inside it */
    PLAIT_VEC(char *) bounds;        /* per item: their trait bounds (params and where clauses) */
    PLAIT_VEC(struct local) locals;  /* typed bindings of the bodies being walked */
    int no_refs;                     /* items only: no call sites, type references, locals */
    int item_macro_depth;            /* nesting of item macros being re-parsed */
    char *scrutinee;                 /* marker of the innermost `match` being walked */
    TSNode scrutinee_expr;           /* and its expression (a tuple's elements type its pattern) */
} ctx;

static inline char *rx_text(ctx *c, TSNode n)
{
    return xstrndup(c->src + ts_node_start_byte(n), ts_node_end_byte(n) - ts_node_start_byte(n));
}
static inline int rx_is(TSNode n, const char *t) { return strcmp(ts_node_type(n), t) == 0; }
static inline TSNode rx_field(TSNode n, const char *f) { return ts_node_child_by_field_name(n, f, (uint32_t)strlen(f)); }

/* --- rust_receivers.c ---------------------------------------------------------------- */

/* The path a type is written with, generics and references stripped: `&'a mut a::B<T>` -> `a::B`. */
char *rx_type_base(ctx *c, TSNode t);
/* The receiver marker of a name ("" bound but unknown), or NULL if it is not bound. */
const char *rx_local(ctx *c, const char *name);
void rx_unbind(ctx *c, size_t mark);
/* Binds a function's parameters. */
void rx_bind_params(ctx *c, TSNode fn);
/* Binds the names of a `let` (after its initialiser was walked). */
void rx_bind_let(ctx *c, TSNode let, const char *generics);
/* What is known of an expression's type, as a marker (resolve_calls.c's forms); NULL if
 * nothing.  `generics` are the caller's type parameters (a name typed by one is not a type). */
char *rx_expr_marker(ctx *c, TSNode e, const char *generics, int depth);
/* Scoping hooks of the body walk: before child `ch` of `container` is walked (patterns that
 * bind over it, `else` ending an `if let`'s names) and after (an `if let`'s condition). */
void rx_before_child(ctx *c, TSNode container, TSNode ch, size_t mark, const char *generics);
void rx_after_child(ctx *c, TSNode container, TSNode ch, const char *generics);

#endif
