/* One TCP connection of a client, bound to the flow's path: the socket is opened bound (platform),
 * connected with TCP_NODELAY, its local address checked against the path, and then it is a stream
 * (stream.c: plain or through the TLS engine, one write per flight or request, a clean end). And the
 * keep-alive pool of the client. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io/conn.h"

#define SMV__PLAIN_RBUF 2048
#define SMV__POOL_MAX 4
#define SMV__POOL_IDLE_NS (30ull * 1000000000ull)

static const smv__stream_events conn_stream_events;

static void on_released(smv__stream *s) {
  smv__conn *c = s->owner;
  smv_client *cl = c->client;
  smv__free(&cl->alloc, c);
  smv__client_close_end(cl);
}

void smv__conn_key(char key[SMV__CONN_KEY_MAX], int tls, const char *host, unsigned port, const char *ifname) {
  snprintf(key, SMV__CONN_KEY_MAX, "%s://%s:%u%%%s", tls ? "https" : "http", host, port, ifname);
}

int smv__conn_new(smv_client *cl, const char *key, const char *host, unsigned port, int tls,
                  smv__conn **out) {
  size_t klen = strlen(key), hlen = strlen(host);
  smv__conn *c = smv__calloc(&cl->alloc, 1, sizeof(*c) + klen + 1 + hlen + 1);
  if (!c) return SMV_ERR_NOMEM;
  c->client = cl;
  c->fd = -1;
  c->port = port;
  c->tls = tls;
  memcpy(c->key, key, klen + 1);
  c->host = c->key + klen + 1;
  memcpy(c->host, host, hlen + 1);
  /* The configuration first: a bad trust store is this hop's error before any packet is sent. */
  smv__tls_conf *conf;
  int rc = tls ? smv__client_tls(cl, &conf) : 0;
  if (rc == 0) rc = smv__stream_init(&c->st, cl->loop, &cl->alloc, NULL, SMV__PLAIN_RBUF, &conn_stream_events, c);
  if (rc) {
    smv__free(&cl->alloc, c);
    return rc;
  }
  smv__client_close_begin(cl); /* ended in on_released */
  *out = c;
  return 0;
}

void smv__conn_close(smv__conn *c) {
  if (c->closing) return;
  c->closing = 1;
  smv__stream_shutdown(&c->st, 0);
}

/* ---- the stream's events, handed to the connection's owner ---------------------------------------- */
static void st_ready(smv__stream *s, int err) {
  smv__conn *c = s->owner;
  if (c->ev && c->ev->ready) c->ev->ready(c, err, c->ud);
}

static void st_data(smv__stream *s, const char *buf, size_t len) {
  smv__conn *c = s->owner;
  if (c->ev && c->ev->data) c->ev->data(c, buf, len, c->ud);
}

static void st_written(smv__stream *s, int err) {
  smv__conn *c = s->owner;
  if (c->ev && c->ev->written) c->ev->written(c, err, c->ud);
}

static void st_closed(smv__stream *s, int err) {
  smv__conn *c = s->owner;
  if (c->ev && c->ev->closed) c->ev->closed(c, err, c->ud);
}

static const smv__stream_events conn_stream_events = {st_ready, st_data, st_written, st_closed, on_released};

/* ---- connecting ---------------------------------------------------------------------------------- */
static void format_sockaddr(const struct sockaddr *sa, char *buf, size_t cap) {
  char ip[64] = "?";
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
    uv_ip4_name(s4, ip, sizeof(ip));
    snprintf(buf, cap, "%s:%u", ip, ntohs(s4->sin_port));
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    uv_ip6_name(s6, ip, sizeof(ip));
    snprintf(buf, cap, "[%s]:%u", ip, ntohs(s6->sin6_port));
  } else {
    snprintf(buf, cap, "?");
  }
}

/* The result of the TCP stage: to the racing owner (connected), else as a failure of ready. */
static void report_connect(smv__conn *c, int err) {
  const smv__conn_events *ev = c->ev;
  if (ev && ev->connected) ev->connected(c, err, c->ud);
  else if (ev && ev->ready) ev->ready(c, err, c->ud);
}

static void on_connect(uv_connect_t *req, int status) {
  smv__conn *c = req->data;
  if (c->closing) return;
  if (c->abandoned) { /* it lost the race: now that the handshake of TCP is over, end it */
    smv__conn_close(c);
    return;
  }
  if (status < 0) {
    report_connect(c, smv__stream_uv_error(status));
    return;
  }
  c->connected = 1;
  c->connected_ns = uv_hrtime();
  struct sockaddr_storage local;
  int len = sizeof(local);
  if (uv_tcp_getsockname(smv__stream_tcp(&c->st), (struct sockaddr *)&local, &len) == 0)
    format_sockaddr((struct sockaddr *)&local, c->local_text, sizeof(c->local_text));
  if (c->path) {
    /* The route may have sent the SYN elsewhere than the bound device (policy routing, a VPN's
     * rules): the local address proves which interface carries the connection. */
    const smv__platform *pf = &c->client->platform;
    int rc = pf->ops->check_local(pf->user_data, c->path, c->fd, NULL, 0);
    c->path = NULL;
    if (rc) {
      report_connect(c, rc);
      return;
    }
  }
  if (c->ev && c->ev->connected) c->ev->connected(c, 0, c->ud);
  else smv__conn_start(c);
}

void smv__conn_start(smv__conn *c) {
  if (c->tls && !c->st.tls) {
    smv__tls_conf *conf;
    smv__tls *t = NULL;
    int rc = smv__client_tls(c->client, &conf);
    if (rc == 0) rc = smv__tls_new(conf, c->host, c->port, &t);
    if (rc) {
      if (c->ev && c->ev->ready) c->ev->ready(c, rc, c->ud);
      return;
    }
    smv__stream_set_tls(&c->st, t);
  }
  smv__stream_start(&c->st); /* the TLS handshake, or ready at once */
}

void smv__conn_abandon(smv__conn *c) {
  c->ev = NULL;
  c->ud = NULL;
  if (c->connected || c->closing) {
    smv__conn_close(c);
    return;
  }
  c->abandoned = 1;
  smv__stream_linger_connect(&c->st, 0);
}

int smv__conn_connect(smv__conn *c, const smv__path *path, const struct sockaddr *addr,
                      const smv__conn_events *ev, void *ud) {
  smv_client *cl = c->client;
  c->ev = ev;
  c->ud = ud;
  memcpy(&c->remote, addr, addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
  format_sockaddr(addr, c->remote_text, sizeof(c->remote_text));
  int fd = -1, rc;
  c->path = c->path_bound = path;
  if (path) {
    rc = smv__platform_open_socket(&cl->platform, path, addr->sa_family, SOCK_STREAM, &fd);
    if (rc) return rc;
  } else {
    fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return SMV_ERR_IO;
  }
  uv_tcp_t *tcp = smv__stream_tcp(&c->st);
  if (uv_tcp_open(tcp, fd) != 0) {
    close(fd);
    return SMV_ERR_IO;
  }
  c->fd = fd;
  uv_tcp_nodelay(tcp, 1);
  c->connect_req.data = c;
  rc = uv_tcp_connect(&c->connect_req, tcp, addr, on_connect);
  return rc < 0 ? smv__stream_uv_error(rc) : 0;
}

void smv__conn_attach(smv__conn *c, const smv__conn_events *ev, void *ud) {
  c->ev = ev;
  c->ud = ud;
}

int smv__conn_write(smv__conn *c, const char *buf, size_t len) {
  /* One request at a time; under TLS the handshake's last flight may still be going out, and the
   * request waits for it in the stream's pump. */
  int rc = smv__stream_write(&c->st, buf, len);
  if (rc == 0) c->requests++;
  return rc;
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

static const smv__conn_events pool_events = {NULL, NULL, pool_data, pool_closed, NULL};

void smv__conn_pool_put(smv__conn *c) {
  smv_client *cl = c->client;
  if (!smv__stream_usable(&c->st) || cl->freeing) {
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
  uv_unref((uv_handle_t *)smv__stream_tcp(&c->st));
  c->idle_since_ns = uv_hrtime();
  c->next = cl->idle;
  cl->idle = c;
  cl->nidle++;
}

smv__conn *smv__conn_pool_take(smv_client *cl, const char *key) {
  uint64_t now = uv_hrtime();
  for (smv__conn *c = cl->idle; c; c = c->next) {
    if (strcmp(c->key, key) != 0 || !smv__stream_usable(&c->st)) continue;
    pool_remove(c);
    uv_ref((uv_handle_t *)smv__stream_tcp(&c->st));
    if (now - c->idle_since_ns > SMV__POOL_IDLE_NS) {
      smv__conn_close(c);
      return NULL;
    }
    return c;
  }
  return NULL;
}

void smv__conn_pool_clear(smv_client *cl) {
  while (cl->idle) {
    smv__conn *c = cl->idle;
    pool_remove(c);
    uv_ref((uv_handle_t *)smv__stream_tcp(&c->st)); /* its clean end keeps the loop until done */
    smv__conn_close(c);
  }
}
