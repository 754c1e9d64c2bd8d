/* The listener and connection machinery behind server.h: accept within the connection limit, TLS
 * through the socket-free engine, requests through the framing-checked reader, one write per
 * response, and one timer per connection for the idle / request / write deadlines.
 *
 * A connection moves IDLE -> READING (first byte seen) -> HANDLER (request complete, waiting for the
 * response) -> WRITING -> IDLE again (keep-alive) or CLOSING. While not READING, decrypted or
 * received bytes stay buffered (bounded: reading stops when the buffer is full), so a pipelining
 * client cannot make the server hold more than one read's worth per connection. */
#include "server/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/alloc.h"
#include "core/http_request.h"
#include "io/tls.h"
#include "smv.h"

#define SMV__SRV_BACKLOG 4096
#define SRV_BUF 16384 /* per-connection plaintext buffer; one TLS record fits */

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

struct smv__srv_response {
  smv__srv_request req;
  srv_conn *conn;               /* NULL once the connection went away */
  int status;
  char reason[64];
  char *head;                   /* "Name: value\r\n"... added by the handler */
  size_t head_len, head_cap;
  uint8_t *body;
  size_t body_len;
  int close;
  void (*abort_cb)(smv__srv_response *, void *);
  void *abort_data;
  /* the request's storage, taken over from the connection */
  char *q;
  uint8_t *b;
  smv__srv_header *hs;
};

struct srv_conn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  smv__server *srv;
  smv__srv_listener *l;
  srv_conn *prev, *next;
  int state;
  int handles;                  /* open libuv handles (tcp, timer) */
  int reading;                  /* uv_read_start active */
  int hs_done;
  int want_close;               /* close once the current response is written */
  unsigned nreq;
  unsigned writes;              /* writes in flight */
  uint64_t id;
  smv__tls *tls;
  smv__http_request_reader rd;
  char *scratch;                /* the reader's: target and one header line */
  char *q;                      /* the request so far: method\0 target\0 (name\0 value\0)* */
  size_t qlen, qcap, nheaders;
  uint8_t *b;                   /* its body so far */
  size_t blen, bcap;
  int req_done, keep_alive;
  smv__srv_response *res;       /* the request being handled */
  uint8_t *pbuf;                /* plaintext not yet given to the reader */
  size_t plen;
  uv_shutdown_t shut;
  char peer_ip[46], local_ip[46];
  uint16_t peer_port, local_port;
};

typedef struct srv_write {
  uv_write_t req;
  srv_conn *c;
  int is_response;
  size_t len;
  uint8_t data[];
} srv_write;

static void conn_close(srv_conn *c);
static void srv_check_drained(smv__server *s);
static void conn_read_start(srv_conn *c);
static void conn_process(srv_conn *c);
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

/* ---- Connections: addresses, timer, writes -------------------------------------------------------- */

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
  if (c->state == C_CLOSING) {
    conn_close(c);
    return;
  }
  c->srv->stats.timeouts++;
  if (c->state == C_READING && !c->tls) {
    /* plain HTTP: tell the slow client why, then close */
    conn_reject(c, 408);
    return;
  }
  conn_close(c);
}

static void conn_arm(srv_conn *c, uint64_t ms) {
  uv_timer_start(&c->timer, on_timeout, ms, 0);
}

static void on_write(uv_write_t *req, int status);

/* Queues bytes (copied) for writing. Returns 0 or -1 (the connection is then being closed). */
static int conn_write(srv_conn *c, const void *data, size_t len, int is_response) {
  srv_write *w = smv__malloc(&c->srv->alloc, sizeof(*w) + len);
  if (!w) {
    conn_close(c);
    return -1;
  }
  w->c = c;
  w->is_response = is_response;
  w->len = len;
  if (len) memcpy(w->data, data, len);  /* an empty raw response passes NULL */
  uv_buf_t b = uv_buf_init((char *)w->data, (unsigned)len);
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
    smv__free(&c->srv->alloc, w);
    conn_close(c);
    return -1;
  }
  c->writes++;
  return 0;
}

/* Writes out whatever ciphertext the engine has pending, in one write. */
static int conn_flush_tls(srv_conn *c, int is_response) {
  const uint8_t *p;
  size_t n;
  smv__tls_pending_out(c->tls, &p, &n);
  if (n == 0) return 0;
  int rc = conn_write(c, p, n, is_response);
  if (rc == 0) smv__tls_consume_out(c->tls, n);
  return rc;
}

/* ---- Connection lifetime -------------------------------------------------------------------------- */

static void res_free(smv__server *s, smv__srv_response *r) {
  smv__free(&s->alloc, r->head);
  smv__free(&s->alloc, r->body);
  smv__free(&s->alloc, r->q);
  smv__free(&s->alloc, r->b);
  smv__free(&s->alloc, r->hs);
  smv__free(&s->alloc, r);
}

static void conn_freed(smv__server *s, srv_conn *c) {
  smv__alloc *prev = srv_enter(s);
  if (c->tls) smv__tls_free(c->tls);
  srv_leave(prev);
  smv__free(&s->alloc, c->scratch);
  smv__free(&s->alloc, c->q);
  smv__free(&s->alloc, c->b);
  smv__free(&s->alloc, c->pbuf);
  smv__free(&s->alloc, c);
  s->open_handles--;
  srv_maybe_done(s);
}

static void on_conn_handle_closed(uv_handle_t *h) {
  srv_conn *c = h->data;
  if (--c->handles == 0) conn_freed(c->srv, c);
}

/* Closes at once: pending writes are cancelled, a pending response is aborted. */
static void conn_close(srv_conn *c) {
  if (uv_is_closing((uv_handle_t *)&c->tcp)) return;
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
    res_free(s, r);
  }
  uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
  uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
  srv_check_drained(s);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  srv_conn *c = req->data;
  (void)status;
  /* keep reading (and discarding) briefly so the peer gets our last bytes rather than a reset */
  if (status != 0) conn_close(c);
}

/* Graceful: close_notify (TLS), flush, half-close, then close on the peer's EOF or after 2 s. */
static void conn_finish(srv_conn *c) {
  if (c->state == C_CLOSING) return;
  c->state = C_CLOSING;
  if (c->tls && c->hs_done) {
    smv__alloc *prev = srv_enter(c->srv);
    smv__tls_close_notify(c->tls);
    srv_leave(prev);
    if (conn_flush_tls(c, 0) != 0) return;
  }
  c->shut.data = c;
  if (uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
    conn_close(c);
    return;
  }
  conn_arm(c, 2000);
  conn_read_start(c);
}

/* The server answers a bad request itself, then closes. */
static void conn_reject(srv_conn *c, int status) {
  static const char *const texts[] = {"400 Bad Request", "408 Request Timeout",
                                      "413 Content Too Large", "431 Request Header Fields Too Large"};
  const char *t = status == 408 ? texts[1] : status == 413 ? texts[2] : status == 431 ? texts[3]
                                                                                      : texts[0];
  char msg[200];
  int n = snprintf(msg, sizeof(msg),
                   "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                   "Connection: close\r\n\r\n%s\n",
                   t, strlen(t) + 1, t);
  c->srv->stats.rejected++;
  if (c->tls) {
    if (!c->hs_done) {
      conn_close(c);
      return;
    }
    smv__alloc *prev = srv_enter(c->srv);
    int rc = smv__tls_write(c->tls, msg, (size_t)n);
    srv_leave(prev);
    if (rc <= 0 || conn_flush_tls(c, 0) != 0) {
      if (!uv_is_closing((uv_handle_t *)&c->tcp)) conn_close(c);
      return;
    }
  } else if (conn_write(c, msg, (size_t)n, 0) != 0) {
    return;
  }
  conn_finish(c);
}

/* ---- Reading -------------------------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  srv_conn *c = h->data;
  (void)suggested;
  if (c->state == C_CLOSING) {
    *buf = uv_buf_init(c->srv->discard, sizeof(c->srv->discard));
  } else if (c->tls) {
    uint8_t *p;
    size_t n;
    smv__tls_in_space(c->tls, &p, &n);
    *buf = uv_buf_init((char *)p, (unsigned)n);
  } else {
    *buf = uv_buf_init((char *)c->pbuf + c->plen, (unsigned)(SRV_BUF - c->plen));
  }
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  srv_conn *c = st->data;
  (void)buf;
  if (nread == UV_ENOBUFS) {
    /* our buffer is full while a response is pending: wait for it */
    uv_read_stop(st);
    c->reading = 0;
    return;
  }
  if (nread < 0) {
    conn_close(c);
    return;
  }
  if (nread == 0) return;
  if (c->state == C_CLOSING) return;
  if (c->tls) smv__tls_in_commit(c->tls, (size_t)nread);
  else c->plen += (size_t)nread;
  if (c->state == C_IDLE) {
    c->state = C_READING;
    conn_arm(c, c->srv->cfg.limits.request_timeout_ms);
  }
  conn_process(c);
}

static void conn_read_start(srv_conn *c) {
  if (c->reading || uv_is_closing((uv_handle_t *)&c->tcp)) return;
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == 0) c->reading = 1;
  else conn_close(c);
}

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
  r->req.tls = c->tls != NULL;
  r->req.tls_version = "none";
  if (c->tls) {
    const char *v = smv__tls_version_name(c->tls);
    r->req.tls_version = strncmp(v, "tls1.3", 6) == 0 ? "tls1.3"
                         : strncmp(v, "tls1.2", 6) == 0 ? "tls1.2"
                                                       : "none";
    r->req.tls_resumed = smv__tls_resumed(c->tls);
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

/* Gives buffered plaintext to the reader until a request is complete. Returns 1 if a request was
 * dispatched or the connection is closing, 0 if more bytes are needed. */
static int conn_parse(srv_conn *c) {
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
      return 1;
    }
    if (c->req_done) {
      conn_dispatch(c);
      return 1;
    }
    if (used == 0) break;
  }
  return c->state != C_READING;
}

/* Runs the TLS engine and the reader as far as the bytes at hand allow. */
static void conn_process(srv_conn *c) {
  smv__server *s = c->srv;
  if (!c->tls) {
    conn_parse(c);
    return;
  }
  smv__alloc *prev = srv_enter(s);
  for (;;) {
    if (c->state != C_READING && c->state != C_IDLE) break;
    if (!c->hs_done) {
      int rc = smv__tls_handshake(c->tls);
      if (conn_flush_tls(c, 0) != 0) break;
      if (rc == SMV__TLS_WANT_IO) break;
      if (rc != 0) {
        s->stats.tls_failed++;
        conn_close(c);
        break;
      }
      c->hs_done = 1;
      if (smv__tls_resumed(c->tls)) s->stats.tls_resumed++;
      else s->stats.tls_full++;
    }
    if (c->plen >= SRV_BUF) break; /* cannot happen while READING: the reader takes all */
    int n = smv__tls_read(c->tls, c->pbuf + c->plen, SRV_BUF - c->plen);
    if (conn_flush_tls(c, 0) != 0) break;
    if (n == SMV__TLS_WANT_IO) break;
    if (n <= 0) {
      /* close_notify or a bad record */
      if (c->state == C_READING && c->plen == 0) conn_close(c);
      else conn_close(c);
      break;
    }
    c->plen += (size_t)n;
    if (c->state == C_IDLE) {
      c->state = C_READING;
      conn_arm(c, s->cfg.limits.request_timeout_ms);
    }
    if (conn_parse(c)) break;
  }
  srv_leave(prev);
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
  if (rc == 0) conn_reader_start(c);
  if (rc == 0 && l->tls) {
    smv__alloc *prev = srv_enter(s);
    rc = smv__tls_new(l->tls, NULL, 0, &c->tls);
    srv_leave(prev);
  }
  uv_tcp_init(s->loop, &c->tcp);
  uv_timer_init(s->loop, &c->timer);
  c->tcp.data = c;
  c->timer.data = c;
  c->handles = 2;
  s->open_handles++;
  c->id = ++s->next_conn_id;
  c->next = s->conns;
  if (s->conns) s->conns->prev = c;
  s->conns = c;
  s->stats.active++;
  if (rc != 0 || uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
    s->stats.refused++;
    conn_close(c);
    return;
  }
  s->stats.accepted++;
  uv_tcp_nodelay(&c->tcp, 1);
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
    addr_to_text(&ss, c->peer_ip, sizeof(c->peer_ip), &c->peer_port);
  len = sizeof(ss);
  if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
    addr_to_text(&ss, c->local_ip, sizeof(c->local_ip), &c->local_port);
  c->state = C_IDLE;
  conn_arm(c, s->cfg.limits.idle_timeout_ms);
  conn_read_start(c);
}

/* ---- Responses ------------------------------------------------------------------------------------ */

const smv__srv_request *smv__srv_response_request(const smv__srv_response *res) { return &res->req; }

const char *smv__srv_request_header(const smv__srv_request *req, const char *name) {
  for (size_t i = 0; i < req->header_count; i++)
    if (strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
  return NULL;
}

static const char *status_reason(int status) {
  switch (status) {
  case 200: return "OK";
  case 201: return "Created";
  case 202: return "Accepted";
  case 204: return "No Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 303: return "See Other";
  case 304: return "Not Modified";
  case 307: return "Temporary Redirect";
  case 308: return "Permanent Redirect";
  case 400: return "Bad Request";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 408: return "Request Timeout";
  case 409: return "Conflict";
  case 410: return "Gone";
  case 413: return "Content Too Large";
  case 415: return "Unsupported Media Type";
  case 422: return "Unprocessable Content";
  case 429: return "Too Many Requests";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return "Unknown";
  }
}

int smv__srv_response_set_status(smv__srv_response *res, int status, const char *reason) {
  if (status < 100 || status > 999) return SMV_ERR_INVALID_ARG;
  if (reason) {
    for (const char *p = reason; *p; p++)
      if (*p == '\r' || *p == '\n') return SMV_ERR_INVALID_ARG;
    snprintf(res->reason, sizeof(res->reason), "%s", reason);
  } else {
    res->reason[0] = '\0';
  }
  res->status = status;
  return 0;
}

static int is_tchar(unsigned char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static smv__alloc *res_alloc(smv__srv_response *res) {
  return res->conn ? &res->conn->srv->alloc : NULL;
}

int smv__srv_response_add_header(smv__srv_response *res, const char *name, const char *value) {
  if (!name || !*name || !value) return SMV_ERR_INVALID_ARG;
  for (const char *p = name; *p; p++)
    if (!is_tchar((unsigned char)*p)) return SMV_ERR_INVALID_ARG;
  for (const char *p = value; *p; p++)
    if (*p == '\r' || *p == '\n') return SMV_ERR_INVALID_ARG;
  static const char *const reserved[] = {"Content-Length", "Transfer-Encoding", "Connection", "Date"};
  for (size_t i = 0; i < 4; i++)
    if (strcasecmp(name, reserved[i]) == 0) return SMV_ERR_INVALID_ARG;
  if (!res->conn) return 0; /* nobody will read it */
  size_t need = strlen(name) + 2 + strlen(value) + 2;
  if (res->head_len + need > res->head_cap) {
    size_t cap = res->head_cap ? res->head_cap : 256;
    while (cap < res->head_len + need) cap *= 2;
    char *n = smv__realloc(res_alloc(res), res->head, cap);
    if (!n) return SMV_ERR_NOMEM;
    res->head = n;
    res->head_cap = cap;
  }
  res->head_len += (size_t)sprintf(res->head + res->head_len, "%s: %s\r\n", name, value);
  return 0;
}

int smv__srv_response_set_body(smv__srv_response *res, const void *body, size_t len) {
  if (!res->conn) return 0;
  uint8_t *b = NULL;
  if (len) {
    b = smv__malloc(res_alloc(res), len);
    if (!b) return SMV_ERR_NOMEM;
    memcpy(b, body, len);
  }
  smv__free(res_alloc(res), res->body);
  res->body = b;
  res->body_len = len;
  return 0;
}

void smv__srv_response_close(smv__srv_response *res) { res->close = 1; }

void smv__srv_response_on_abort(smv__srv_response *res,
                                void (*cb)(smv__srv_response *res, void *data), void *data) {
  res->abort_cb = cb;
  res->abort_data = data;
}

/* Writes bytes as the response (TLS: encrypted into one flight). Frees res. */
static int res_emit(smv__srv_response *res, const void *bytes, size_t len, int close_after) {
  srv_conn *c = res->conn;
  smv__server *s = c->srv;
  c->res = NULL;
  res_free(s, res);
  c->want_close = close_after || s->draining || c->nreq >= s->cfg.limits.max_requests_per_conn;
  c->state = C_WRITING;
  conn_arm(c, s->cfg.limits.write_timeout_ms);
  if (c->tls) {
    smv__alloc *prev = srv_enter(s);
    const uint8_t *p = bytes;
    size_t left = len;
    /* encrypt everything first, so the peer gets the response in one write */
    uint8_t *out = NULL;
    size_t olen = 0;
    int failed = 0;
    while (left > 0 && !failed) {
      int n = smv__tls_write(c->tls, p, left);
      const uint8_t *op;
      size_t on;
      smv__tls_pending_out(c->tls, &op, &on);
      if (on) {
        uint8_t *no = smv__realloc(&s->alloc, out, olen + on);
        if (!no) {
          failed = 1;
          break;
        }
        out = no;
        memcpy(out + olen, op, on);
        olen += on;
        smv__tls_consume_out(c->tls, on);
      }
      if (n > 0) {
        p += n;
        left -= (size_t)n;
      } else if (n != SMV__TLS_WANT_IO || on == 0) {
        failed = 1;
      }
    }
    srv_leave(prev);
    int rc = failed ? -1 : conn_write(c, out, olen, 1);
    smv__free(&s->alloc, out);
    if (failed) {
      conn_close(c);
      return SMV_ERR_NOMEM;
    }
    return rc ? SMV_ERR_NOMEM : 0;
  }
  return conn_write(c, bytes, len, 1) ? SMV_ERR_NOMEM : 0;
}

int smv__srv_response_send(smv__srv_response *res) {
  srv_conn *c = res->conn;
  if (!c) {
    /* the connection went away after an abort callback that did not cancel: just free */
    return 0;
  }
  smv__server *s = c->srv;
  int close_after = res->close || s->draining || c->nreq >= s->cfg.limits.max_requests_per_conn;
  int no_body = (res->status >= 100 && res->status < 200) || res->status == 204 ||
                res->status == 304 || strcmp(res->req.method, "HEAD") == 0;
  char date[64] = "";
  time_t now = time(NULL);
  struct tm tmv;
  if (gmtime_r(&now, &tmv)) strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tmv);
  const char *server = s->cfg.server_header;
  size_t cap = 256 + sizeof(res->reason) + (server ? strlen(server) : 0) + res->head_len +
               (no_body ? 0 : res->body_len);
  char *buf = smv__malloc(&s->alloc, cap);
  if (!buf) {
    c->res = NULL;
    res_free(s, res);
    conn_close(c);
    return SMV_ERR_NOMEM;
  }
  int n = snprintf(buf, cap, "HTTP/1.1 %d %s\r\nDate: %s\r\n", res->status,
                   res->reason[0] ? res->reason : status_reason(res->status), date);
  size_t len = (size_t)n;
  if (server) len += (size_t)snprintf(buf + len, cap - len, "Server: %s\r\n", server);
  if (res->status >= 200 && res->status != 204 && res->status != 304)
    len += (size_t)snprintf(buf + len, cap - len, "Content-Length: %zu\r\n", res->body_len);
  len += (size_t)snprintf(buf + len, cap - len, "Connection: %s\r\n",
                          close_after ? "close" : "keep-alive");
  if (res->head_len) memcpy(buf + len, res->head, res->head_len);
  len += res->head_len;
  memcpy(buf + len, "\r\n", 2);
  len += 2;
  if (!no_body && res->body_len) {
    memcpy(buf + len, res->body, res->body_len);
    len += res->body_len;
  }
  int rc = res_emit(res, buf, len, close_after);
  smv__free(&s->alloc, buf);
  return rc;
}

int smv__srv_response_send_raw(smv__srv_response *res, const void *bytes, size_t len,
                               int close_after) {
  srv_conn *c = res->conn;
  if (!c) return 0;
  return res_emit(res, bytes, len, close_after);
}

int smv__srv_respond(smv__srv_response *res, int status, const char *content_type,
                     const void *body, size_t len) {
  int rc = smv__srv_response_set_status(res, status, NULL);
  if (rc == 0 && content_type) rc = smv__srv_response_add_header(res, "Content-Type", content_type);
  if (rc == 0 && len) rc = smv__srv_response_set_body(res, body, len);
  if (rc != 0) {
    srv_conn *c = res->conn;
    if (c) {
      c->res = NULL;
      res_free(c->srv, res);
      conn_close(c);
    }
    return rc;
  }
  return smv__srv_response_send(res);
}

static void on_write(uv_write_t *req, int status) {
  srv_write *w = (srv_write *)req;
  srv_conn *c = w->c;
  int is_response = w->is_response;
  smv__free(&c->srv->alloc, w);
  c->writes--;
  if (status != 0) {
    if (!uv_is_closing((uv_handle_t *)&c->tcp)) conn_close(c);
    return;
  }
  if (!is_response || c->state != C_WRITING) return;
  if (c->want_close) {
    conn_finish(c);
    return;
  }
  /* keep-alive: back to waiting for the next request; what the peer already sent comes first */
  c->state = C_IDLE;
  conn_arm(c, c->srv->cfg.limits.idle_timeout_ms);
  if (c->plen > 0 || (c->tls && smv__tls_read_pending(c->tls) > 0)) {
    c->state = C_READING;
    conn_arm(c, c->srv->cfg.limits.request_timeout_ms);
  }
  conn_read_start(c);
  conn_process(c);
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
