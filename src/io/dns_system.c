/* DNS through the system resolver (build option SMV_SYSTEM_RESOLVER), for modem firmware with a
 * single WAN interface: getaddrinfo runs in libuv's threadpool, and c-ares stays out of the program.
 * The system resolver cannot be bound to an interface, so this is only right where the carrier path
 * is the only path; the servers of the path (--dns) cannot be chosen either and are refused. Same
 * contract as dns.c: one lookup per family; getaddrinfo gives no TTL, so nothing is cached. */
#include "io/dns.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>

typedef struct sys_query {
  uv_getaddrinfo_t req;
  smv__dns *d;
  int family, busy;
  smv__dns_cb cb;
  void *ud;
} sys_query;

struct smv__dns {
  smv_client *client;
  sys_query q[2];              /* [0] IPv6, [1] IPv4 */
  int freeing;
};

int smv__dns_global_init(void) { return 0; }

int smv__dns_new(smv_client *cl, const smv__path *path, const char *override_csv, int v4, int v6,
                 smv__dns **out) {
  (void)path, (void)v4, (void)v6;
  /* The system resolver chooses its own servers: an explicit --dns cannot be honoured. */
  if (override_csv && *override_csv) return SMV_ERR_INVALID_ARG;
  smv__dns *d = smv__calloc(&cl->alloc, 1, sizeof(*d));
  if (!d) return SMV_ERR_NOMEM;
  d->client = cl;
  *out = d;
  return 0;
}

static int map_gai(int status) {
  switch (status) {
  case UV_EAI_NONAME:
  case UV_EAI_NODATA: return SMV_ERR_DNS_NOT_FOUND;
  case UV_EAI_MEMORY: return SMV_ERR_NOMEM;
  case UV_EAI_AGAIN: return SMV_ERR_TIMEOUT_DNS;
  default: return SMV_ERR_DNS_FAIL;
  }
}

static void release_if_done(smv__dns *d) {
  if (!d->freeing || d->q[0].busy || d->q[1].busy) return;
  smv_client *cl = d->client;
  smv__free(&cl->alloc, d);
  smv__client_close_end(cl);
}

static void on_gai(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  sys_query *q = req->data;
  smv__dns *d = q->d;
  q->busy = 0;
  if (d->freeing) {
    uv_freeaddrinfo(res);
    release_if_done(d);
    return;
  }
  smv__dns_answer ans;
  memset(&ans, 0, sizeof(ans));
  int err = status ? map_gai(status) : 0;
  for (struct addrinfo *a = res; !err && a && ans.count < SMV__DNS_ADDRS_MAX; a = a->ai_next) {
    if (a->ai_family != q->family || a->ai_addrlen > sizeof(ans.addrs[0])) continue;
    memcpy(&ans.addrs[ans.count++], a->ai_addr, a->ai_addrlen);
  }
  if (!err && ans.count == 0) err = SMV_ERR_DNS_NO_ADDRESS;
  uv_freeaddrinfo(res);
  smv__dns_cb cb = q->cb;
  q->cb = NULL;
  if (cb) cb(q->ud, q->family, err, &ans);
}

int smv__dns_resolve(smv__dns *d, const char *host, unsigned port, int family, smv__dns_cb cb,
                     void *ud) {
  sys_query *q = &d->q[family == AF_INET ? 1 : 0];
  if (q->busy || (family != AF_INET && family != AF_INET6)) return SMV_ERR_INVALID_ARG;
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  char service[8];
  snprintf(service, sizeof(service), "%u", port);
  q->d = d;
  q->family = family;
  q->cb = cb;
  q->ud = ud;
  q->req.data = q;
  int rc = uv_getaddrinfo(d->client->loop, &q->req, on_gai, host, service, &hints);
  if (rc) return map_gai(rc);
  q->busy = 1;
  return 0;
}

void smv__dns_free(smv__dns *d) {
  if (!d || d->freeing) return;
  d->freeing = 1;
  d->q[0].cb = d->q[1].cb = NULL;
  /* A lookup in the threadpool cannot be dropped: its callback (cancelled or not) frees, and the
   * client waits for it. */
  smv__client_close_begin(d->client);
  for (int i = 0; i < 2; i++)
    if (d->q[i].busy) uv_cancel((uv_req_t *)&d->q[i].req);
  release_if_done(d);
}
