/* main.c - `plait` entry point: global options, dispatch to commands, help. */
#include "cli/cli.h"
#include "core/hash.h"
#include "plait/error.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *usage =
    "usage: plait <command> [options] [args]\n"
    "\n"
    "commands:\n"
    "  index [PATH]       build or update the index of a Rust workspace (default: .)\n"
    "  status             what the index holds: counts by kind, diagnostics, size, last run\n"
    "  find NAME          items by name: exact, prefix, case-insensitive, or a glob on paths (a*b::c)\n"
    "  show ITEM          one item by canonical path or key: signature, docs, location, edges, source\n"
    "  export             the whole graph, one JSON object per line (--format jsonl)\n"
    "  callers ITEM       who calls ITEM (call sites with file:line and confidence)\n"
    "  callees ITEM       what ITEM calls, resolved or as written\n"
    "  impls ITEM         impls of a trait, or the impls of a type\n"
    "  refs ITEM          every edge that points at ITEM (calls, impls, ...)\n"
    "  search QUERY       items relevant to words or code: BM25 + vectors (hybrid), lexical or semantic\n"
    "\n"
    "options:\n"
    "  --db DIR           index folder (default: PATH/.plait for index, ./.plait otherwise)\n"
    "  --json             machine-readable output\n"
    "  --jobs N           parser threads for index (default: number of cores)\n"
    "  --quiet            no progress or summary\n"
    "  --max-file-size N  skip sources larger than N bytes (default 4194304)\n"
    "  --kind KIND        find: only this kind (function, struct, trait, ...)\n"
    "  --limit N          find: at most N results (default 50)\n"
    "  --stable           export: leave out the stamp (for diffs between runs)\n"
    "  --with-deps        index: also the dependencies' library crates (Cargo.lock; vendor/, $CARGO_HOME\n"
    "                     or /usr/share/cargo/registry), marked external\n"
    "  --embed P          index: none, local (default; $PLAIT_EMBED overrides) or http\n"
    "  --embed-url URL    index: OpenAI-compatible server for --embed http (key in $PLAIT_EMBED_API_KEY)\n"
    "  --embed-model M    index: model name for --embed http\n"
    "  --embed-dims N     index: the http model's dimension (skips the probe request)\n"
    "  --k N              search: results (default 10)\n"
    "  --mode M           search: hybrid (default), lexical or semantic\n"
    "  --crate C          search: only items of crate C (--kind K, --path GLOB on files likewise)\n"
    "  --explain          search: each signal's rank and score\n"
    "  --batch FILE       search: one query per line, one JSON object per line out\n"
    "  --depth N          callers/callees/impls/refs: follow N levels (default 1)\n"
    "  --min-confidence C exact, inferred or ambiguous (default: all)\n"
    "  -h, --help         this text\n"
    "\n"
    "exit codes: 0 ok, 1 failure, 2 usage error, 3 no index, 4 nothing found, 130 interrupted\n";

int cli_exit_for(int rc)
{
    switch (rc) {
    case PLAIT_OK: return EXIT_OKAY;
    case PLAIT_EINTERRUPTED: return EXIT_INTERRUPTED;
    case PLAIT_ENOTFOUND: return EXIT_NOTFOUND;
    case PLAIT_EVERSION: return EXIT_NOINDEX;
    case PLAIT_EINVALID: return EXIT_USAGE;
    default: return EXIT_FAIL;
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OKAY;
    }
    const char *cmd = argv[1];
    cli_opts o = {.jobs = (int)sysconf(_SC_NPROCESSORS_ONLN), .max_file_size = 4 << 20, .limit = 50, .format = "jsonl", .k = 10};
    static const struct option longs[] = {
        {"db", required_argument, 0, 'd'}, {"json", no_argument, 0, 'J'}, {"jobs", required_argument, 0, 'j'},
        {"quiet", no_argument, 0, 'q'}, {"max-file-size", required_argument, 0, 'M'}, {"kind", required_argument, 0, 'k'},
        {"limit", required_argument, 0, 'n'}, {"stable", no_argument, 0, 'S'}, {"format", required_argument, 0, 'f'},
        {"shuffle", required_argument, 0, 'X'}, {"depth", required_argument, 0, 'D'},
        {"min-confidence", required_argument, 0, 'C'}, {"help", no_argument, 0, 'h'},
        {"embed", required_argument, 0, 'E'}, {"embed-url", required_argument, 0, 'U'},
        {"embed-model", required_argument, 0, 'm'}, {"embed-dims", required_argument, 0, 'Z'},
        {"k", required_argument, 0, 'K'}, {"mode", required_argument, 0, 'o'}, {"crate", required_argument, 0, 'c'},
        {"path", required_argument, 0, 'p'}, {"explain", no_argument, 0, 'x'}, {"batch", required_argument, 0, 'b'},
        {"with-deps", no_argument, 0, 'W'},
        {0, 0, 0, 0}};
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "hqj:", longs, NULL)) != -1) {
        switch (c) {
        case 'd': o.db = optarg; break;
        case 'J': o.json = 1; break;
        case 'j': o.jobs = atoi(optarg); break;
        case 'q': o.quiet = 1; break;
        case 'M': o.max_file_size = atoll(optarg); break;
        case 'k': o.kind = optarg; break;
        case 'n': o.limit = atoi(optarg); break;
        case 'S': o.stable = 1; break;
        case 'f': o.format = optarg; break;
        case 'X': o.shuffle = atoi(optarg); break;
        case 'D': o.depth = atoi(optarg); break;
        case 'C': o.min_confidence = optarg; break;
        case 'E': o.embed = optarg; break;
        case 'U': o.embed_url = optarg; break;
        case 'm': o.embed_model = optarg; break;
        case 'Z': o.embed_dims = atoi(optarg); break;
        case 'K': o.k = atoi(optarg); break;
        case 'o': o.mode = optarg; break;
        case 'c': o.crate = optarg; break;
        case 'p': o.path_glob = optarg; break;
        case 'x': o.explain = 1; break;
        case 'b': o.batch = optarg; break;
        case 'W': o.with_deps = 1; break;
        case 'h': fputs(usage, stdout); return EXIT_OKAY;
        default: fprintf(stderr, "plait: try `plait --help`\n"); return EXIT_USAGE;
        }
    }
    if (o.jobs < 1 || o.jobs > 256) {
        fprintf(stderr, "plait: --jobs must be between 1 and 256\n");
        return EXIT_USAGE;
    }
    o.argc = argc - optind;
    o.argv = argv + optind;
    if (plait_hash_init() != PLAIT_OK) {
        fprintf(stderr, "plait: %s\n", plait_error_last());
        return EXIT_FAIL;
    }
    if (!strcmp(cmd, "index")) return cmd_index(&o);
    if (!strcmp(cmd, "status")) return cmd_status(&o);
    if (!strcmp(cmd, "find")) return cmd_find(&o);
    if (!strcmp(cmd, "show")) return cmd_show(&o);
    if (!strcmp(cmd, "export")) return cmd_export(&o);
    if (!strcmp(cmd, "callers")) return cmd_callers(&o);
    if (!strcmp(cmd, "callees")) return cmd_callees(&o);
    if (!strcmp(cmd, "impls")) return cmd_impls(&o);
    if (!strcmp(cmd, "refs")) return cmd_refs(&o);
    if (!strcmp(cmd, "search")) return cmd_search(&o);
    fprintf(stderr, "plait: unknown command `%s`; try `plait --help`\n", cmd);
    return EXIT_USAGE;
}
