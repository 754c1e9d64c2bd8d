/* One TCP connection, plain or through the TLS engine, bound to the flow's path. libuv does the
 * socket I/O; the TLS engine does the bytes. Each handshake flight and each request goes out in one
 * write: the engine collects a flight before the driver flushes it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io/conn.h"

#define SMV__PLAIN_RBUF 2048
#define SMV__POOL_MAX 4
#define SMV__POOL_IDLE_NS (30ull * 1000000000ull)

static void conn_fail(smv__conn *c, int err);
static void flush(smv__conn *c);
static void tls_pump(smv__conn *c);

int smv__conn_new(smv_client *cl, const char *key, const char *host, unsigned port, int tls,
                  smv__conn **out) {
  size_t klen = strlen(key);
  smv__conn *c = smv__calloc(&cl->alloc, 1, sizeof(*c) + klen + 1);
  if (!c) return SMV_ERR_NOMEM;
  c->client = cl;
  c->fd = -1;
  c->port = port;
  memcpy(c->key, key, klen + 1);
  if (tls) {
    smv__tls_conf *conf;
    int rc = smv__client_tls(cl, &conf);
    if (rc == 0) rc = smv__tls_new(conf, host, port, &c->tls);
    if (rc) {
      smv__free(&cl->alloc, c);
      return rc;
    }
  }
  *out = c;
  return 0;
}

static void on_close(uv_handle_t *h) {
  smv__conn *c = h->data;
  smv_client *cl = c->client;
  if (c->tls) smv__tls_free(c->tls);
  smv__free(&cl->alloc, c->rbuf);
  smv__free(&cl->alloc, c);
  smv__client_close_end(cl);
}

void smv__conn_close(smv__conn *c) {
  if (c->closing) return;
  c->closing = 1;
  c->dead = 1;
  if (!c->connected && c->fd < 0) {
    /* never got a handle */
    smv_client *cl = c->client;
    if (c->tls) smv__tls_free(c->tls);
    smv__free(&cl->alloc, c->rbuf);
    smv__free(&cl->alloc, c);
    return;
  }
  smv__client_close_begin(c->client);
  uv_read_stop((uv_stream_t *)&c->tcp);
  uv_close((uv_handle_t *)&c->tcp, on_close);
}

static int map_uv_error(int status) {
  switch (status) {
  case UV_ECONNREFUSED: return SMV_ERR_CONNECT_REFUSED;
  case UV_ENETUNREACH:
  case UV_EHOSTUNREACH:
  case UV_EADDRNOTAVAIL:
  case UV_ENETDOWN: return SMV_ERR_CONNECT_UNREACH;
  case UV_ECONNRESET:
  case UV_EPIPE:
  case UV_ECONNABORTED: return SMV_ERR_CONN_RESET;
  case UV_ENODEV:
  case UV_ENXIO: return SMV_ERR_PATH_LOST;
  case UV_ENOMEM:
  case UV_ENOBUFS: return SMV_ERR_NOMEM;
  default: return SMV_ERR_CONNECT;
  }
}

static void conn_fail(smv__conn *c, int err) {
  if (c->dead) return;
  c->dead = 1;
  const smv__conn_events *ev = c->ev;
  if (!c->ready) {
    if (ev && ev->ready) ev->ready(c, err, c->ud);
  } else if (ev && ev->closed) {
    ev->closed(c, err, c->ud);
  }
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  smv__conn *c = h->data;
  if (c->tls) {
    uint8_t *p;
    size_t n;
    smv__tls_in_space(c->tls, &p, &n);
    *buf = uv_buf_init((char *)p, (unsigned)n);
    return;
  }
  /* Plain HTTP: a buffer per read, released after it, so that idle connections hold none. */
  c->rbuf = smv__malloc(&c->client->alloc, SMV__PLAIN_RBUF);
  *buf = uv_buf_init(c->rbuf, c->rbuf ? SMV__PLAIN_RBUF : 0);
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  (void)buf;
  smv__conn *c = s->data;
  if (!c->tls && c->rbuf && nread > 0 && !c->dead) {
    char *b = c->rbuf;
    c->rbuf = NULL;
    if (c->ev && c->ev->data) c->ev->data(c, b, (size_t)nread, c->ud);
    smv__free(&c->client->alloc, b);
    return;
  }
  if (!c->tls) {
    smv__free(&c->client->alloc, c->rbuf);
    c->rbuf = NULL;
  }
  if (c->dead) return;
  if (nread == UV_EOF) {
    if (!c->ready) conn_fail(c, c->tls ? SMV_ERR_TLS_HANDSHAKE : SMV_ERR_CONN_RESET);
    else conn_fail(c, 0);
    return;
  }
  if (nread < 0) {
    conn_fail(c, nread == UV_ENOBUFS ? SMV_ERR_NOMEM : map_uv_error((int)nread));
    return;
  }
  if (nread == 0) return;
  smv__tls_in_commit(c->tls, (size_t)nread);
  tls_pump(c);
}

static void on_write(uv_write_t *req, int status) {
  smv__conn *c = req->data;
  c->writing = 0;
  if (c->dead) return;
  if (status < 0) {
    conn_fail(c, map_uv_error(status));
    return;
  }
  if (c->tls) {
    smv__tls_consume_out(c->tls, c->write_buf.len);
    tls_pump(c);
    return;
  }
  c->plain_out = NULL;
  if (c->ev && c->ev->written) c->ev->written(c, 0, c->ud);
}

static void flush(smv__conn *c) {
  if (c->writing || c->dead || !c->tls) return;
  const uint8_t *p;
  size_t n;
  smv__tls_pending_out(c->tls, &p, &n);
  if (n == 0) return;
  c->write_buf = uv_buf_init((char *)(uintptr_t)p, (unsigned)n);
  c->write_req.data = c;
  int rc = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &c->write_buf, 1, on_write);
  if (rc < 0) {
    conn_fail(c, map_uv_error(rc));
    return;
  }
  c->writing = 1;
}

/* Moves the TLS state machine as far as it goes: handshake, pending plaintext writes, reads. */
static void tls_pump(smv__conn *c) {
  char buf[4096];
  if (c->dead) return;
  if (!c->ready) {
    int rc = smv__tls_handshake(c->tls);
    if (rc == 0) {
      c->ready = 1;
      flush(c);
      if (c->ev && c->ev->ready) c->ev->ready(c, 0, c->ud);
      if (c->dead) return;
    } else if (rc == SMV__TLS_WANT_IO) {
      flush(c);
      return;
    } else {
      flush(c); /* the alert, when there is one */
      conn_fail(c, rc);
      return;
    }
  }
  while (c->plain_out_len > 0 && !c->writing) {
    int rc = smv__tls_write(c->tls, c->plain_out, c->plain_out_len);
    if (rc == SMV__TLS_WANT_IO) break;
    if (rc < 0) {
      conn_fail(c, rc);
      return;
    }
    c->plain_out += rc;
    c->plain_out_len -= (size_t)rc;
  }
  flush(c);
  if (c->plain_out && c->plain_out_len == 0 && !c->writing) {
    c->plain_out = NULL;
    if (c->ev && c->ev->written) c->ev->written(c, 0, c->ud);
    if (c->dead) return;
  }
  for (;;) {
    int rc = smv__tls_read(c->tls, buf, sizeof(buf));
    if (rc > 0) {
      if (c->ev && c->ev->data) c->ev->data(c, buf, (size_t)rc, c->ud);
      if (c->dead) return;
      continue;
    }
    if (rc == 0) {
      conn_fail(c, 0);
      return;
    }
    if (rc == SMV__TLS_WANT_IO) break;
    conn_fail(c, rc);
    return;
  }
  flush(c);
}

static void format_sockaddr(const struct sockaddr *sa, char *buf, size_t cap) {
  char ip[64] = "?";
  unsigned port = 0;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
    uv_ip4_name(s4, ip, sizeof(ip));
    port = ntohs(s4->sin_port);
    snprintf(buf, cap, "%s:%u", ip, port);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    uv_ip6_name(s6, ip, sizeof(ip));
    port = ntohs(s6->sin6_port);
    snprintf(buf, cap, "[%s]:%u", ip, port);
  } else {
    snprintf(buf, cap, "?");
  }
}

static void on_connect(uv_connect_t *req, int status) {
  smv__conn *c = req->data;
  if (c->dead) return;
  if (status < 0) {
    conn_fail(c, map_uv_error(status));
    return;
  }
  c->connected = 1;
  c->connected_ns = uv_hrtime();
  struct sockaddr_storage local;
  int len = sizeof(local);
  if (uv_tcp_getsockname(&c->tcp, (struct sockaddr *)&local, &len) == 0)
    format_sockaddr((struct sockaddr *)&local, c->local_text, sizeof(c->local_text));
  if (c->path) {
    /* The route may have sent the SYN elsewhere than the bound device (policy routing, a VPN's
     * rules): the local address proves which interface carries the connection. */
    const smv__platform *pf = &c->client->platform;
    int rc = pf->ops->check_local(pf->user_data, c->path, c->fd, NULL, 0);
    c->path = NULL;
    if (rc) {
      conn_fail(c, rc);
      return;
    }
  }
  c->reading = 1;
  int rc = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
  if (rc < 0) {
    conn_fail(c, map_uv_error(rc));
    return;
  }
  if (!c->tls) {
    c->ready = 1;
    if (c->ev && c->ev->ready) c->ev->ready(c, 0, c->ud);
    return;
  }
  tls_pump(c);
}

int smv__conn_connect(smv__conn *c, const smv__path *path, const struct sockaddr *addr,
                      const smv__conn_events *ev, void *ud) {
  smv_client *cl = c->client;
  c->ev = ev;
  c->ud = ud;
  memcpy(&c->remote, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
  format_sockaddr(addr, c->remote_text, sizeof(c->remote_text));
  int fd = -1, rc;
  c->path = path;
  if (path) {
    rc = smv__platform_open_socket(&cl->platform, path, addr->sa_family, SOCK_STREAM, &fd);
    if (rc) return rc;
  } else {
    fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return SMV_ERR_IO;
  }
  if (uv_tcp_init(cl->loop, &c->tcp) != 0) {
    close(fd);
    return SMV_ERR_IO;
  }
  c->tcp.data = c;
  c->fd = fd;
  if (uv_tcp_open(&c->tcp, fd) != 0) {
    close(fd);
    c->fd = -1;
    uv_close((uv_handle_t *)&c->tcp, NULL);
    return SMV_ERR_IO;
  }
  uv_tcp_nodelay(&c->tcp, 1);
  c->connect_req.data = c;
  rc = uv_tcp_connect(&c->connect_req, &c->tcp, addr, on_connect);
  if (rc < 0) return map_uv_error(rc);
  return 0;
}

/* Called by the flow after ready: the local address must be on the path. */
void smv__conn_attach(smv__conn *c, const smv__conn_events *ev, void *ud) {
  c->ev = ev;
  c->ud = ud;
}

int smv__conn_write(smv__conn *c, const char *buf, size_t len) {
  /* One request at a time; under TLS the handshake's last flight may still be going out, and the
   * request waits for it in tls_pump. */
  if (c->dead || c->plain_out || (!c->tls && c->writing)) return SMV_ERR_INTERNAL;
  c->requests++;
  c->plain_out = buf;
  c->plain_out_len = len;
  if (c->tls) {
    tls_pump(c);
    return 0;
  }
  c->write_buf = uv_buf_init((char *)(uintptr_t)buf, (unsigned)len);
  c->write_req.data = c;
  int rc = uv_write(&c->write_req, (uv_stream_t *)&c->tcp, &c->write_buf, 1, on_write);
  if (rc < 0) return map_uv_error(rc);
  c->writing = 1;
  c->plain_out_len = 0;
  return 0;
}

/* ---- keep-alive pool ----------------------------------------------------------------------------- */
static void pool_remove(smv__conn *c) {
  smv_client *cl = c->client;
  for (smv__conn **p = &cl->idle; *p; p = &(*p)->next) {
    if (*p == c) {
      *p = c->next;
      c->next = NULL;
      cl->nidle--;
      return;
    }
  }
}

static void pool_data(smv__conn *c, const char *buf, size_t len, void *ud) {
  (void)buf; (void)len; (void)ud;
  /* An idle connection must be silent: bytes now would be read as the next response. */
  pool_remove(c);
  smv__conn_close(c);
}

static void pool_closed(smv__conn *c, int err, void *ud) {
  (void)err; (void)ud;
  pool_remove(c);
  smv__conn_close(c);
}

static const smv__conn_events pool_events = {NULL, pool_data, pool_closed, NULL};

void smv__conn_pool_put(smv__conn *c) {
  smv_client *cl = c->client;
  if (c->dead || cl->freeing) {
    smv__conn_close(c);
    return;
  }
  while (cl->nidle >= SMV__POOL_MAX) {
    smv__conn *last = cl->idle;
    while (last->next) last = last->next;
    pool_remove(last);
    smv__conn_close(last);
  }
  smv__conn_attach(c, &pool_events, NULL);
  /* An idle connection must not keep the caller's loop running. */
  uv_unref((uv_handle_t *)&c->tcp);
  c->idle_since_ns = uv_hrtime();
  c->next = cl->idle;
  cl->idle = c;
  cl->nidle++;
}

smv__conn *smv__conn_pool_take(smv_client *cl, const char *key) {
  uint64_t now = uv_hrtime();
  for (smv__conn *c = cl->idle; c; c = c->next) {
    if (strcmp(c->key, key) != 0 || c->dead) continue;
    pool_remove(c);
    if (now - c->idle_since_ns > SMV__POOL_IDLE_NS) {
      smv__conn_close(c);
      return NULL;
    }
    uv_ref((uv_handle_t *)&c->tcp);
    return c;
  }
  return NULL;
}

void smv__conn_pool_clear(smv_client *cl) {
  while (cl->idle) {
    smv__conn *c = cl->idle;
    pool_remove(c);
    smv__conn_close(c);
  }
}
