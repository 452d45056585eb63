/*
 * tserver.c - the loopback HTTP server of the HTTP embedder tests (see tserver.h).
 *
 * Only as much HTTP/1.1 as an embeddings client needs: request line, headers up to the blank
 * line, a Content-Length body, keep-alive.  JSON both ways goes through jansson.
 */
#include "tserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QMAX 64
#define MAX_CONNS 256

struct tserver {
    int lfd, port;
    char url[64];
    unsigned dims;
    atomic_bool stop;
    pthread_t acceptor;
    pthread_mutex_t mu;
    ts_action queue[QMAX];
    size_t qhead, qlen;
    ts_action dflt;
    unsigned requests;
    size_t last_batch, max_batch;
    char last_auth[512], last_path[256], last_model[128];
    pthread_t conns[MAX_CONNS];
    size_t nconns;
};

typedef struct {
    tserver *s;
    int fd;
} conn_arg;

void tserver_vector(const char *text, unsigned dims, double *out)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) h = (h ^ *p) * 1099511628211ull;
    for (unsigned j = 0; j < dims; j++) {
        h ^= h << 13;
        h ^= h >> 7;
        h ^= h << 17;
        out[j] = 3.0 * ((double)(h >> 11) / (double)(1ull << 53) * 2.0 - 1.0);
    }
}

void tserver_vector_unit(const char *text, unsigned dims, float *out)
{
    double *v = malloc(dims * sizeof *v), n = 0;
    tserver_vector(text, dims, v);
    for (unsigned j = 0; j < dims; j++) n += v[j] * v[j];
    for (unsigned j = 0; j < dims; j++) out[j] = (float)(v[j] / sqrt(n));
    free(v);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Waits for readable data, checking the stop flag every 50 ms.  false on stop. */
static bool wait_readable(tserver *s, int fd)
{
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, 50);
        if (r > 0) return true;
        if (r < 0 && errno != EINTR) return false;
    }
    return false;
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

static bool respond(int fd, int status, const char *extra_headers, const char *body, size_t body_len, size_t send_len)
{
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s\r\n", status,
                      reason(status), body_len, extra_headers ? extra_headers : "");
    return send_all(fd, head, (size_t)hl) && send_all(fd, body, send_len);
}

static char *error_body(const char *msg)
{
    json_t *j = json_pack("{s:{s:s, s:s}}", "error", "message", msg, "type", "test_error");
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static char *embeddings_body(json_t *inputs, const char *model, unsigned dims, bool reverse)
{
    size_t n = json_array_size(inputs);
    json_t *data = json_array();
    double *v = malloc((dims ? dims : 1) * sizeof *v);
    for (size_t k = 0; k < n; k++) {
        size_t i = reverse ? n - 1 - k : k;
        const char *t = json_string_value(json_array_get(inputs, i));
        tserver_vector(t ? t : "", dims, v);
        json_t *emb = json_array();
        for (unsigned j = 0; j < dims; j++) json_array_append_new(emb, json_real(v[j]));
        json_array_append_new(data, json_pack("{s:s, s:I, s:o}", "object", "embedding", "index", (json_int_t)i,
                                              "embedding", emb));
    }
    free(v);
    json_t *root = json_pack("{s:s, s:o, s:s, s:{s:i, s:i}}", "object", "list", "data", data, "model", model,
                             "usage", "prompt_tokens", 1, "total_tokens", 1);
    char *s = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(root);
    return s;
}

static ts_action next_action(tserver *s)
{
    ts_action a;
    pthread_mutex_lock(&s->mu);
    if (s->qlen) {
        a = s->queue[s->qhead];
        s->qhead = (s->qhead + 1) % QMAX;
        s->qlen--;
    } else {
        a = s->dflt;
    }
    pthread_mutex_unlock(&s->mu);
    return a;
}

/* Serves one request from buf (headers end at hend, body follows).  false: close. */
static bool serve(tserver *s, int fd, const char *buf, size_t hend, const char *body, size_t blen)
{
    char path[256] = "", auth[512] = "";
    sscanf(buf, "%*s %255s", path);
    for (const char *line = strstr(buf, "\r\n"); line && line < buf + hend; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Authorization:", 14) == 0) {
            const char *v = line + 16;
            while (*v == ' ') v++;
            const char *e = strstr(v, "\r\n");
            size_t l = (size_t)(e - v);
            if (l >= sizeof auth) l = sizeof auth - 1;
            memcpy(auth, v, l);
            auth[l] = '\0';
        }
    }
    json_t *req = json_loadb(body, blen, 0, NULL);
    json_t *inputs = json_object_get(req, "input");
    json_t *in_arr = json_is_array(inputs) ? json_incref(inputs) : json_pack("[O]", inputs ? inputs : json_null());
    const char *model = json_string_value(json_object_get(req, "model"));
    size_t n = json_array_size(in_arr);

    pthread_mutex_lock(&s->mu);
    s->requests++;
    s->last_batch = n;
    if (n > s->max_batch) s->max_batch = n;
    snprintf(s->last_auth, sizeof s->last_auth, "%s", auth);
    snprintf(s->last_path, sizeof s->last_path, "%s", path);
    snprintf(s->last_model, sizeof s->last_model, "%s", model ? model : "");
    pthread_mutex_unlock(&s->mu);

    ts_action a = next_action(s);
    bool keep = true;
    char *out = NULL;
    if (!req || !json_is_array(inputs) || !model) {
        out = error_body("request must be JSON with \"model\" and an \"input\" array");
        keep = respond(fd, 400, NULL, out, strlen(out), strlen(out));
        goto done;
    }
    switch (a.kind) {
    case TS_SLOW:
        for (int waited = 0; waited < a.delay_ms && !atomic_load(&s->stop); waited += 10) sleep_ms(10);
        /* fall through */
    case TS_OK:
    case TS_REVERSE:
    case TS_WRONG_DIMS:
    case TS_MALFORMED:
    case TS_DROP_MID: {
        unsigned d = a.kind == TS_WRONG_DIMS ? s->dims + 1 : s->dims;
        out = embeddings_body(in_arr, model, d, a.kind == TS_REVERSE);
        size_t len = strlen(out);
        if (a.kind == TS_MALFORMED) {
            len /= 2;
            keep = respond(fd, 200, NULL, out, len, len);
        } else if (a.kind == TS_DROP_MID) {
            respond(fd, 200, NULL, out, len, len / 2);
            keep = false;
        } else {
            keep = respond(fd, 200, NULL, out, len, len);
        }
        break;
    }
    case TS_STATUS: {
        char hdr[64] = "";
        if (a.retry_after) snprintf(hdr, sizeof hdr, "Retry-After: %d\r\n", a.retry_after);
        char msg[64];
        snprintf(msg, sizeof msg, "injected status %d", a.status);
        out = error_body(msg);
        keep = respond(fd, a.status, hdr, out, strlen(out), strlen(out));
        break;
    }
    case TS_ECHO_AUTH: {
        char msg[600];
        snprintf(msg, sizeof msg, "invalid credentials: %s", auth);
        out = error_body(msg);
        keep = respond(fd, 401, NULL, out, strlen(out), strlen(out));
        break;
    }
    case TS_DROP:
        keep = false;
        break;
    }
done:
    free(out);
    json_decref(in_arr);
    json_decref(req);
    return keep;
}

static void *conn_main(void *p)
{
    conn_arg *ca = p;
    tserver *s = ca->s;
    int fd = ca->fd;
    free(ca);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        /* Complete request in the buffer? */
        buf[len] = '\0';
        char *he = strstr(buf, "\r\n\r\n");
        if (he) {
            size_t hend = (size_t)(he - buf) + 4, clen = 0;
            for (char *l = strstr(buf, "\r\n"); l && l < he; l = strstr(l + 2, "\r\n"))
                if (strncasecmp(l + 2, "Content-Length:", 15) == 0) clen = strtoul(l + 17, NULL, 10);
            if (len >= hend + clen) {
                bool keep = serve(s, fd, buf, hend, buf + hend, clen);
                memmove(buf, buf + hend + clen, len - hend - clen);
                len -= hend + clen;
                if (!keep) break;
                continue;
            }
        }
        if (!wait_readable(s, fd)) break;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r <= 0) break;
        len += (size_t)r;
    }
    free(buf);
    close(fd);
    return NULL;
}

static void *accept_main(void *p)
{
    tserver *s = p;
    while (wait_readable(s, s->lfd)) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0) continue;
        int one = 1; /* headers and body go in two writes: no Nagle wait between them */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_arg *ca = malloc(sizeof *ca);
        ca->s = s;
        ca->fd = fd;
        pthread_mutex_lock(&s->mu);
        bool room = s->nconns < MAX_CONNS && pthread_create(&s->conns[s->nconns], NULL, conn_main, ca) == 0;
        if (room) s->nconns++;
        pthread_mutex_unlock(&s->mu);
        if (!room) {
            close(fd);
            free(ca);
        }
    }
    return NULL;
}

tserver *tserver_start(unsigned dims)
{
    tserver *s = calloc(1, sizeof *s);
    s->dims = dims;
    s->dflt.kind = TS_OK;
    pthread_mutex_init(&s->mu, NULL);
    atomic_init(&s->stop, false);
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->lfd, 64) != 0 ||
        getsockname(s->lfd, (struct sockaddr *)&a, &al) != 0) {
        if (s->lfd >= 0) close(s->lfd);
        free(s);
        return NULL;
    }
    s->port = ntohs(a.sin_port);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);
    if (pthread_create(&s->acceptor, NULL, accept_main, s) != 0) {
        close(s->lfd);
        free(s);
        return NULL;
    }
    return s;
}

int tserver_port(const tserver *s) { return s->port; }
const char *tserver_url(const tserver *s) { return s->url; }

void tserver_push(tserver *s, ts_action a)
{
    pthread_mutex_lock(&s->mu);
    if (s->qlen < QMAX) {
        s->queue[(s->qhead + s->qlen) % QMAX] = a;
        s->qlen++;
    }
    pthread_mutex_unlock(&s->mu);
}

void tserver_set_default(tserver *s, ts_action a)
{
    pthread_mutex_lock(&s->mu);
    s->dflt = a;
    pthread_mutex_unlock(&s->mu);
}

void tserver_reset(tserver *s)
{
    pthread_mutex_lock(&s->mu);
    s->qhead = s->qlen = 0;
    s->dflt = (ts_action){.kind = TS_OK};
    s->requests = 0;
    s->last_batch = s->max_batch = 0;
    s->last_auth[0] = s->last_path[0] = s->last_model[0] = '\0';
    pthread_mutex_unlock(&s->mu);
}

unsigned tserver_requests(tserver *s)
{
    pthread_mutex_lock(&s->mu);
    unsigned n = s->requests;
    pthread_mutex_unlock(&s->mu);
    return n;
}

size_t tserver_last_batch(tserver *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->last_batch;
    pthread_mutex_unlock(&s->mu);
    return n;
}

size_t tserver_max_batch(tserver *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->max_batch;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static void copy_field(tserver *s, const char *f, char *buf, size_t n)
{
    pthread_mutex_lock(&s->mu);
    snprintf(buf, n, "%s", f);
    pthread_mutex_unlock(&s->mu);
}

void tserver_last_auth(tserver *s, char *buf, size_t n) { copy_field(s, s->last_auth, buf, n); }
void tserver_last_path(tserver *s, char *buf, size_t n) { copy_field(s, s->last_path, buf, n); }
void tserver_last_model(tserver *s, char *buf, size_t n) { copy_field(s, s->last_model, buf, n); }

void tserver_stop(tserver *s)
{
    if (!s) return;
    atomic_store(&s->stop, true);
    pthread_join(s->acceptor, NULL);
    close(s->lfd);
    /* No new connection threads now; the existing ones see the flag within 50 ms. */
    for (size_t i = 0; i < s->nconns; i++) pthread_join(s->conns[i], NULL);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
