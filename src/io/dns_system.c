/* DNS through the system resolver (build option SMV_SYSTEM_RESOLVER), for modem firmware with a
 * single WAN interface: getaddrinfo runs in libuv's threadpool, and c-ares stays out of the program.
 * The system resolver cannot be bound to an interface, so this is only right where the carrier path
 * is the only path; the servers of the path (--dns) cannot be chosen either and are refused. */
#include "io/dns.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>

struct smv__dns {
  smv_client *client;
  uv_getaddrinfo_t req;
  int busy, freeing;
  smv__dns_cb cb;
  void *ud;
};

int smv__dns_global_init(void) { return 0; }

int smv__dns_new(smv_client *cl, const smv__path *path, const smv__dns_list *servers, smv__dns **out) {
  (void)path;
  if (servers && servers->count && strcmp(servers->source, "--dns") == 0) return SMV_ERR_INVALID_ARG;
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

static void on_gai(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  smv__dns *d = req->data;
  d->busy = 0;
  if (d->freeing) {
    uv_freeaddrinfo(res);
    smv_client *cl = d->client;
    smv__free(&cl->alloc, d);
    smv__client_close_end(cl);
    return;
  }
  smv__dns_answer ans;
  memset(&ans, 0, sizeof(ans));
  int err = status ? map_gai(status) : 0;
  for (struct addrinfo *a = res; !err && a && ans.count < SMV__DNS_ADDRS_MAX; a = a->ai_next) {
    if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) || a->ai_addrlen > sizeof(ans.addrs[0])) continue;
    memcpy(&ans.addrs[ans.count++], a->ai_addr, a->ai_addrlen);
  }
  if (!err && ans.count == 0) err = SMV_ERR_DNS_NO_ADDRESS;
  uv_freeaddrinfo(res);
  smv__dns_cb cb = d->cb;
  d->cb = NULL;
  if (cb) cb(d->ud, err, &ans);
}

int smv__dns_resolve(smv__dns *d, const char *host, unsigned port, smv__dns_cb cb, void *ud) {
  struct addrinfo hints;
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
  char service[8];
  snprintf(service, sizeof(service), "%u", port);
  d->cb = cb;
  d->ud = ud;
  d->req.data = d;
  int rc = uv_getaddrinfo(d->client->loop, &d->req, on_gai, host, service, &hints);
  if (rc) return map_gai(rc);
  d->busy = 1;
  return 0;
}

void smv__dns_free(smv__dns *d) {
  if (!d || d->freeing) return;
  d->freeing = 1;
  d->cb = NULL;
  if (!d->busy) {
    smv__free(&d->client->alloc, d);
    return;
  }
  /* A lookup in the threadpool cannot be dropped: its callback (cancelled or not) frees, and the
   * client waits for it. */
  smv__client_close_begin(d->client);
  uv_cancel((uv_req_t *)&d->req);
}
