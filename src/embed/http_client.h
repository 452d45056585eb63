/*
 * http_client.h - internals of the HTTP embedding provider (src/embed/http.c) exposed for
 * its unit tests.
 */
#ifndef PLAIT_EMBED_HTTP_CLIENT_H
#define PLAIT_EMBED_HTTP_CLIENT_H

#include <stdint.h>

/* Full-jitter backoff before retry number `retry` (0 = the first retry): uniform in
 * [0, min(max_ms, base_ms * 2^retry)], drawn from the 64-bit random `rnd`. */
uint64_t plait_http_backoff_ms(unsigned base_ms, unsigned max_ms, unsigned retry, uint64_t rnd);

/* From a user's URL: the endpoint requests go to (a base gets /v1/embeddings, a .../v1 gets
 * /embeddings, a path ending in /embeddings is kept; the query is kept), the URL shown in
 * messages (no credentials, no query) and host[:port] for the model id.  Fresh strings the
 * caller frees; PLAIT_EINVALID for anything but an http(s) URL. */
int plait_http_resolve_url(const char *url, char **endpoint, char **shown, char **host_port);

#endif
