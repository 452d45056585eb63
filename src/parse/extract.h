/*
 * extract.h - what parsing one source file yields, before it is placed in a crate.
 *
 * A worker thread turns the bytes of one file into a plait_extract: its items with paths
 * *relative to the file's own module* (the file does not know where it is mounted; the
 * module tree in graph/ decides that once the parent's `mod` declaration is seen), the
 * `mod foo;` declarations that mount other files, and diagnostics.  Everything in it is owned
 * by the plait_extract and freed by plait_extract_free().
 */
#ifndef PLAIT_PARSE_EXTRACT_H
#define PLAIT_PARSE_EXTRACT_H

#include <stdint.h>

#include "core/hash.h"

/* Bumped whenever extraction (or the edges built from it) changes for the same bytes; an index made by
 * another version re-parses every file once. */
#define PLAIT_EXTRACTOR_VERSION "8"
#include "core/xalloc.h"

typedef enum {
    PLAIT_KIND_CRATE, PLAIT_KIND_MODULE, PLAIT_KIND_FUNCTION, PLAIT_KIND_METHOD,
    PLAIT_KIND_STRUCT, PLAIT_KIND_ENUM, PLAIT_KIND_VARIANT, PLAIT_KIND_FIELD,
    PLAIT_KIND_UNION, PLAIT_KIND_TRAIT, PLAIT_KIND_IMPL, PLAIT_KIND_CONST,
    PLAIT_KIND_STATIC, PLAIT_KIND_TYPE_ALIAS, PLAIT_KIND_MACRO, PLAIT_KIND_USE,
    PLAIT_KIND_COUNT
} plait_kind;

/* "crate", "module", ... as in the export format; plait_kind_from_name returns -1 if unknown. */
const char *plait_kind_name(plait_kind k);
int plait_kind_from_name(const char *name);

typedef struct {
    plait_kind kind;
    int parent;        /* index of the enclosing item in this file, -1 = the file's module */
    char *name;
    char *rel_path;    /* display path below the file's module, e.g. "Foo::new" */
    char *key_path;    /* identity path below the module (impl items go through their impl) */
    char *scope;       /* path (relative) of the module or function body whose names are in
                        * scope here, "" = file module */
    uint32_t byte_start, byte_end, line_start, line_end; /* lines 1-based, inclusive */
    char *visibility;  /* "pub", "pub(crate)", "pub(super)", "pub(in a::b)", "private" */
    char *signature;   /* declaration text without body, whitespace collapsed */
    char *doc;         /* doc comment text, markers stripped, NULL if none */
    char *attrs;       /* outer attributes, one per line, NULL if none */
    char *cfg;         /* cfg predicates, "cfg(unix), cfg(test)", NULL if none */
    char *target;      /* use: the imported path ("a::b::C", "a::*"); impl: self type path */
    char *trait_path;  /* impl: implemented trait path, NULL for an inherent impl */
    int disamb;        /* 0 for the first item with this (key_path, kind, cfg); 1, 2, ... after */
    int macro_export;  /* #[macro_export] macro_rules!: lives at the crate root */
    plait_hash hash;   /* BLAKE2b-256 of the normalised text, attributes and docs included */
} plait_item;

/* `mod name;` (no body): mounts another file as a child module. */
typedef struct {
    char *name;
    char *path_attr;   /* #[path = "..."] value, NULL if none */
    char *inline_dir;  /* directory of enclosing inline modules, "a/b" ("" if none) */
    char *rel_path;    /* module path of the child relative to this file's module */
    int parent;        /* item index of the innermost enclosing inline module, -1 if none */
    uint32_t line;
    char *visibility, *doc, *cfg, *attrs;
    plait_hash hash;   /* of the declaration text with its attributes */
} plait_moddecl;

/* A call site inside a function body (closures count for the enclosing named function). */
typedef enum { PLAIT_CALL_PATH, PLAIT_CALL_METHOD, PLAIT_CALL_MACRO } plait_call_kind;

typedef struct {
    int caller;             /* item index of the enclosing function or method */
    plait_call_kind kind;
    char *target;           /* path as written ("f", "a::b::f", "Self::new", "<T as Tr>::m"), the
                             * method name for method calls, the macro path for macros */
    char *receiver;         /* method calls: "self", a plain identifier, or "(x: Type)" when the
                             * identifier's type is known from its binding; else NULL */
    uint32_t line, byte;
} plait_call;

/* A type named in an item's declaration (parameters, return type, field, alias, bounds) or,
 * for functions, in a `let` annotation or an `as` cast in the body. */
typedef struct {
    int item;
    char *path;             /* as written, generic arguments stripped: "Vec", "io::Result" */
    uint32_t line;
} plait_typeref;

typedef enum { PLAIT_DIAG_INFO, PLAIT_DIAG_WARNING, PLAIT_DIAG_ERROR } plait_diag_severity;
const char *plait_diag_severity_name(plait_diag_severity s);

typedef struct {
    plait_diag_severity severity;
    uint32_t line;     /* 0 = whole file */
    char *code;        /* short stable id: "syntax", "utf8", "too-large", ... */
    char *message;
} plait_diag;

typedef struct {
    PLAIT_VEC(plait_item) items;
    PLAIT_VEC(plait_moddecl) mods;
    PLAIT_VEC(plait_diag) diags;
    PLAIT_VEC(plait_call) calls;
    PLAIT_VEC(plait_typeref) typerefs;
    char *inner_doc;   /* //! and #![doc] of the file's module */
    char *inner_attrs; /* #![...] of the file's module */
    uint32_t n_lines;
    int syntax_errors; /* ERROR or MISSING nodes seen */
} plait_extract;

void plait_extract_free(plait_extract *x);
void plait_extract_diag(plait_extract *x, plait_diag_severity sev, uint32_t line, const char *code,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A Rust parser: one per thread (tree-sitter parsers are not thread-safe). */
typedef struct plait_rust_parser plait_rust_parser;

/* Allocates a parser; free with plait_rust_parser_free(). */
plait_rust_parser *plait_rust_parser_new(void);
void plait_rust_parser_free(plait_rust_parser *p);
/* on = 0 leaves out what name resolution needs from bodies and signatures (call sites, type
 * references, typed locals): only items, modules and impls are extracted.  The index
 * benchmark uses it to measure what resolution costs; on is the default. */
void plait_rust_parser_set_refs(plait_rust_parser *p, int on);
/* Parses `src` (len bytes, valid UTF-8 expected: invalid bytes give a diagnostic, never a
 * crash) into *out, which the caller zero-initialises and later frees with
 * plait_extract_free().  Returns PLAIT_OK even when the file has syntax errors (they become
 * diagnostics); fails only if the parser itself cannot run. */
int plait_rust_extract(plait_rust_parser *p, const char *src, size_t len, plait_extract *out);

#endif
