/* The service-side HTTP(S) client (see sb_fetch.h): getaddrinfo, one connection, one request, the
 * response through the core reader, then a clean end of the stream. */
#include "sandbox/sb_fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/http_response.h"
#include "core/url.h"
#include "io/stream.h"
#include "io/tls.h"
#include "smv.h"

#define FETCH_MAX_RESPONSE (256 * 1024)  /* headers and body together */
#define FETCH_SCRATCH 8192               /* one header line */

struct smv__sb_fetch {
  uv_loop_t *loop;
  uv_getaddrinfo_t gai;
  uv_connect_t conn;
  uv_timer_t timer;
  smv__stream st;
  smv__alloc libc;              /* the fetch's own memory (the TLS engine is charged to req->alloc) */
  smv__tls *tls;                /* until the stream owns it */
  char *request;
  size_t request_len;
  smv__http_response rd;
  char scratch[FETCH_SCRATCH];
  char *body;
  size_t body_len, body_cap;
  int status, complete;
  smv__sb_fetch_cb cb;
  void *ud;
  unsigned handles;             /* the timer, the stream once made, a getaddrinfo in progress */
  int stream_made, done, closing;
};

static void release(smv__sb_fetch *f) {
  if (--f->handles > 0) return;
  if (f->tls) smv__tls_free(f->tls);
  free(f->request);
  free(f->body);
  free(f);
}

static void on_timer_closed(uv_handle_t *h) { release(h->data); }
static void on_stream_released(smv__stream *s) { release(s->owner); }

/* Ends everything the fetch holds; the memory goes when the last handle has closed. */
static void shut(smv__sb_fetch *f) {
  if (f->closing) return;
  f->closing = 1;
  uv_close((uv_handle_t *)&f->timer, on_timer_closed);
  if (f->stream_made) smv__stream_shutdown(&f->st, 0);
  /* a getaddrinfo in progress comes back (cancelled or not) and releases its share */
  uv_cancel((uv_req_t *)&f->gai);
}

static void finish(smv__sb_fetch *f, int status, const char *body, size_t len) {
  if (f->done) return;
  f->done = 1;
  if (f->cb) f->cb(f, status, body, len, f->ud);
  shut(f);
}

void smv__sb_fetch_cancel(smv__sb_fetch *f) {
  f->done = 1;
  shut(f);
}

static void on_timeout(uv_timer_t *t) { finish(t->data, SMV_ERR_TIMEOUT, NULL, 0); }

/* ---- the response -------------------------------------------------------------------------------- */
static int rd_status(void *ud, int status) {
  ((smv__sb_fetch *)ud)->status = status;
  return 0;
}

static int rd_body(void *ud, const char *data, size_t len) {
  smv__sb_fetch *f = ud;
  if (f->body_len + len + 1 > f->body_cap) {
    size_t cap = f->body_cap ? f->body_cap * 2 : 1024;
    while (cap < f->body_len + len + 1) cap *= 2;
    char *nb = realloc(f->body, cap);
    if (!nb) return SMV_ERR_NOMEM;
    f->body = nb;
    f->body_cap = cap;
  }
  memcpy(f->body + f->body_len, data, len);
  f->body_len += len;
  f->body[f->body_len] = '\0';
  return 0;
}

static int rd_complete(void *ud, int keep_alive) {
  (void)keep_alive;
  ((smv__sb_fetch *)ud)->complete = 1;
  return 0;
}

static const smv__http_response_cbs rd_cbs = {NULL, rd_status, NULL, NULL, rd_body, rd_complete};

static void done_reading(smv__sb_fetch *f) {
  finish(f, f->status, f->body ? f->body : "", f->body_len);
}

/* ---- the stream's events ------------------------------------------------------------------------- */
static void st_ready(smv__stream *s, int err) {
  smv__sb_fetch *f = s->owner;
  if (err) {
    finish(f, err, NULL, 0);
    return;
  }
  int rc = smv__stream_write(&f->st, f->request, f->request_len);
  if (rc) finish(f, rc, NULL, 0);
}

static void st_data(smv__stream *s, const char *buf, size_t len) {
  smv__sb_fetch *f = s->owner;
  if (f->done) return;
  size_t used;
  int rc = smv__http_response_feed(&f->rd, buf, len, &used);
  if (rc) finish(f, rc, NULL, 0);
  else if (f->complete) done_reading(f);
}

static void st_written(smv__stream *s, int err) {
  if (err) finish(s->owner, err, NULL, 0);
}

static void st_closed(smv__stream *s, int err) {
  smv__sb_fetch *f = s->owner;
  if (f->done) return;
  /* a body delimited by the close ends here; anything else is an error */
  int rc = err ? err : smv__http_response_eof(&f->rd);
  if (rc == 0 && f->complete) done_reading(f);
  else finish(f, rc ? rc : SMV_ERR_HTTP_EOF, NULL, 0);
}

static const smv__stream_events fetch_events = {st_ready, st_data, st_written, st_closed,
                                                on_stream_released};

/* ---- connecting ---------------------------------------------------------------------------------- */
static void on_connect(uv_connect_t *c, int status) {
  smv__sb_fetch *f = c->data;
  if (f->done) return;
  if (status) {
    finish(f, smv__stream_uv_error(status), NULL, 0);
    return;
  }
  smv__stream_start(&f->st);
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  smv__sb_fetch *f = req->data;
  if (f->closing || status || !res) {
    uv_freeaddrinfo(res);
    if (!f->closing) finish(f, status == UV_ECANCELED ? SMV_ERR_CANCELLED : SMV_ERR_DNS_NOT_FOUND, NULL, 0);
    release(f);
    return;
  }
  smv__tls *t = f->tls;
  f->tls = NULL; /* the stream's from here on, also when init fails */
  int rc = smv__stream_init(&f->st, f->loop, &f->libc, t, 16384, &fetch_events, f);
  if (rc == 0) {
    f->stream_made = 1;
    f->handles++; /* released by the stream */
    uv_tcp_t *tcp = smv__stream_tcp(&f->st);
    uv_tcp_nodelay(tcp, 1);
    f->conn.data = f;
    rc = uv_tcp_connect(&f->conn, tcp, res->ai_addr, on_connect);
    if (rc) rc = smv__stream_uv_error(rc);
  }
  uv_freeaddrinfo(res);
  if (rc) finish(f, rc, NULL, 0);
  release(f); /* getaddrinfo's share */
}

/* The request: target and Host from the parsed URL (RFC 9112 3.2), the caller's headers, the body. */
static int build_request(smv__sb_fetch *f, const smv__sb_fetch_req *req, const smv__url *u) {
  char host[300];
  if (smv__url_host_header(u, host, sizeof(host)) == 0) return SMV_ERR_URL_PARSE;
  smv__span tg = smv__url_target(u);
  size_t hl = 0;
  for (const char *const *h = req->headers; h && *h; h++) hl += strlen(*h) + 2;
  size_t cap = tg.len + strlen(host) + hl + req->body_len + 512;
  if (!(f->request = malloc(cap))) return SMV_ERR_NOMEM;
  size_t n = (size_t)snprintf(f->request, cap, "%s %.*s HTTP/1.1\r\nHost: %s\r\n",
                              req->method ? req->method : "GET", (int)tg.len, u->href + tg.off, host);
  for (const char *const *h = req->headers; h && *h; h++)
    n += (size_t)snprintf(f->request + n, cap - n, "%s\r\n", *h);
  if (req->body) n += (size_t)snprintf(f->request + n, cap - n, "Content-Length: %zu\r\n", req->body_len);
  n += (size_t)snprintf(f->request + n, cap - n,
                        "User-Agent: smv-sandbox\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  if (req->body) {
    memcpy(f->request + n, req->body, req->body_len);
    n += req->body_len;
  }
  f->request_len = n;
  return 0;
}

int smv__sb_fetch_start(uv_loop_t *loop, const smv__sb_fetch_req *req, smv__sb_fetch_cb cb, void *ud,
                        smv__sb_fetch **out) {
  static smv__url u; /* large: not on the stack; loop thread only */
  if (smv__url_parse(&u, req->url, strlen(req->url)) != 0 || !u.is_http || u.has_userinfo)
    return SMV_ERR_URL_PARSE;
  if (u.is_http == 2 && !req->tls) return SMV_ERR_TLS_CACERT;
  smv__sb_fetch *f = calloc(1, sizeof(*f));
  if (!f) return SMV_ERR_NOMEM;
  smv__alloc_init(&f->libc, NULL);
  int rc = build_request(f, req, &u);
  char host[256];
  snprintf(host, sizeof(host), "%.*s", (int)u.host.len, u.href + u.host.off);
  if (rc == 0 && u.is_http == 2) {
    smv__alloc *prev = smv__alloc_enter(req->alloc);
    rc = smv__tls_new(req->tls, host, u.port_num, &f->tls);
    smv__alloc_leave(prev);
  }
  if (rc) {
    free(f->request);
    free(f);
    return rc;
  }
  smv__http_limits lim = {FETCH_MAX_RESPONSE, FETCH_MAX_RESPONSE, 0, 0};
  smv__http_response_init(&f->rd, &lim, req->method, f->scratch, sizeof(f->scratch), &rd_cbs, f);
  f->loop = loop;
  f->cb = cb;
  f->ud = ud;
  uv_timer_init(loop, &f->timer);
  f->timer.data = f;
  f->handles = 2; /* the timer and the getaddrinfo (the stream adds its own) */
  uv_timer_start(&f->timer, on_timeout, req->timeout_ms ? req->timeout_ms : 5000, 0);
  char port[8];
  snprintf(port, sizeof(port), "%u", u.port_num);
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  f->gai.data = f;
  if (uv_getaddrinfo(loop, &f->gai, on_resolved, host, port, &hints) != 0) {
    f->done = 1;
    f->handles--; /* no getaddrinfo to come back */
    shut(f);
    return SMV_ERR_DNS_FAIL;
  }
  if (out) *out = f;
  return 0;
}
