/* DNS on the path with c-ares. c-ares tells us which sockets to watch (sock_state_cb); libuv polls
 * them and a timer drives c-ares's retransmissions. The query never leaves on another path: the
 * platform binds each socket c-ares opens (device and source address), and a socket that cannot be
 * bound fails the query. */
#include "io/dns.h"

#include <ares.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

typedef struct smv__dns_poll {
  uv_poll_t poll;
  ares_socket_t fd;
  smv__dns *dns;
  struct smv__dns_poll *next;
} smv__dns_poll;

struct smv__dns {
  smv_client *client;
  ares_channel_t *channel;
  smv__ares_binding binding;
  smv__path path;
  uv_timer_t timer;
  smv__dns_poll *polls;
  unsigned open_handles;
  int freeing;
  struct smv__dns_query {       /* [0] AAAA, [1] A */
    smv__dns *d;
    int family;
    smv__dns_cb cb;
    void *ud;
    unsigned port;
  } q[2];
  int in_callback;              /* inside on_addrinfo: c-ares must not be destroyed under itself */
};

static int busy(const smv__dns *d) { return d->q[0].cb || d->q[1].cb; }

static void *ares_malloc_hook(size_t n) { return smv__malloc(NULL, n); }
static void ares_free_hook(void *p) { smv__free(NULL, p); }
static void *ares_realloc_hook(void *p, size_t n) { return smv__realloc(NULL, p, n); }

int smv__dns_global_init(void) {
  static int done;
  if (done) return 0;
  if (ares_library_init_mem(ARES_LIB_INIT_ALL, ares_malloc_hook, ares_free_hook, ares_realloc_hook) != ARES_SUCCESS)
    return SMV_ERR_NOMEM;
  done = 1;
  return 0;
}

static void maybe_release(smv__dns *d) {
  if (d->freeing && d->open_handles == 0) {
    smv_client *cl = d->client;
    smv__free(&cl->alloc, d);
    smv__client_close_end(cl);
  }
}

static void on_handle_closed(uv_handle_t *h) {
  smv__dns *d;
  if (h->type == UV_POLL) {
    smv__dns_poll *p = h->data;
    d = p->dns;
    smv__free(&d->client->alloc, p);
  } else {
    d = h->data;
  }
  d->open_handles--;
  maybe_release(d);
}

static void on_timer(uv_timer_t *t);

/* c-ares's next retransmission or timeout, as a libuv timer. */
static void rearm(smv__dns *d) {
  struct timeval tv, *tvp = ares_timeout(d->channel, NULL, &tv);
  if (tvp) uv_timer_start(&d->timer, on_timer, (uint64_t)tvp->tv_sec * 1000 + (uint64_t)tvp->tv_usec / 1000 + 1, 0);
}

static void on_timer(uv_timer_t *t) {
  smv__dns *d = t->data;
  smv__alloc *prev = smv__alloc_enter(&d->client->alloc);
  ares_process_fd(d->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  if (!d->freeing && busy(d)) rearm(d);
  smv__alloc_leave(prev);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  smv__dns_poll *p = h->data;
  smv__dns *d = p->dns;
  smv__alloc *prev = smv__alloc_enter(&d->client->alloc);
  ares_socket_t r = (status < 0 || (events & UV_READABLE)) ? p->fd : ARES_SOCKET_BAD;
  ares_socket_t w = (status < 0 || (events & UV_WRITABLE)) ? p->fd : ARES_SOCKET_BAD;
  ares_process_fd(d->channel, r, w);
  if (!d->freeing && busy(d)) rearm(d);
  smv__alloc_leave(prev);
}

static void sock_state_cb(void *data, ares_socket_t fd, int readable, int writable) {
  smv__dns *d = data;
  smv__dns_poll **pp = &d->polls, *p = NULL;
  for (; *pp; pp = &(*pp)->next)
    if ((*pp)->fd == fd) { p = *pp; break; }
  if (!readable && !writable) {
    if (p) {
      *pp = p->next;
      uv_poll_stop(&p->poll);
      uv_close((uv_handle_t *)&p->poll, on_handle_closed);
    }
    return;
  }
  if (!p) {
    p = smv__calloc(&d->client->alloc, 1, sizeof(*p));
    if (!p) return; /* the query times out: c-ares is never told, but the flow's deadline holds */
    if (uv_poll_init_socket(d->client->loop, &p->poll, fd) != 0) {
      smv__free(&d->client->alloc, p);
      return;
    }
    p->fd = fd;
    p->dns = d;
    p->poll.data = p;
    p->next = d->polls;
    d->polls = p;
    d->open_handles++;
  }
  uv_poll_start(&p->poll, (readable ? UV_READABLE : 0) | (writable ? UV_WRITABLE : 0), on_poll);
}

int smv__dns_new(smv_client *cl, const smv__path *path, const char *override_csv, int v4, int v6,
                 smv__dns **out) {
  int rc = smv__dns_global_init();
  if (rc) return rc;
  /* The path's own servers (--dns, else what the platform knows for it), of the families the path
   * can reach. */
  smv__dns_list servers;
  const smv__platform *pf = &cl->platform;
  rc = pf->ops->dns_servers(pf->user_data, path, override_csv, &servers);
  if (rc) return rc;
  smv__dns_list_keep(&servers, v4, v6);
  if (servers.count == 0) return SMV_ERR_DNS_NO_SERVERS;
  smv__dns *d = smv__calloc(&cl->alloc, 1, sizeof(*d));
  if (!d) return SMV_ERR_NOMEM;
  d->client = cl;
  smv__alloc *prev = smv__alloc_enter(&cl->alloc);
  struct ares_options o;
  memset(&o, 0, sizeof(o));
  o.sock_state_cb = sock_state_cb;
  o.sock_state_cb_data = d;
  o.timeout = 2000;   /* per try, ms */
  o.tries = 2;
  o.lookups = (char *)(uintptr_t)"fb"; /* /etc/hosts first (localhost), then DNS */
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_LOOKUPS;
  if (ares_init_options(&d->channel, &o, mask) != ARES_SUCCESS) {
    smv__alloc_leave(prev);
    smv__free(&cl->alloc, d);
    return SMV_ERR_NOMEM;
  }
  d->path = *path;
  d->binding.platform = &cl->platform;
  d->binding.path = &d->path;
  rc = smv__platform_bind_ares((struct ares_channeldata *)d->channel, &d->binding, &servers);
  if (rc) {
    ares_destroy(d->channel);
    smv__alloc_leave(prev);
    smv__free(&cl->alloc, d);
    return rc;
  }
  smv__alloc_leave(prev);
  uv_timer_init(cl->loop, &d->timer);
  d->timer.data = d;
  d->open_handles = 1;
  *out = d;
  return 0;
}

static void destroy(smv__dns *d);

static void on_deferred_free(uv_timer_t *t) { destroy(t->data); }

static int map_ares(int status) {
  switch (status) {
  case ARES_ENOTFOUND:
  case ARES_ENODATA: return SMV_ERR_DNS_NOT_FOUND;
  case ARES_ETIMEOUT: return SMV_ERR_TIMEOUT_DNS;
  case ARES_ENOMEM: return SMV_ERR_NOMEM;
  case ARES_ESERVFAIL:
  case ARES_EREFUSED:
  case ARES_ECONNREFUSED:
  default: return SMV_ERR_DNS_FAIL;
  }
}

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res) {
  (void)timeouts;
  struct smv__dns_query *q = arg;
  smv__dns *d = q->d;
  smv__dns_cb cb = q->cb;
  q->cb = NULL;
  if (status == ARES_EDESTRUCTION || d->freeing || !cb) {
    ares_freeaddrinfo(res);
    return;
  }
  smv__dns_answer ans;
  memset(&ans, 0, sizeof(ans));
  int err = 0;
  if (status != ARES_SUCCESS) {
    err = d->binding.failures ? SMV_ERR_PATH_BIND : map_ares(status);
  } else {
    for (struct ares_addrinfo_node *n = res ? res->nodes : NULL; n && ans.count < SMV__DNS_ADDRS_MAX;
         n = n->ai_next) {
      if (n->ai_family != q->family || n->ai_addrlen > sizeof(ans.addrs[0])) continue;
      memcpy(&ans.addrs[ans.count], n->ai_addr, n->ai_addrlen);
      uint32_t ttl = n->ai_ttl > 0 ? (uint32_t)n->ai_ttl : 0;
      if (ans.count == 0 || ttl < ans.ttl) ans.ttl = ttl;
      ans.count++;
    }
    if (ans.count == 0) err = SMV_ERR_DNS_NO_ADDRESS;
  }
  ares_freeaddrinfo(res);
  if (!busy(d)) uv_timer_stop(&d->timer);
  d->in_callback++;
  cb(q->ud, q->family, err, &ans);
  d->in_callback--;
  if (d->freeing && !d->in_callback) uv_timer_start(&d->timer, on_deferred_free, 0, 0);
}

int smv__dns_resolve(smv__dns *d, const char *host, unsigned port, int family, smv__dns_cb cb,
                     void *ud) {
  struct smv__dns_query *q = &d->q[family == AF_INET ? 1 : 0];
  if (q->cb || (family != AF_INET && family != AF_INET6)) return SMV_ERR_INVALID_ARG;
  struct ares_addrinfo_hints hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  /* NOSORT: the answer's order is kept (the ordering across families is Happy Eyeballs', and c-ares's
   * RFC 6724 sort would open unbound sockets to find source addresses). */
  hints.ai_flags = ARES_AI_NUMERICSERV | ARES_AI_NOSORT;
  char service[8];
  snprintf(service, sizeof(service), "%u", port);
  q->d = d;
  q->family = family;
  q->cb = cb;
  q->ud = ud;
  q->port = port;
  smv__alloc *prev = smv__alloc_enter(&d->client->alloc);
  ares_getaddrinfo(d->channel, host, service, &hints, on_addrinfo, q);
  if (busy(d)) rearm(d);
  smv__alloc_leave(prev);
  return 0;
}

static void destroy(smv__dns *d) {
  smv__client_close_begin(d->client);  /* ended in maybe_release, once libuv has closed the handles */
  smv__alloc *prev = smv__alloc_enter(&d->client->alloc);
  ares_destroy(d->channel);  /* closes its sockets: sock_state_cb closes the polls */
  smv__alloc_leave(prev);
  while (d->polls) {
    smv__dns_poll *p = d->polls;
    d->polls = p->next;
    uv_poll_stop(&p->poll);
    uv_close((uv_handle_t *)&p->poll, on_handle_closed);
  }
  uv_timer_stop(&d->timer);
  uv_close((uv_handle_t *)&d->timer, on_handle_closed);
}

void smv__dns_free(smv__dns *d) {
  if (!d || d->freeing) return;
  d->freeing = 1;
  d->q[0].cb = d->q[1].cb = NULL;
  if (!d->in_callback) destroy(d);
}
