/* A small HTTP/1.1 client for the service side: the sandbox's callbacks (GET callbackUrl, http or
 * https) and the demo's app backend (POST the verify request with Basic credentials). One request
 * per connection ("Connection: close"), the whole response read into memory (bounded). It is built
 * from the client's own parts: the URL parser (core/url.h), the response reader with every framing
 * check (core/http_response.h) and the stream (io/stream.h: TLS, one flush, a clean end). The device
 * library's flow is the wrong tool here: it refuses a plain-http first hop and sends no credentials, both
 * on purpose, and it binds to a carrier path, which a service does not have. */
#ifndef SMV_SANDBOX_SB_FETCH_H
#define SMV_SANDBOX_SB_FETCH_H

#include <stddef.h>
#include <uv.h>

#include "core/alloc.h"

struct smv__tls_conf;
typedef struct smv__sb_fetch smv__sb_fetch;

typedef struct smv__sb_fetch_req {
  const char *method;              /* NULL: GET */
  const char *url;                 /* http:// or https:// */
  const char *const *headers;      /* "Name: value" lines, NULL-terminated; may be NULL */
  const char *body;
  size_t body_len;
  unsigned timeout_ms;             /* whole request; 0: 5000 */
  struct smv__tls_conf *tls;       /* client conf, required for https */
  smv__alloc *alloc;               /* what the TLS engine is charged to (the conf's allocator) */
} smv__sb_fetch_req;

/* status: the HTTP status (200..599) with the body, or a negative SMV_ERR_* (CONNECT_*, TIMEOUT,
 * URL_PARSE, HTTP_*, DNS_*, TLS_*) with no body. Called once, from the loop, unless
 * cancelled; body is valid during the call. */
typedef void (*smv__sb_fetch_cb)(smv__sb_fetch *f, int status, const char *body, size_t body_len,
                                 void *ud);

int smv__sb_fetch_start(uv_loop_t *loop, const smv__sb_fetch_req *req, smv__sb_fetch_cb cb, void *ud,
                        smv__sb_fetch **out);
/* Abandons the request: cb is not called; memory goes when the handles have closed. */
void smv__sb_fetch_cancel(smv__sb_fetch *f);

#endif
