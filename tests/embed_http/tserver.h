/*
 * tserver.h - a real HTTP/1.1 server on 127.0.0.1 (ephemeral port) for the HTTP embedder
 * tests: plain sockets, one thread per connection, keep-alive.  It answers POSTs with an
 * OpenAI-style embeddings response whose vectors are a pure function of each input text
 * (tserver_vector), and can be told what to do with the next requests (a queue of actions,
 * then a default): fail with a status, be slow, send wrong dimensions, malformed JSON,
 * rows in reverse order, drop the connection.  It counts requests and remembers the last
 * Authorization header and batch size.
 */
#ifndef PLAIT_TESTS_TSERVER_H
#define PLAIT_TESTS_TSERVER_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    TS_OK,         /* 200, rows in order */
    TS_REVERSE,    /* 200, rows in reverse order (each with its right "index") */
    TS_STATUS,     /* `status` with an OpenAI-style JSON error body (+ Retry-After if set) */
    TS_SLOW,       /* wait delay_ms, then as TS_OK */
    TS_WRONG_DIMS, /* 200, vectors of dims + 1 */
    TS_MALFORMED,  /* 200, a JSON body cut short (Content-Length matches what is sent) */
    TS_DROP,       /* read the request, close without answering */
    TS_DROP_MID,   /* send headers and part of the body, then close */
    TS_ECHO_AUTH,  /* 401 whose error message quotes the request's Authorization header */
} ts_kind;

typedef struct {
    ts_kind kind;
    int status;      /* TS_STATUS */
    int retry_after; /* TS_STATUS: seconds for a Retry-After header; 0 = none */
    int delay_ms;    /* TS_SLOW */
} ts_action;

typedef struct tserver tserver;

/* Starts a server whose vectors have `dims` components; NULL on failure. */
tserver *tserver_start(unsigned dims);
int tserver_port(const tserver *s);
/* "http://127.0.0.1:<port>" (static per server). */
const char *tserver_url(const tserver *s);
/* Queues an action for the next request not yet served. */
void tserver_push(tserver *s, ts_action a);
/* What requests do when the queue is empty (initially TS_OK). */
void tserver_set_default(tserver *s, ts_action a);
/* Clears the queue and the counters, default back to TS_OK. */
void tserver_reset(tserver *s);
/* Complete requests received. */
unsigned tserver_requests(tserver *s);
/* Inputs in the last request (0 when none). */
size_t tserver_last_batch(tserver *s);
/* Largest batch seen since the last reset. */
size_t tserver_max_batch(tserver *s);
/* The last request's Authorization header value, "" when absent (copied into buf). */
void tserver_last_auth(tserver *s, char *buf, size_t n);
/* The last request's path and its "model" field (copied). */
void tserver_last_path(tserver *s, char *buf, size_t n);
void tserver_last_model(tserver *s, char *buf, size_t n);
/* Stops accepting, closes every connection, joins every thread, frees. */
void tserver_stop(tserver *s);

/* The vector the server sends for `text` (not normalised: scaled by 3) and its normalised
 * form, for checks. */
void tserver_vector(const char *text, unsigned dims, double *out);
void tserver_vector_unit(const char *text, unsigned dims, float *out);

#endif
