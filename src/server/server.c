/* The listener and connection machinery behind server.h: accept within the connection limit, each
 * connection a stream (src/io/stream.h: plain or TLS, one write per response, a clean end), requests
 * through the framing-checked reader, and one timer per connection for the idle / request / write
 * deadlines. Responses are built in response.c.
 *
 * A connection moves IDLE -> READING (first byte seen) -> HANDLER (request complete, waiting for the
 * response) -> WRITING -> IDLE again (keep-alive) or CLOSING. While not READING, plaintext stays
 * buffered (bounded: the stream is paused when the buffer cannot take another read), so a
 * pipelining client cannot make the server hold more than its buffer per connection. */
#include "server/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/alloc.h"
#include "core/http_request.h"
#include "io/stream.h"
#include "io/tls.h"
#include "server/server_internal.h"
#include "smv.h"

#define SMV__SRV_BACKLOG 4096
#define SRV_BUF 16384      /* per-connection plaintext buffer; one TLS record fits */
#define SRV_READ 4096      /* plain bytes read at once; the stream decrypts TLS in chunks of this */
#define SRV_LINGER_MS 2000 /* after our end, how long the peer's is awaited */

enum { C_IDLE, C_READING, C_HANDLER, C_WRITING, C_CLOSING };

typedef struct srv_conn srv_conn;

struct smv__srv_listener {
  uv_tcp_t tcp;
  smv__server *srv;
  smv__tls_conf *tls;
  char ip[46];
  uint16_t port;
  int is_open;
  void *data;
  smv__srv_listener *next;
};

struct smv__server {
  uv_loop_t *loop;
  smv__srv_config cfg;
  smv__alloc alloc;
  smv__srv_listener *listeners;
  srv_conn *conns;
  smv__srv_stats stats;
  uint64_t next_conn_id;
  size_t fixed_bytes;           /* the server and its listeners: not per-connection heap */
  unsigned open_handles;        /* listeners + connections (each counted once) + drain timer */
  int draining;
  uv_timer_t drain_timer;
  int drain_timer_init;
  void (*drain_done)(smv__server *, void *);
  void *drain_data;
  int done_called;
  char discard[4096];           /* reads of closing connections land here */
};

struct srv_conn {
  smv__stream st;               /* the TCP handle and, on a TLS listener, the engine */
  uv_timer_t timer;
  smv__server *srv;
  smv__srv_listener *l;
  srv_conn *prev, *next;
  int state;
  int handles;                  /* the stream and the timer, each until closed */
  int want_close;               /* close once the current response is written */
  unsigned nreq;
  uint64_t id;
  smv__http_request_reader rd;
  char *scratch;                /* the reader's: target and one header line */
  char *q;                      /* the request so far: method\0 target\0 (name\0 value\0)* */
  size_t qlen, qcap, nheaders;
  uint8_t *b;                   /* its body so far */
  size_t blen, bcap;
  int req_done, keep_alive;
  smv__srv_response *res;       /* the request being handled */
  char *out;                    /* the response being written */
  uint8_t *pbuf;                /* plaintext not yet given to the reader */
  size_t plen;
  char peer_ip[46], local_ip[46];
  uint16_t peer_port, local_port;
};

static void conn_close(srv_conn *c);
static void srv_check_drained(smv__server *s);
static void conn_parse(srv_conn *c);
static void conn_reject(srv_conn *c, int status);

/* ---- Allocation: everything of the server, mbedTLS's included, is charged to srv->alloc ---------- */

static smv__alloc *srv_enter(smv__server *s) { return smv__alloc_enter(&s->alloc); }
static void srv_leave(smv__alloc *prev) { smv__alloc_leave(prev); }

/* ---- Server lifetime ------------------------------------------------------------------------------ */

static void srv_fill_limits(smv__srv_limits *l) {
  if (!l->max_header_bytes) l->max_header_bytes = 16384;
  if (!l->max_body_bytes) l->max_body_bytes = 65536;
  if (!l->max_headers) l->max_headers = 64;
  if (!l->max_connections) l->max_connections = 256;
  if (!l->max_requests_per_conn) l->max_requests_per_conn = 100;
  if (!l->idle_timeout_ms) l->idle_timeout_ms = 5000;
  if (!l->request_timeout_ms) l->request_timeout_ms = 10000;
  if (!l->write_timeout_ms) l->write_timeout_ms = 10000;
}

int smv__server_new(uv_loop_t *loop, const smv__srv_config *cfg, smv__server **out) {
  *out = NULL;
  if (!loop || !cfg || !cfg->handler) return SMV_ERR_INVALID_ARG;
  smv__alloc a;
  smv__alloc_init(&a, NULL);
  smv__server *s = smv__calloc(&a, 1, sizeof(*s));
  if (!s) return SMV_ERR_NOMEM;
  s->alloc = a;
  s->loop = loop;
  s->cfg = *cfg;
  s->fixed_bytes = s->alloc.current;
  srv_fill_limits(&s->cfg.limits);
  *out = s;
  return 0;
}

uv_loop_t *smv__server_loop(const smv__server *srv) { return srv->loop; }

static void srv_maybe_done(smv__server *s) {
  if (s->draining && s->open_handles == 0 && !s->done_called) {
    s->done_called = 1;
    if (s->drain_done) s->drain_done(s, s->drain_data);
  }
}

void smv__server_stats(const smv__server *srv, smv__srv_stats *out) {
  *out = srv->stats;
  /* the server object itself is not counted: a drained server holds 0 */
  out->heap_current = srv->alloc.current - srv->fixed_bytes;
  out->heap_peak = srv->alloc.peak;
}

/* ---- Listeners ------------------------------------------------------------------------------------ */

static void on_connection(uv_stream_t *server, int status);

int smv__server_listen(smv__server *srv, const char *ip, uint16_t port, const smv__srv_tls *tls,
                       void *listener_data, smv__srv_listener **out) {
  if (out) *out = NULL;
  if (!srv || !ip || srv->draining) return SMV_ERR_INVALID_ARG;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof(ss));
  if (uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss) != 0 &&
      uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss) != 0)
    return SMV_ERR_INVALID_ARG;
  size_t before = srv->alloc.current;
  smv__srv_listener *l = smv__calloc(&srv->alloc, 1, sizeof(*l));
  if (!l) return SMV_ERR_NOMEM;
  l->srv = srv;
  l->data = listener_data;
  snprintf(l->ip, sizeof(l->ip), "%s", ip);
  if (tls) {
    if (!tls->cert_pem || !tls->key_pem) {
      smv__free(&srv->alloc, l);
      return SMV_ERR_INVALID_ARG;
    }
    smv__alloc *prev = srv_enter(srv);
    int rc = smv__tls_conf_server_new(&srv->alloc, tls->cert_pem, tls->key_pem, &l->tls);
    srv_leave(prev);
    if (rc) {
      smv__free(&srv->alloc, l);
      return rc == SMV_ERR_NOMEM ? rc : SMV_ERR_TLS_CACERT;
    }
    (void)tls->no_session_tickets; /* the engine's server conf always issues them */
  }
  if (uv_tcp_init(srv->loop, &l->tcp) != 0) {
    if (l->tls) smv__tls_conf_free(l->tls);
    smv__free(&srv->alloc, l);
    return SMV_ERR_IO;
  }
  l->tcp.data = l;
  l->is_open = 1;
  srv->fixed_bytes += srv->alloc.current - before;
  srv->open_handles++;
  l->next = srv->listeners;
  srv->listeners = l;
  int rc = uv_tcp_bind(&l->tcp, (const struct sockaddr *)&ss, 0);
  /* A burst of devices (hundreds of handshakes at once) must queue in the kernel, not be dropped and
   * wait for a SYN retransmission (1 s, then 3 s); the kernel caps this at net.core.somaxconn. */
  if (rc == 0) rc = uv_listen((uv_stream_t *)&l->tcp, SMV__SRV_BACKLOG, on_connection);
  if (rc != 0) return SMV_ERR_IO; /* stays in the list: closed and freed by drain/free */
  struct sockaddr_storage bound;
  int blen = sizeof(bound);
  if (uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&bound, &blen) == 0)
    l->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
  if (out) *out = l;
  return 0;
}

uint16_t smv__srv_listener_port(const smv__srv_listener *l) { return l->port; }
const char *smv__srv_listener_ip(const smv__srv_listener *l) { return l->ip; }
int smv__srv_listener_is_tls(const smv__srv_listener *l) { return l->tls != NULL; }

static void on_listener_closed(uv_handle_t *h) {
  smv__srv_listener *l = h->data;
  smv__server *s = l->srv;
  s->open_handles--;
  srv_maybe_done(s);
}

static void on_refused_closed(uv_handle_t *h) {
  smv__server *s = h->data;
  smv__free(&s->alloc, h);
  s->open_handles--;
  srv_maybe_done(s);
}

/* ---- Connections: addresses, timer --------------------------------------------------------------- */

static void addr_to_text(const struct sockaddr_storage *ss, char *ip, size_t iplen, uint16_t *port) {
  ip[0] = '\0';
  *port = 0;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
    uv_ip4_name(a, ip, iplen);
    *port = ntohs(a->sin_port);
  } else if (ss->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
    uv_ip6_name(a, ip, iplen);
    *port = ntohs(a->sin6_port);
  }
}

static void on_timeout(uv_timer_t *t) {
  srv_conn *c = t->data;
  if (c->state == C_CLOSING) return;
  c->srv->stats.timeouts++;
  if (c->state == C_READING && !c->st.tls) {
    /* plain HTTP: tell the slow client why, then close */
    conn_reject(c, 408);
    return;
  }
  conn_close(c);
}

static void conn_arm(srv_conn *c, uint64_t ms) {
  uv_timer_start(&c->timer, on_timeout, ms, 0);
}

/* ---- Connection lifetime -------------------------------------------------------------------------- */

static void conn_freed(smv__server *s, srv_conn *c) {
  smv__free(&s->alloc, c->scratch);
  smv__free(&s->alloc, c->q);
  smv__free(&s->alloc, c->b);
  smv__free(&s->alloc, c->out);
  smv__free(&s->alloc, c->pbuf);
  smv__free(&s->alloc, c);
  s->open_handles--;
  srv_maybe_done(s);
}

static void on_timer_closed(uv_handle_t *h) {
  srv_conn *c = h->data;
  if (--c->handles == 0) conn_freed(c->srv, c);
}

static void on_stream_released(smv__stream *st) {
  srv_conn *c = st->owner;
  if (--c->handles == 0) conn_freed(c->srv, c);
}

/* Takes c off the server's lists, aborts a pending response, stops the timer: the stream ends next. */
static void conn_detach(srv_conn *c) {
  smv__server *s = c->srv;
  if (c->prev) c->prev->next = c->next;
  else s->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
  s->stats.active--;
  c->state = C_CLOSING;
  smv__srv_response *r = c->res;
  c->res = NULL;
  if (r) {
    r->conn = NULL;
    if (r->abort_cb) {
      void (*cb)(smv__srv_response *, void *) = r->abort_cb;
      r->abort_cb = NULL;
      cb(r, r->abort_data);
    }
    smv__srv_response_free(r);
  }
  uv_timer_stop(&c->timer);
  uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

/* Closes at once: pending writes are cancelled, a pending response is aborted. */
static void conn_close(srv_conn *c) {
  if (c->state == C_CLOSING) return;
  conn_detach(c);
  smv__stream_close(&c->st);
  srv_check_drained(c->srv);
}

/* Graceful: what is being written goes out, then close_notify (TLS), FIN, and the peer's end is read
 * (the stream's linger) before the socket closes. */
static void conn_finish(srv_conn *c) {
  if (c->state == C_CLOSING) return;
  conn_detach(c);
  smv__stream_shutdown(&c->st, SRV_LINGER_MS);
  srv_check_drained(c->srv);
}

/* The server answers a bad request itself, then closes. The texts are constants: they outlive the
 * write. */
static void conn_reject(srv_conn *c, int status) {
  static const char *const msgs[] = {
    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 16\r\n"
    "Connection: close\r\n\r\n400 Bad Request\n",
    "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
    "Connection: close\r\n\r\n408 Request Timeout\n",
    "HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain\r\nContent-Length: 22\r\n"
    "Connection: close\r\n\r\n413 Content Too Large\n",
    "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain\r\n"
    "Content-Length: 36\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large\n",
  };
  const char *m = msgs[status == 408 ? 1 : status == 413 ? 2 : status == 431 ? 3 : 0];
  c->srv->stats.rejected++;
  /* Before the TLS handshake nothing can be said; a response already going out is cut short. */
  if (!c->st.ready || c->out || smv__stream_write(&c->st, m, strlen(m)) != 0) {
    conn_close(c);
    return;
  }
  conn_finish(c); /* the stream finishes the write, then ends */
}

/* ---- Reading -------------------------------------------------------------------------------------- */

static void st_ready(smv__stream *st, int err) {
  srv_conn *c = st->owner;
  smv__server *s = c->srv;
  if (err) {
    if (c->st.tls) s->stats.tls_failed++;
    conn_finish(c); /* the alert, if any, goes out first */
    return;
  }
  if (c->st.tls) {
    if (smv__tls_resumed(c->st.tls)) s->stats.tls_resumed++;
    else s->stats.tls_full++;
  }
}

/* The stream delivers at most SRV_READ bytes a time: paused whenever the buffer could not take one
 * more, it never delivers more than fits. */
static void st_data(smv__stream *st, const char *buf, size_t len) {
  srv_conn *c = st->owner;
  if (c->state == C_CLOSING) return;
  if (len > SRV_BUF - c->plen) { /* cannot happen (see above): refuse rather than drop bytes */
    conn_close(c);
    return;
  }
  memcpy(c->pbuf + c->plen, buf, len);
  c->plen += len;
  if (c->state == C_IDLE) {
    c->state = C_READING;
    conn_arm(c, c->srv->cfg.limits.request_timeout_ms);
  }
  conn_parse(c);
  if (c->state != C_CLOSING && SRV_BUF - c->plen < SRV_READ) smv__stream_pause(&c->st, 1);
}

static void st_closed(smv__stream *st, int err) {
  (void)err;
  srv_conn *c = st->owner;
  /* The peer's end (or a failure): a request in progress is dropped, a pending response aborted. */
  conn_finish(c);
}

static void st_written(smv__stream *st, int err);

static const smv__stream_events srv_stream_events = {st_ready, st_data, st_written, st_closed,
                                                     on_stream_released};

/* ---- Requests ------------------------------------------------------------------------------------- */

/* The reader's callbacks collect the request into c->q and c->b (bounded by the reader's limits). */
static int acc_append(srv_conn *c, char **buf, size_t *len, size_t *cap, const void *data,
                      size_t n, int nul) {
  size_t need = *len + n + (nul ? 1 : 0) + 1;
  if (need > *cap) {
    size_t ncap = *cap ? *cap : 512;
    while (ncap < need) ncap *= 2;
    char *nb = smv__realloc(&c->srv->alloc, *buf, ncap);
    if (!nb) return SMV_ERR_NOMEM;
    *buf = nb;
    *cap = ncap;
  }
  if (n) memcpy(*buf + *len, data, n);
  *len += n;
  if (nul) (*buf)[(*len)++] = '\0';
  (*buf)[*len] = '\0'; /* the body stays NUL-terminated too */
  return 0;
}

static int acc_line(void *ud, const char *method, const char *target, size_t target_len,
                    int http_minor) {
  srv_conn *c = ud;
  (void)http_minor;
  int rc = acc_append(c, &c->q, &c->qlen, &c->qcap, method, strlen(method), 1);
  return rc ? rc : acc_append(c, &c->q, &c->qlen, &c->qcap, target, target_len, 1);
}

static int acc_header(void *ud, const char *name, size_t name_len, const char *value,
                      size_t value_len) {
  srv_conn *c = ud;
  while (value_len && (value[0] == ' ' || value[0] == '\t')) {
    value++;
    value_len--;
  }
  while (value_len && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t')) value_len--;
  int rc = acc_append(c, &c->q, &c->qlen, &c->qcap, name, name_len, 1);
  if (rc == 0) rc = acc_append(c, &c->q, &c->qlen, &c->qcap, value, value_len, 1);
  if (rc == 0) c->nheaders++;
  return rc;
}

static int acc_body(void *ud, const char *data, size_t len) {
  srv_conn *c = ud;
  return acc_append(c, (char **)&c->b, &c->blen, &c->bcap, data, len, 0);
}

static int acc_complete(void *ud, int keep_alive) {
  srv_conn *c = ud;
  c->req_done = 1;
  c->keep_alive = keep_alive;
  return 0;
}

static const smv__http_request_cbs acc_cbs = {acc_line, acc_header, NULL, acc_body, acc_complete};

/* A fresh reader for the next request on the connection. */
static void conn_reader_start(srv_conn *c) {
  smv__http_limits lim;
  memset(&lim, 0, sizeof(lim));
  lim.max_header_bytes = c->srv->cfg.limits.max_header_bytes;
  lim.max_body_bytes = c->srv->cfg.limits.max_body_bytes;
  lim.max_headers = (unsigned)c->srv->cfg.limits.max_headers;
  smv__http_request_reader_init(&c->rd, &lim, c->scratch, c->srv->cfg.limits.max_header_bytes,
                                &acc_cbs, c);
  c->qlen = c->blen = c->nheaders = 0;
  c->req_done = c->keep_alive = 0;
}

/* Hands the collected request over to a new response object. */
static smv__srv_response *conn_make_response(srv_conn *c) {
  smv__server *s = c->srv;
  smv__srv_response *r = smv__calloc(&s->alloc, 1, sizeof(*r));
  if (!r) return NULL;
  r->alloc = &s->alloc;
  if (c->nheaders) {
    r->hs = smv__calloc(&s->alloc, c->nheaders, sizeof(*r->hs));
    if (!r->hs) {
      smv__free(&s->alloc, r);
      return NULL;
    }
  }
  r->q = c->q;
  r->b = c->b;
  c->q = NULL;
  c->b = NULL;
  c->qcap = c->bcap = 0;
  const char *p = r->q;
  r->req.method = p;
  p += strlen(p) + 1;
  r->req.target = p;
  p += strlen(p) + 1;
  for (size_t i = 0; i < c->nheaders; i++) {
    r->hs[i].name = p;
    p += strlen(p) + 1;
    r->hs[i].value = p;
    p += strlen(p) + 1;
  }
  r->req.headers = r->hs;
  r->req.header_count = c->nheaders;
  r->req.body = r->b ? r->b : (const uint8_t *)"";
  r->req.body_len = c->blen;
  memcpy(r->req.peer_ip, c->peer_ip, sizeof(c->peer_ip));
  r->req.peer_port = c->peer_port;
  memcpy(r->req.local_ip, c->local_ip, sizeof(c->local_ip));
  r->req.local_port = c->local_port;
  r->req.tls = c->st.tls != NULL;
  r->req.tls_version = "none";
  if (c->st.tls) {
    const char *v = smv__tls_version_name(c->st.tls);
    r->req.tls_version = strncmp(v, "tls1.3", 6) == 0 ? "tls1.3"
                         : strncmp(v, "tls1.2", 6) == 0 ? "tls1.2"
                                                       : "none";
    r->req.tls_resumed = smv__tls_resumed(c->st.tls);
  }
  r->req.listener = c->l;
  r->req.listener_data = c->l->data;
  r->req.conn_id = c->id;
  r->req.conn_request_index = c->nreq;
  r->conn = c;
  r->status = 200;
  if (!c->keep_alive) r->close = 1;
  return r;
}

static void conn_dispatch(srv_conn *c) {
  smv__server *s = c->srv;
  c->nreq++;
  smv__srv_response *r = conn_make_response(c);
  if (!r) {
    conn_close(c);
    return;
  }
  conn_reader_start(c);
  c->res = r;
  c->state = C_HANDLER;
  uv_timer_stop(&c->timer);
  s->stats.requests++;
  s->cfg.handler(s, &r->req, r, s->cfg.user_data);
}

/* Gives buffered plaintext to the reader until a request is complete. */
static void conn_parse(srv_conn *c) {
  while (c->state == C_READING && c->plen > 0) {
    size_t used = 0;
    int rc = smv__http_request_reader_feed(&c->rd, (const char *)c->pbuf, c->plen, &used);
    if (used > c->plen) used = c->plen;
    memmove(c->pbuf, c->pbuf + used, c->plen - used);
    c->plen -= used;
    if (rc < 0) {
      conn_reject(c, rc == SMV_ERR_HTTP_HEADER_TOO_LARGE  ? 431
                     : rc == SMV_ERR_HTTP_BODY_TOO_LARGE ? 413
                                                         : 400);
      return;
    }
    if (c->req_done) {
      conn_dispatch(c);
      return;
    }
    if (used == 0) break;
  }
}

/* ---- Accepting ------------------------------------------------------------------------------------ */

static void on_connection(uv_stream_t *server, int status) {
  smv__srv_listener *l = server->data;
  smv__server *s = l->srv;
  if (status != 0) return;
  if (s->draining || s->stats.active >= s->cfg.limits.max_connections) {
    uv_tcp_t *t = smv__malloc(&s->alloc, sizeof(*t));
    if (!t) return;
    uv_tcp_init(s->loop, t);
    t->data = s;
    s->open_handles++;
    (void)uv_accept(server, (uv_stream_t *)t);
    s->stats.refused++;
    uv_close((uv_handle_t *)t, on_refused_closed);
    return;
  }
  srv_conn *c = smv__calloc(&s->alloc, 1, sizeof(*c));
  if (!c) return;
  c->srv = s;
  c->l = l;
  c->pbuf = smv__malloc(&s->alloc, SRV_BUF);
  c->scratch = smv__malloc(&s->alloc, s->cfg.limits.max_header_bytes);
  int rc = c->pbuf && c->scratch ? 0 : SMV_ERR_NOMEM;
  smv__tls *t = NULL;
  if (rc == 0 && l->tls) rc = smv__tls_new(l->tls, NULL, 0, &t);
  if (rc == 0) rc = smv__stream_init(&c->st, s->loop, &s->alloc, t, SRV_READ, &srv_stream_events, c);
  else if (t) smv__tls_free(t);
  if (rc != 0) {
    smv__free(&s->alloc, c->pbuf);
    smv__free(&s->alloc, c->scratch);
    smv__free(&s->alloc, c);
    return; /* the connection stays in the backlog's care: the kernel resets it when full */
  }
  conn_reader_start(c);
  uv_timer_init(s->loop, &c->timer);
  c->timer.data = c;
  c->handles = 2;
  s->open_handles++;
  c->id = ++s->next_conn_id;
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  s->stats.active++;
  uv_tcp_t *tcp = smv__stream_tcp(&c->st);
  if (uv_accept(server, (uv_stream_t *)tcp) != 0) {
    s->stats.refused++;
    conn_close(c);
    return;
  }
  s->stats.accepted++;
  uv_tcp_nodelay(tcp, 1);
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) == 0)
    addr_to_text(&ss, c->peer_ip, sizeof(c->peer_ip), &c->peer_port);
  len = sizeof(ss);
  if (uv_tcp_getsockname(tcp, (struct sockaddr *)&ss, &len) == 0)
    addr_to_text(&ss, c->local_ip, sizeof(c->local_ip), &c->local_port);
  c->state = C_IDLE;
  conn_arm(c, s->cfg.limits.idle_timeout_ms);
  smv__stream_start(&c->st);
}

/* ---- Writing responses ---------------------------------------------------------------------------- */

int smv__srv_conn_last(const smv__srv_response *res) {
  const srv_conn *c = res->conn;
  return c->srv->draining || c->nreq >= c->srv->cfg.limits.max_requests_per_conn;
}

const char *smv__srv_conn_server_header(const smv__srv_response *res) {
  return res->conn->srv->cfg.server_header;
}

void smv__srv_conn_abandon(smv__srv_response *res) {
  srv_conn *c = res->conn;
  c->res = NULL;
  smv__srv_response_free(res);
  conn_close(c);
}

int smv__srv_conn_emit(smv__srv_response *res, char *bytes, size_t len, int close_after) {
  srv_conn *c = res->conn;
  smv__server *s = c->srv;
  c->want_close = close_after || smv__srv_conn_last(res);
  c->res = NULL;
  smv__srv_response_free(res);
  c->state = C_WRITING;
  conn_arm(c, s->cfg.limits.write_timeout_ms);
  smv__free(&s->alloc, c->out);
  c->out = bytes; /* kept until written */
  if (smv__stream_write(&c->st, bytes, len) != 0) {
    conn_close(c);
    return SMV_ERR_NOMEM;
  }
  return 0;
}

static void st_written(smv__stream *st, int err) {
  srv_conn *c = st->owner;
  smv__free(&c->srv->alloc, c->out);
  c->out = NULL;
  if (err) {
    conn_close(c);
    return;
  }
  if (c->state != C_WRITING) return;
  if (c->want_close) {
    conn_finish(c);
    return;
  }
  /* keep-alive: back to waiting for the next request; what the peer already sent comes first */
  c->state = C_IDLE;
  conn_arm(c, c->srv->cfg.limits.idle_timeout_ms);
  if (c->plen > 0) {
    c->state = C_READING;
    conn_arm(c, c->srv->cfg.limits.request_timeout_ms);
    conn_parse(c);
  }
  if (c->state != C_CLOSING && SRV_BUF - c->plen >= SRV_READ) smv__stream_pause(&c->st, 0);
}

/* ---- Drain ---------------------------------------------------------------------------------------- */

static void on_drain_timer_closed(uv_handle_t *h) {
  smv__server *s = h->data;
  s->open_handles--;
  srv_maybe_done(s);
}

static void on_drain_deadline(uv_timer_t *t) {
  smv__server *s = t->data;
  while (s->conns) conn_close(s->conns); /* the last one closes the timer */
  srv_check_drained(s);
}


void smv__server_drain(smv__server *srv, uint64_t timeout_ms,
                       void (*done)(smv__server *srv, void *data), void *data) {
  if (srv->draining) return;
  srv->draining = 1;
  srv->drain_done = done;
  srv->drain_data = data;
  for (smv__srv_listener *l = srv->listeners; l; l = l->next) {
    if (l->is_open) {
      l->is_open = 0;
      uv_close((uv_handle_t *)&l->tcp, on_listener_closed);
    }
  }
  /* idle connections go now; the others finish their current request (responses say close) */
  srv_conn *c = srv->conns;
  while (c) {
    srv_conn *next = c->next;
    if (c->state == C_IDLE) conn_close(c);
    else if (c->state == C_READING || c->state == C_HANDLER) c->want_close = 1;
    c = next;
  }
  uv_timer_init(srv->loop, &srv->drain_timer);
  srv->drain_timer.data = srv;
  srv->drain_timer_init = 1;
  srv->open_handles++;
  uv_timer_start(&srv->drain_timer, on_drain_deadline, timeout_ms ? timeout_ms : 5000, 0);
  srv_check_drained(srv);
}

/* Closes the drain timer once no connection is left, so done can fire before the deadline. */
static void srv_check_drained(smv__server *s) {
  if (s->draining && !s->conns && s->drain_timer_init &&
      !uv_is_closing((uv_handle_t *)&s->drain_timer)) {
    uv_timer_stop(&s->drain_timer);
    uv_close((uv_handle_t *)&s->drain_timer, on_drain_timer_closed);
  }
}

int smv__server_forget_sessions(smv__server *srv) {
  int rc = 0;
  for (smv__srv_listener *l = srv->listeners; l && rc == 0; l = l->next)
    if (l->tls) rc = smv__tls_conf_server_forget_sessions(l->tls);
  return rc;
}

void smv__server_free(smv__server *srv) {
  if (!srv) return;
  smv__alloc *prev = srv_enter(srv);
  smv__srv_listener *l = srv->listeners;
  while (l) {
    smv__srv_listener *next = l->next;
    if (l->tls) smv__tls_conf_free(l->tls);
    smv__free(&srv->alloc, l);
    l = next;
  }
  srv_leave(prev);
  smv__alloc a = srv->alloc;
  smv__free(&a, srv);
}
