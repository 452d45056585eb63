// ann_bench - plait's HNSW against hnswlib and FAISS IndexHNSWFlat, in one process, one run.
//
// Synthetic data (a clustered Gaussian mixture and uniform), exact top-10 from a brute-force
// scan (itself timed: the ceiling every index must beat by far), then for each library and
// each M: build time (on --threads threads, and on 1 thread with --single), memory (resident
// set growth across the build, after malloc_trim), and recall@10 / QPS for an ef sweep with
// one query at a time on one thread.  All three use L2 on the same float32 data.
//
// C++ only because hnswlib is a C++ header library and FAISS a C++ library; plait is called
// through its C header.  Everything is printed as one table on stdout.
#include <hnswlib/hnswlib.h>
#include <faiss/IndexHNSW.h>
#include <faiss/index_io.h>
#include <omp.h>

extern "C" {
#include "plait/vector.h"
#include "vector/distance.h"
}

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using clk = std::chrono::steady_clock;
static double secs(clk::time_point a) { return std::chrono::duration<double>(clk::now() - a).count(); }

struct Data {
    std::string kind;
    size_t n, nq, dim;
    std::vector<float> base, queries;
    std::vector<int> gt; // nq x 10 exact neighbours
    double brute_ms = 0, brute_cpu_ms = 0;
};

static void make_data(Data &d, uint64_t seed)
{
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    size_t total = d.n + d.nq, nc = 256;
    std::vector<float> cent(nc * d.dim);
    for (auto &c : cent) c = g(rng);
    std::vector<float> all(total * d.dim);
    for (size_t i = 0; i < total; i++) {
        size_t c = rng() % nc;
        for (size_t k = 0; k < d.dim; k++)
            all[i * d.dim + k] = d.kind == "clustered" ? cent[c * d.dim + k] + 0.6f * g(rng) : u(rng);
    }
    d.base.assign(all.begin(), all.begin() + d.n * d.dim);
    d.queries.assign(all.begin() + d.n * d.dim, all.end());
}

// CPU time of the calling thread: the queries run on one thread, so QPS by this clock is
// what the search costs even when the machine is shared (QPS by the wall clock is printed
// beside it and is what a user sees on an idle machine only).
static double thread_cpu_secs()
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void gt_one(Data &d, const vx_kernels *k, size_t q)
{
    std::vector<std::pair<float, int>> best;
    const float *qv = &d.queries[q * d.dim];
    for (size_t i = 0; i < d.n; i++) {
        float dist = k->l2_f32(qv, &d.base[i * d.dim], d.dim);
        if (best.size() < 10) {
            best.push_back({dist, (int)i});
            std::push_heap(best.begin(), best.end());
        } else if (dist < best.front().first) {
            std::pop_heap(best.begin(), best.end());
            best.back() = {dist, (int)i};
            std::push_heap(best.begin(), best.end());
        }
    }
    std::sort_heap(best.begin(), best.end());
    for (int j = 0; j < 10; j++) d.gt[q * 10 + j] = best[j].second;
}

// Exact top-10 by brute force.  The anchor (ms per query) is timed on the first up to 100
// queries on one thread; the rest of the ground truth is computed on `threads` threads.
static void ground_truth(Data &d, int threads)
{
    const vx_kernels *k = vx_kernels_best();
    d.gt.resize(d.nq * 10);
    size_t timed = std::min<size_t>(d.nq, 100);
    auto t0 = clk::now();
    double c0 = thread_cpu_secs();
    for (size_t q = 0; q < timed; q++) gt_one(d, k, q);
    d.brute_ms = secs(t0) * 1000.0 / (double)timed;
    d.brute_cpu_ms = (thread_cpu_secs() - c0) * 1000.0 / (double)timed;
    std::atomic<size_t> next{timed};
    auto work = [&]() {
        for (size_t q; (q = next++) < d.nq;) gt_one(d, k, q);
    };
    std::vector<std::thread> ts;
    for (int t = 1; t < threads; t++) ts.emplace_back(work);
    work();
    for (auto &t : ts) t.join();
}

// Process CPU time (user + system, all threads): with other work on the machine the wall
// time of a 2-thread build depends on what else runs; the CPU time shows the build's own
// cost and its parallel overhead (2-thread CPU time vs 1-thread).
static double cpu_secs()
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)r.ru_utime.tv_sec + r.ru_utime.tv_usec * 1e-6 + (double)r.ru_stime.tv_sec + r.ru_stime.tv_usec * 1e-6;
}

static long rss_bytes()
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
        fclose(f);
    }
    return res * sysconf(_SC_PAGESIZE);
}

// One library under test: build, then answer single queries at a given ef.
struct Engine {
    std::string name;
    std::function<void(const Data &, int M, int threads)> build;
    std::function<void(size_t ef)> set_ef;
    std::function<void(const float *q, int64_t *out)> query; // top-10 base row ids
    std::function<void()> release;
    std::function<bool(const std::string &path)> save;
    std::function<bool(const std::string &path, size_t dim)> load; // empty: not cacheable
};

static Engine plait_engine(plait_vstorage st, int keep)
{
    auto ix = std::make_shared<plait_vindex *>(nullptr);
    auto ef = std::make_shared<size_t>(10);
    Engine e;
    e.name = st == PLAIT_VSTORE_F32 ? "plait" : keep ? "plait-int8+rr" : "plait-int8";
    e.build = [=](const Data &d, int M, int threads) {
        plait_vindex_params p;
        plait_vindex_params_init(&p, (uint32_t)d.dim);
        p.M = (uint32_t)M;
        p.ef_construction = 200;
        p.storage = st;
        p.keep_float = (uint32_t)keep;
        if (plait_vindex_new(ix.get(), &p)) abort();
        std::vector<uint64_t> labels(d.n);
        for (size_t i = 0; i < d.n; i++) labels[i] = i;
        if (plait_vindex_add_batch(*ix, labels.data(), d.base.data(), d.n, (unsigned)threads)) abort();
    };
    e.set_ef = [=](size_t v) { *ef = v; };
    e.query = [=](const float *q, int64_t *out) {
        plait_vindex_hit h[10];
        size_t nh = 0;
        plait_vindex_query o = {};
        o.ef = (uint32_t)*ef;
        plait_vindex_search(*ix, q, 10, &o, h, &nh);
        for (size_t i = 0; i < 10; i++) out[i] = i < nh ? (int64_t)h[i].label : -1;
    };
    e.release = [=]() { plait_vindex_free(*ix); *ix = nullptr; };
    e.save = [=](const std::string &path) { return plait_vindex_save(*ix, path.c_str(), 0) == 0; };
    e.load = [=](const std::string &path, size_t) { return plait_vindex_load(ix.get(), path.c_str(), nullptr) == 0; };
    return e;
}

static Engine hnswlib_engine()
{
    struct St { std::unique_ptr<hnswlib::L2Space> space; std::unique_ptr<hnswlib::HierarchicalNSW<float>> h; };
    auto s = std::make_shared<St>();
    Engine e;
    e.name = "hnswlib";
    e.build = [=](const Data &d, int M, int threads) {
        s->space.reset(new hnswlib::L2Space(d.dim));
        s->h.reset(new hnswlib::HierarchicalNSW<float>(s->space.get(), d.n, (size_t)M, 200, 100));
        std::atomic<size_t> next{0};
        auto work = [&]() {
            for (size_t i; (i = next++) < d.n;) s->h->addPoint(&d.base[i * d.dim], i);
        };
        std::vector<std::thread> ts;
        for (int t = 1; t < threads; t++) ts.emplace_back(work);
        work();
        for (auto &t : ts) t.join();
    };
    e.set_ef = [=](size_t v) { s->h->setEf(v); };
    e.query = [=](const float *q, int64_t *out) {
        auto r = s->h->searchKnn(q, 10);
        for (int i = 9; i >= 0; i--) {
            out[i] = r.empty() ? -1 : (int64_t)r.top().second;
            if (!r.empty()) r.pop();
        }
    };
    e.release = [=]() { s->h.reset(); s->space.reset(); };
    e.save = [=](const std::string &path) { s->h->saveIndex(path); return true; };
    e.load = [=](const std::string &path, size_t dim) {
        s->space.reset(new hnswlib::L2Space(dim));
        s->h.reset(new hnswlib::HierarchicalNSW<float>(s->space.get(), path));
        return true;
    };
    return e;
}

static Engine faiss_engine()
{
    auto ix = std::make_shared<std::unique_ptr<faiss::IndexHNSWFlat>>();
    Engine e;
    e.name = "faiss";
    e.build = [=](const Data &d, int M, int threads) {
        ix->reset(new faiss::IndexHNSWFlat((int)d.dim, M));
        (*ix)->hnsw.efConstruction = 200;
        omp_set_num_threads(threads);
        // In 20 slices with a progress line on stderr: at 1M this build takes hours of CPU
        // on 2 cores, and a run cut short should still say how far it got.
        size_t step = std::max<size_t>(d.n / 20, 1000);
        double c0 = cpu_secs();
        auto t0 = clk::now();
        for (size_t at = 0; at < d.n; at += step) {
            size_t m = std::min(step, d.n - at);
            (*ix)->add((faiss::Index::idx_t)m, &d.base[at * d.dim]);
            fprintf(stderr, "# faiss M %d: %zu of %zu added, %.0f s wall, %.0f s CPU\n", M, at + m, d.n, secs(t0),
                    cpu_secs() - c0);
        }
        omp_set_num_threads(1);
    };
    e.set_ef = [=](size_t v) { (*ix)->hnsw.efSearch = (int)v; };
    e.query = [=](const float *q, int64_t *out) {
        float dist[10];
        faiss::Index::idx_t lab[10];
        (*ix)->search(1, q, 10, dist, lab);
        for (int i = 0; i < 10; i++) out[i] = lab[i];
    };
    e.release = [=]() { ix->reset(); };
    // Cacheable like the others: FAISS's 1M build takes ~40 CPU minutes, so it can run in a
    // process of its own and be swept later beside the other libraries' cached indexes.
    e.save = [=](const std::string &path) {
        try {
            faiss::write_index(ix->get(), path.c_str());
            return true;
        } catch (const std::exception &) {
            return false;
        }
    };
    e.load = [=](const std::string &path, size_t dim) {
        try {
            faiss::Index *r = faiss::read_index(path.c_str());
            auto *h = dynamic_cast<faiss::IndexHNSWFlat *>(r);
            if (!h || (size_t)h->d != dim) {
                delete r;
                return false;
            }
            ix->reset(h);
            omp_set_num_threads(1); // queries are timed on one thread, as after a build
            return true;
        } catch (const std::exception &) {
            return false;
        }
    };
    return e;
}

static double recall(const Data &d, size_t q, const int64_t *got)
{
    int hit = 0;
    for (int i = 0; i < 10; i++)
        for (int j = 0; j < 10; j++)
            if (got[i] == d.gt[q * 10 + j]) {
                hit++;
                break;
            }
    return hit / 10.0;
}

static const char *HEAD = "%-9s %-14s %3s %4s %9s %8s %8s %5s %9s %10s %10s %10s %10s\n";

static void header()
{
    printf(HEAD, "data", "index", "M", "thr", "build_s", "cpu_s", "mem_MB", "ef", "recall@10", "QPS", "QPS_cpu",
           "QPS_med", "cpu_med");
}

// The load average and the time of day, printed beside the figures so a reader can see
// what the machine was doing while a build or a sweep round ran.
static void note_load(const char *what)
{
    char buf[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (!fgets(buf, sizeof buf, f)) strcpy(buf, "?");
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = 0;
    time_t now = time(nullptr);
    char ts[32];
    strftime(ts, sizeof ts, "%H:%M:%S", gmtime(&now));
    printf("# %s UTC, load average %s: %s\n", ts, buf, what);
    fflush(stdout);
}

// A built index kept alive until its data set is done, so that the query sweeps of all the
// libraries can be interleaved (see sweep()).
struct Built {
    Engine e;
    int M, threads;
    double bt, ct, mem;
};

// Builds (timed: wall, process CPU, RSS growth).  With cache_dir, a plait or hnswlib index
// saved there by an earlier run of the same configuration is loaded instead (build columns
// then come from the file's side note), and a fresh build is saved there: a change to the
// search path can be measured again without paying a 1M build.
static Built build(Engine e, const Data &d, int M, int threads, const std::string &cache_dir);

// Build-only row (the 1-thread builds and the build rounds): prints it and frees the index.
static std::pair<double, double> build_only(Engine e, const Data &d, int M, int threads)
{
    Built b = build(e, d, M, threads, "");
    printf("%-9s %-14s %3d %4d %9.2f %8.2f %8.1f %5s %9s %10s %10s %10s %10s\n", d.kind.c_str(), b.e.name.c_str(), M,
           threads, b.bt, b.ct, b.mem, "-", "-", "-", "-", "-", "-");
    fflush(stdout);
    b.e.release();
    return {b.bt, b.ct};
}

struct Measure {
    double rec, qps, cpu;
};

// All queries one at a time on this thread at one ef, after 50 warm-up queries.
static Measure measure(Engine &e, const Data &d, size_t ef)
{
    int64_t out[10];
    e.set_ef(ef);
    for (size_t q = 0; q < std::min<size_t>(d.nq, 50); q++) e.query(&d.queries[q * d.dim], out);
    double rec = 0, qc0 = thread_cpu_secs();
    auto q0 = clk::now();
    for (size_t q = 0; q < d.nq; q++) {
        e.query(&d.queries[q * d.dim], out);
        rec += recall(d, q, out);
    }
    double qt = secs(q0), qc = thread_cpu_secs() - qc0;
    return {rec / (double)d.nq, (double)d.nq / qt, (double)d.nq / qc};
}

static double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// The query sweeps of several indexes, interleaved: for each round, for each ef, every index
// answers all the queries back to back, so a burst of load from elsewhere on a shared machine
// falls on all of them alike instead of on whichever library's sweep happened to run then.
// Each row gives the best round (QPS, QPS_cpu) and the median round (QPS_med, cpu_med);
// recall is the same in every round (the searches are deterministic).
static void sweep(std::vector<Built *> &bs, const Data &d, const std::vector<size_t> &efs, int rounds)
{
    if (bs.empty() || d.gt.empty()) return;
    size_t ne = efs.size();
    std::vector<std::vector<Measure>> got(bs.size() * ne);
    for (int r = 0; r < rounds; r++) {
        char what[64];
        snprintf(what, sizeof what, "sweep round %d of %d", r + 1, rounds);
        note_load(what);
        for (size_t ei = 0; ei < ne; ei++)
            for (size_t bi = 0; bi < bs.size(); bi++) got[bi * ne + ei].push_back(measure(bs[bi]->e, d, efs[ei]));
    }
    note_load("sweeps done");
    header();
    for (size_t bi = 0; bi < bs.size(); bi++)
        for (size_t ei = 0; ei < ne; ei++) {
            Built &b = *bs[bi];
            std::vector<double> q, c;
            for (auto &m : got[bi * ne + ei]) q.push_back(m.qps), c.push_back(m.cpu);
            printf("%-9s %-14s %3d %4d %9.2f %8.2f %8.1f %5zu %9.4f %10.0f %10.0f %10.0f %10.0f\n", d.kind.c_str(),
                   b.e.name.c_str(), b.M, b.threads, b.bt, b.ct, b.mem, efs[ei], got[bi * ne + ei][0].rec,
                   *std::max_element(q.begin(), q.end()), *std::max_element(c.begin(), c.end()), median(q),
                   median(c));
        }
    fflush(stdout);
}

static Built build(Engine e, const Data &d, int M, int threads, const std::string &cache_dir)
{
    char name[512];
    snprintf(name, sizeof name, "%s/%s-n%zu-d%zu-%s-M%d.idx", cache_dir.c_str(), d.kind.c_str(), d.n, d.dim,
             e.name.c_str(), M);
    std::string path = name, note = path + ".build";
    if (!cache_dir.empty() && e.load) {
        FILE *f = fopen(note.c_str(), "r");
        double bt, ct, mem;
        int ok = f && fscanf(f, "%lf %lf %lf", &bt, &ct, &mem) == 3;
        if (f) fclose(f);
        if (ok && e.load(path, d.dim)) {
            printf("# %s M %d: loaded from %s (build figures of the run that saved it)\n", e.name.c_str(), M,
                   path.c_str());
            return {e, M, threads, bt, ct, mem};
        }
    }
    malloc_trim(0);
    long r0 = rss_bytes();
    double c0 = cpu_secs();
    auto t0 = clk::now();
    e.build(d, M, threads);
    double bt = secs(t0), ct = cpu_secs() - c0;
    double mem = (rss_bytes() - r0) / 1048576.0;
    if (!cache_dir.empty() && e.save && e.save(path)) {
        FILE *f = fopen(note.c_str(), "w");
        if (f) {
            fprintf(f, "%.2f %.2f %.1f\n", bt, ct, mem);
            fclose(f);
        }
    }
    return {e, M, threads, bt, ct, mem};
}

static std::vector<std::string> split(const char *s)
{
    std::vector<std::string> v;
    std::string cur;
    for (; *s; s++) {
        if (*s == ',') {
            v.push_back(cur);
            cur.clear();
        } else cur += *s;
    }
    if (!cur.empty()) v.push_back(cur);
    return v;
}

// The ground truth (and the scan's timing) from cache_dir when an earlier run of the same
// data saved it there: at 1M the scan costs two minutes of CPU, which a rerun of the sweeps
// after a search change need not pay.
static void ground_truth_cached(Data &d, int threads, const std::string &cache_dir)
{
    char name[512];
    snprintf(name, sizeof name, "%s/%s-n%zu-d%zu-q%zu.gt", cache_dir.c_str(), d.kind.c_str(), d.n, d.dim, d.nq);
    if (!cache_dir.empty()) {
        FILE *f = fopen(name, "rb");
        d.gt.resize(d.nq * 10);
        int ok = f && fread(&d.brute_ms, sizeof(double), 1, f) == 1 && fread(&d.brute_cpu_ms, sizeof(double), 1, f) == 1 &&
                 fread(d.gt.data(), sizeof(int), d.gt.size(), f) == d.gt.size();
        if (f) fclose(f);
        if (ok) {
            printf("# ground truth loaded from %s\n", name);
            return;
        }
    }
    ground_truth(d, threads);
    FILE *f = cache_dir.empty() ? nullptr : fopen(name, "wb");
    if (f) {
        fwrite(&d.brute_ms, sizeof(double), 1, f);
        fwrite(&d.brute_cpu_ms, sizeof(double), 1, f);
        fwrite(d.gt.data(), sizeof(int), d.gt.size(), f);
        fclose(f);
    }
}

// What one run measures (the options of main()).
struct Plan {
    size_t n = 100000, nq = 1000, dim = 384;
    int threads = 2;
    std::vector<std::string> kinds = {"clustered", "uniform"}, libs = {"plait", "hnswlib", "faiss"};
    std::vector<int> Ms = {16, 32}, faissMs;
    std::vector<std::string> singleLibs;
    std::vector<size_t> efs = {10, 20, 40, 80, 120, 200, 400};
    bool single = false, int8 = false, int8rr = false, faissLast = false;
    int reps = 0, rounds = 3;
    bool gt = true; // false: builds only (no ground truth, no sweeps)
    std::string cache_dir;
};

static Engine engine_for(const std::string &l)
{
    return l == "plait" ? plait_engine(PLAIT_VSTORE_F32, 0) : l == "hnswlib" ? hnswlib_engine() : faiss_engine();
}

static bool faiss_at(const Plan &p, int M)
{
    return p.faissMs.empty() || std::find(p.faissMs.begin(), p.faissMs.end(), M) != p.faissMs.end();
}

// Interleaved build-only rounds (lib A 1 thr, A T thr, lib B 1 thr, B T thr, then again), so
// a burst of load from elsewhere hits every library alike; then the best and the median.
static void build_rounds(const Plan &p, const Data &d, const std::vector<std::string> &blibs)
{
    int M = p.Ms[0];
    printf("# %d interleaved build rounds at 1 and %d threads (M %d)\n", p.reps, p.threads, M);
    header();
    std::vector<std::vector<std::pair<double, double>>> got(blibs.size() * 2);
    for (int r = 0; r < p.reps; r++)
        for (size_t li = 0; li < blibs.size(); li++)
            for (int ti = 0; ti < 2; ti++)
                got[li * 2 + ti].push_back(build_only(engine_for(blibs[li]), d, M, ti ? p.threads : 1));
    printf("# builds over %d rounds: wall best / median, CPU best / median (s)\n", p.reps);
    for (size_t li = 0; li < blibs.size(); li++)
        for (int ti = 0; ti < 2; ti++) {
            std::vector<double> w, c;
            for (auto &x : got[li * 2 + ti]) w.push_back(x.first), c.push_back(x.second);
            printf("# %-9s %-8s thr %d: wall %7.2f / %7.2f   cpu %7.2f / %7.2f\n", d.kind.c_str(),
                   blibs[li].c_str(), ti ? p.threads : 1, *std::min_element(w.begin(), w.end()), median(w),
                   *std::min_element(c.begin(), c.end()), median(c));
        }
    fflush(stdout);
}

static Built *build_noted(std::vector<std::unique_ptr<Built>> &all, Engine e, const Plan &p, const Data &d, int M)
{
    all.emplace_back(new Built(build(e, d, M, p.threads, p.cache_dir)));
    Built &b = *all.back();
    char what[128];
    snprintf(what, sizeof what, "built %s M %d: %.2f s wall, %.2f s CPU, %.1f MB", b.e.name.c_str(), M, b.bt, b.ct,
             b.mem);
    note_load(what);
    return &b;
}

// One data set: every library's index at each M (kept alive), their sweeps interleaved; then
// the 1-thread builds and build rounds; then FAISS if it goes last, swept again with the others.
static void run_kind(const Plan &p, Data &d)
{
    std::vector<std::unique_ptr<Built>> all;
    std::vector<std::vector<Built *>> byM(p.Ms.size());
    for (size_t mi = 0; mi < p.Ms.size(); mi++) {
        int M = p.Ms[mi];
        for (auto &l : p.libs)
            if (l != "faiss" || (!p.faissLast && faiss_at(p, M))) byM[mi].push_back(build_noted(all, engine_for(l), p, d, M));
        if (p.int8 && mi == 0) {
            byM[0].push_back(build_noted(all, plait_engine(PLAIT_VSTORE_INT8, 0), p, d, M));
            if (p.int8rr) byM[0].push_back(build_noted(all, plait_engine(PLAIT_VSTORE_INT8, 1), p, d, M));
        }
        sweep(byM[mi], d, p.efs, p.rounds);
    }
    auto &blibs = p.singleLibs.empty() ? p.libs : p.singleLibs;
    if (p.single) {
        header();
        for (auto &l : blibs) build_only(engine_for(l), d, p.Ms[0], 1);
        note_load("1-thread builds done");
    }
    if (p.reps > 0) build_rounds(p, d, blibs);
    if (p.faissLast && std::find(p.libs.begin(), p.libs.end(), "faiss") != p.libs.end())
        for (size_t mi = 0; mi < p.Ms.size(); mi++) {
            if (!faiss_at(p, p.Ms[mi])) continue;
            byM[mi].push_back(build_noted(all, faiss_engine(), p, d, p.Ms[mi]));
            sweep(byM[mi], d, p.efs, p.rounds);
        }
    for (auto &b : all) b->e.release();
}

int main(int argc, char **argv)
{
    Plan P;
    size_t &n = P.n, &nq = P.nq, &dim = P.dim;
    int &threads = P.threads;
    auto &kinds = P.kinds;
    auto &libs = P.libs;
    auto &Ms = P.Ms;
    auto &faissMs = P.faissMs;
    auto &singleLibs = P.singleLibs;
    auto &efs = P.efs;
    bool &single = P.single, &int8 = P.int8, &int8rr = P.int8rr, &faissLast = P.faissLast;
    int &reps = P.reps, &rounds = P.rounds;
    std::string &cache_dir = P.cache_dir;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : "";
        if (a == "--preset" && std::string(v) == "1m") {
            // The 1M configuration: clustered 1,000,000 x 384-d, 1,000 queries, M 16,
            // efConstruction 200, a reduced ef sweep, plait / hnswlib / FAISS IndexHNSWFlat
            // built on 2 threads, plait int8 (no float copies), queries one at a time on one
            // thread, interleaved sweeps; then 1-thread builds of plait and hnswlib; FAISS
            // (the slowest build by far) runs last so the other rows are printed even if it
            // is cut short.
            // Later options override these.
            n = 1000000, nq = 1000, dim = 384, threads = 2;
            kinds = {"clustered"};
            libs = {"plait", "hnswlib", "faiss"};
            Ms = {16};
            efs = {10, 40, 100, 200, 400};
            faissLast = true;
            int8 = true, int8rr = false;
            single = true;
            singleLibs = {"plait", "hnswlib"};
            i++;
        } else if (a == "--n") n = strtoul(v, nullptr, 10), i++;
        else if (a == "--queries") nq = strtoul(v, nullptr, 10), i++;
        else if (a == "--dim") dim = strtoul(v, nullptr, 10), i++;
        else if (a == "--threads") threads = atoi(v), i++;
        else if (a == "--data") kinds = split(v), i++;
        else if (a == "--libs") libs = split(v), i++;
        else if (a == "--M") {
            Ms.clear();
            for (auto &s : split(v)) Ms.push_back(atoi(s.c_str()));
            i++;
        } else if (a == "--faiss-M") { // FAISS builds are slow here: restrict it to these M
            for (auto &s : split(v)) faissMs.push_back(atoi(s.c_str()));
            i++;
        } else if (a == "--single-libs") {
            singleLibs = split(v);
            i++;
        } else if (a == "--ef") {
            efs.clear();
            for (auto &s : split(v)) efs.push_back(strtoul(s.c_str(), nullptr, 10));
            i++;
        } else if (a == "--build-reps") { // interleaved build-only rounds at 1 and T threads
            reps = atoi(v);
            i++;
        } else if (a == "--faiss-last") faissLast = true;
        else if (a == "--single") single = true;   // also time 1-thread builds (M = first)
        else if (a == "--int8") int8 = int8rr = true; // also plait int8 / int8+rerank (M = first)
        else if (a == "--int8-only") int8 = true, int8rr = false; // plait int8 without int8+rerank
        else if (a == "--no-int8") int8 = int8rr = false;
        else if (a == "--no-single") single = false;
        else if (a == "--no-gt") P.gt = false; // builds only: separate processes share the work
        else if (a == "--sweep-rounds") rounds = std::max(1, atoi(v)), i++; // interleaved query sweeps
        else if (a == "--cache") cache_dir = v, i++; // save built indexes here, load them next time
        else {
            fprintf(stderr, "usage: ann_bench [--preset 1m] [--n N] [--queries Q] [--dim D] [--threads T]\n"
                            "  [--data clustered,uniform] [--libs plait,hnswlib,faiss] [--M 16,32] [--faiss-M 16]\n"
                            "  [--ef 10,...] [--single] [--no-single] [--single-libs plait,hnswlib] [--int8]\n"
                            "  [--int8-only] [--no-int8] [--build-reps R] [--faiss-last] [--sweep-rounds R]\n"
                            "  [--cache DIR] [--no-gt]\n");
            return 2;
        }
    }
    printf("# ann_bench: n=%zu queries=%zu dim=%zu efConstruction=200 k=10, queries 1 thread, builds %d threads\n",
           n, nq, dim, threads);
    printf("# plait kernels: %s; hardware threads: %u\n", plait_vindex_kernel_name(), std::thread::hardware_concurrency());
    for (auto &kind : kinds) {
        Data d;
        d.kind = kind;
        d.n = n;
        d.nq = nq;
        d.dim = dim;
        make_data(d, 2024);
        if (P.gt) ground_truth_cached(d, threads, cache_dir);
        if (P.gt) printf("# %s: brute-force scan %.2f ms/query (%.0f QPS, recall 1.0); by thread CPU time %.2f ms (%.0f QPS_cpu)\n",
               kind.c_str(), d.brute_ms, 1000.0 / d.brute_ms, d.brute_cpu_ms, 1000.0 / d.brute_cpu_ms);
        run_kind(P, d);
    }
    return 0;
}
