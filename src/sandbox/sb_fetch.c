/* The service-side HTTP(S) client. TLS goes through the socket-free engine of src/io/tls.h: bytes from
 * the socket are fed to it, its pending output is written out. mbedTLS allocates through the
 * process-wide "current" allocator, so every engine call runs between enter() and leave(). */
#include "sandbox/sb_fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/tls.h"
#include "smv.h"

#define FETCH_MAX_RESPONSE (256 * 1024)

struct smv__sb_fetch {
  uv_loop_t *loop;
  uv_getaddrinfo_t gai;
  uv_tcp_t tcp;
  uv_connect_t conn;
  uv_timer_t timer;
  char host[256];
  unsigned port;
  int use_tls;
  smv__tls_conf *conf;
  smv__alloc *alloc;
  smv__tls *tls;
  char *request;                /* plaintext request */
  size_t request_len, request_off;
  char *resp;                   /* plaintext response */
  size_t resp_len, resp_cap;
  char rbuf[16384];
  smv__sb_fetch_cb cb;
  void *ud;
  int tcp_open, gai_busy, closing, pending_closes, done, hs_done, writes_in_flight;
};

typedef struct wreq {
  uv_write_t w;
  smv__sb_fetch *f;
  char data[];
} wreq;

int smv__sb_fetch_split(const char *url, int *tls, char *host, size_t hostcap, unsigned *port,
                        const char **target) {
  const char *a;
  if (strncasecmp(url, "http://", 7) == 0) a = url + 7, *tls = 0, *port = 80;
  else if (strncasecmp(url, "https://", 8) == 0) a = url + 8, *tls = 1, *port = 443;
  else return SMV_ERR_URL_PARSE;
  size_t alen = strcspn(a, "/?#");
  const char *h = a, *pe = NULL;
  size_t hl;
  if (alen && a[0] == '[') {
    const char *close = memchr(a, ']', alen);
    if (!close) return SMV_ERR_URL_PARSE;
    h = a + 1;
    hl = (size_t)(close - h);
    pe = close + 1 < a + alen ? close + 1 : NULL;
    if (pe && *pe != ':') return SMV_ERR_URL_PARSE;
  } else {
    const char *colon = memchr(a, ':', alen);
    hl = colon ? (size_t)(colon - a) : alen;
    pe = colon;
  }
  if (hl == 0 || hl >= hostcap || memchr(h, '@', hl)) return SMV_ERR_URL_PARSE;
  memcpy(host, h, hl);
  host[hl] = 0;
  if (pe) {
    char *end;
    unsigned long p = strtoul(pe + 1, &end, 10);
    if (end != a + alen || p == 0 || p > 65535) return SMV_ERR_URL_PARSE;
    *port = (unsigned)p;
  }
  *target = a + alen;
  return 0;
}

static smv__alloc *enter(smv__sb_fetch *f) { return smv__alloc_enter(f->alloc); }
static void leave(smv__alloc *prev) { smv__alloc_leave(prev); }

static void on_closed(uv_handle_t *h) {
  smv__sb_fetch *f = h->data;
  if (--f->pending_closes == 0) {
    if (f->tls) {
      smv__alloc *p = enter(f);
      smv__tls_free(f->tls);
      leave(p);
    }
    free(f->request);
    free(f->resp);
    free(f);
  }
}

static void shut(smv__sb_fetch *f) {
  if (f->closing) return;
  f->closing = 1;
  f->pending_closes = 1;
  uv_close((uv_handle_t *)&f->timer, on_closed);
  if (f->tcp_open) {
    f->pending_closes++;
    uv_close((uv_handle_t *)&f->tcp, on_closed);
  }
  if (f->gai_busy) {
    f->pending_closes++; /* on_resolved runs (cancelled or not) and releases it */
    uv_cancel((uv_req_t *)&f->gai);
  }
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

/* The response is complete when the peer closed, or when Content-Length bytes of body are in. */
static int try_complete(smv__sb_fetch *f, int eof) {
  char *hend = NULL;
  for (size_t i = 0; i + 3 < f->resp_len; i++)
    if (memcmp(f->resp + i, "\r\n\r\n", 4) == 0) {
      hend = f->resp + i;
      break;
    }
  if (!hend) {
    if (eof) finish(f, f->resp_len ? SMV_ERR_HTTP_MALFORMED : SMV_ERR_HTTP_EOF, NULL, 0);
    return eof;
  }
  if (f->resp_len < 12 || memcmp(f->resp, "HTTP/1.", 7) != 0 || f->resp[8] != ' ') {
    finish(f, SMV_ERR_HTTP_MALFORMED, NULL, 0);
    return 1;
  }
  int status = 0;
  for (int i = 9; i < 12; i++) {
    if (f->resp[i] < '0' || f->resp[i] > '9') {
      finish(f, SMV_ERR_HTTP_MALFORMED, NULL, 0);
      return 1;
    }
    status = status * 10 + (f->resp[i] - '0');
  }
  const char *body = hend + 4;
  size_t have = f->resp_len - (size_t)(body - f->resp);
  long clen = -1;
  for (const char *p = strstr(f->resp, "\r\n"); p && p < hend; p = strstr(p + 2, "\r\n"))
    if (strncasecmp(p + 2, "Content-Length:", 15) == 0) clen = strtol(p + 17, NULL, 10);
  if (status == 204 || status == 304 || (status >= 100 && status < 200)) clen = 0;
  if (clen >= 0 && have >= (size_t)clen) {
    finish(f, status, body, (size_t)clen);
    return 1;
  }
  if (eof) {
    finish(f, clen < 0 ? status : SMV_ERR_HTTP_EOF, body, have);
    return 1;
  }
  return 0;
}

static int take_plain(smv__sb_fetch *f, const char *data, size_t n) {
  if (f->resp_len + n > FETCH_MAX_RESPONSE) {
    finish(f, SMV_ERR_HTTP_BODY_TOO_LARGE, NULL, 0);
    return -1;
  }
  if (f->resp_len + n + 1 > f->resp_cap) {
    size_t cap = f->resp_cap ? f->resp_cap * 2 : 4096;
    while (cap < f->resp_len + n + 1) cap *= 2;
    char *nb = realloc(f->resp, cap);
    if (!nb) {
      finish(f, SMV_ERR_NOMEM, NULL, 0);
      return -1;
    }
    f->resp = nb;
    f->resp_cap = cap;
  }
  memcpy(f->resp + f->resp_len, data, n);
  f->resp_len += n;
  f->resp[f->resp_len] = 0;
  return 0;
}

static void on_written(uv_write_t *w, int status) {
  wreq *r = (wreq *)w;
  smv__sb_fetch *f = r->f;
  f->writes_in_flight--;
  free(r);
  if (status && !f->done) finish(f, SMV_ERR_CONN_RESET, NULL, 0);
}

static int write_raw(smv__sb_fetch *f, const void *data, size_t n) {
  if (!n) return 0;
  wreq *r = malloc(sizeof(*r) + n);
  if (!r) return SMV_ERR_NOMEM;
  r->f = f;
  memcpy(r->data, data, n);
  uv_buf_t b = uv_buf_init(r->data, (unsigned)n);
  if (uv_write(&r->w, (uv_stream_t *)&f->tcp, &b, 1, on_written)) {
    free(r);
    return SMV_ERR_CONN_RESET;
  }
  f->writes_in_flight++;
  return 0;
}

/* Writes what the engine has for the wire. */
static int flush_tls(smv__sb_fetch *f) {
  const uint8_t *p;
  size_t n;
  smv__tls_pending_out(f->tls, &p, &n);
  int rc = write_raw(f, p, n);
  smv__tls_consume_out(f->tls, n);
  return rc;
}

/* Drives the TLS engine after new ciphertext: handshake, then the request, then the response. */
static void pump_tls(smv__sb_fetch *f, int eof) {
  smv__alloc *prev = enter(f);
  int rc = 0;
  if (!f->hs_done) {
    rc = smv__tls_handshake(f->tls);
    if (rc == 0) f->hs_done = 1;
    else if (rc != SMV__TLS_WANT_IO) {
      flush_tls(f);
      leave(prev);
      finish(f, rc, NULL, 0);
      return;
    }
  }
  while (f->hs_done && f->request_off < f->request_len) {
    rc = smv__tls_write(f->tls, f->request + f->request_off, f->request_len - f->request_off);
    if (rc == SMV__TLS_WANT_IO) {
      flush_tls(f);
      continue;
    }
    if (rc < 0) {
      leave(prev);
      finish(f, rc, NULL, 0);
      return;
    }
    f->request_off += (size_t)rc;
  }
  int closed = 0;
  while (f->hs_done) {
    rc = smv__tls_read(f->tls, f->rbuf, sizeof(f->rbuf));
    if (rc > 0) {
      if (take_plain(f, f->rbuf, (size_t)rc)) {
        leave(prev);
        return;
      }
      continue;
    }
    if (rc == 0) closed = 1;
    else if (rc != SMV__TLS_WANT_IO) {
      leave(prev);
      if (f->resp_len) try_complete(f, 1);
      else finish(f, rc, NULL, 0);
      return;
    }
    break;
  }
  flush_tls(f);
  leave(prev);
  try_complete(f, eof || closed);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  smv__sb_fetch *f = h->data;
  (void)hint;
  if (f->use_tls) {
    uint8_t *p;
    size_t n;
    smv__alloc *prev = enter(f);
    smv__tls_in_space(f->tls, &p, &n);
    leave(prev);
    *buf = uv_buf_init((char *)p, (unsigned)n);
  } else {
    *buf = uv_buf_init(f->rbuf, sizeof(f->rbuf));
  }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  smv__sb_fetch *f = s->data;
  if (f->done) return;
  if (f->use_tls) {
    if (nread > 0) {
      smv__alloc *prev = enter(f);
      smv__tls_in_commit(f->tls, (size_t)nread);
      leave(prev);
    }
    if (nread >= 0 || nread == UV_EOF) pump_tls(f, nread == UV_EOF);
    else finish(f, SMV_ERR_CONN_RESET, NULL, 0);
    return;
  }
  if (nread > 0 && take_plain(f, buf->base, (size_t)nread)) return;
  if (nread < 0 && nread != UV_EOF && !f->resp_len) {
    finish(f, SMV_ERR_CONN_RESET, NULL, 0);
    return;
  }
  try_complete(f, nread < 0);
}

static void on_connect(uv_connect_t *c, int status) {
  smv__sb_fetch *f = c->data;
  if (f->done) return;
  if (status) {
    finish(f,
           status == UV_ECONNREFUSED ? SMV_ERR_CONNECT_REFUSED
           : (status == UV_ENETUNREACH || status == UV_EHOSTUNREACH) ? SMV_ERR_CONNECT_UNREACH
                                                                    : SMV_ERR_CONNECT,
           NULL, 0);
    return;
  }
  if (uv_read_start((uv_stream_t *)&f->tcp, on_alloc, on_read)) {
    finish(f, SMV_ERR_CONNECT, NULL, 0);
    return;
  }
  if (f->use_tls) {
    pump_tls(f, 0);
  } else if (write_raw(f, f->request, f->request_len)) {
    finish(f, SMV_ERR_CONN_RESET, NULL, 0);
  }
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  smv__sb_fetch *f = req->data;
  f->gai_busy = 0;
  if (f->closing) {
    uv_freeaddrinfo(res);
    on_closed((uv_handle_t *)&f->timer); /* stands for the cancelled request's close */
    return;
  }
  if (status || !res) {
    uv_freeaddrinfo(res);
    finish(f, SMV_ERR_DNS_NOT_FOUND, NULL, 0);
    return;
  }
  uv_tcp_init(f->loop, &f->tcp);
  f->tcp_open = 1;
  f->tcp.data = f;
  uv_tcp_nodelay(&f->tcp, 1);
  f->conn.data = f;
  int rc = uv_tcp_connect(&f->conn, &f->tcp, res->ai_addr, on_connect);
  uv_freeaddrinfo(res);
  if (rc) finish(f, SMV_ERR_CONNECT, NULL, 0);
}

int smv__sb_fetch_start(uv_loop_t *loop, const smv__sb_fetch_req *req, smv__sb_fetch_cb cb, void *ud,
                        smv__sb_fetch **out) {
  smv__sb_fetch *f = calloc(1, sizeof(*f));
  if (!f) return SMV_ERR_NOMEM;
  const char *target;
  int rc = smv__sb_fetch_split(req->url, &f->use_tls, f->host, sizeof(f->host), &f->port, &target);
  if (!rc && f->use_tls && !req->tls) rc = SMV_ERR_TLS_CACERT;
  if (rc) {
    free(f);
    return rc;
  }
  f->alloc = req->alloc;
  size_t tl = strcspn(target, "#");
  size_t hl = 0;
  for (const char *const *h = req->headers; h && *h; h++) hl += strlen(*h) + 2;
  size_t cap = tl + hl + req->body_len + 512;
  f->request = malloc(cap);
  if (!f->request) {
    free(f);
    return SMV_ERR_NOMEM;
  }
  int v6 = strchr(f->host, ':') != NULL;
  int dflt = f->port == (f->use_tls ? 443u : 80u);
  char hosthdr[300];
  snprintf(hosthdr, sizeof(hosthdr), dflt ? "%s%s%s" : "%s%s%s:%u", v6 ? "[" : "", f->host,
           v6 ? "]" : "", f->port);
  size_t n = (size_t)snprintf(f->request, cap, "%s %s%.*s HTTP/1.1\r\nHost: %s\r\n",
                              req->method ? req->method : "GET", tl && target[0] == '/' ? "" : "/",
                              (int)tl, target, hosthdr);
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
  if (f->use_tls) {
    smv__alloc *prev = enter(f);
    rc = smv__tls_new(req->tls, f->host, f->port, &f->tls);
    leave(prev);
    if (rc) {
      free(f->request);
      free(f);
      return rc;
    }
  }
  f->loop = loop;
  f->cb = cb;
  f->ud = ud;
  uv_timer_init(loop, &f->timer);
  f->timer.data = f;
  uv_timer_start(&f->timer, on_timeout, req->timeout_ms ? req->timeout_ms : 5000, 0);
  char port[8];
  snprintf(port, sizeof(port), "%u", f->port);
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  f->gai.data = f;
  f->gai_busy = 1;
  rc = uv_getaddrinfo(loop, &f->gai, on_resolved, f->host, port, &hints);
  if (rc) {
    f->gai_busy = 0;
    f->done = 1;
    shut(f);
    return SMV_ERR_DNS_FAIL;
  }
  if (out) *out = f;
  return 0;
}
