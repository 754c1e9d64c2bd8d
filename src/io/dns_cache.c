/* The client's DNS and NAT64 prefix cache (see dns_cache.h). */
#include "io/dns_cache.h"

#include <string.h>

struct smv__dns_entry {
  struct smv__dns_entry *next;
  uint64_t expires_ms;           /* on the loop's clock */
  unsigned ifindex;
  char ifname[32];
  int family;
  size_t count;
  struct sockaddr_in6 addrs[SMV__DNS_ADDRS_MAX];
  char host[];
};

static int same_path(const struct smv__dns_entry *e, const smv__path *p) {
  return e->ifindex == p->ifindex && strcmp(e->ifname, p->name) == 0;
}

static uint64_t expiry(smv_client *cl, uint32_t ttl) {
  if (ttl > SMV__DNS_CACHE_TTL_MAX) ttl = SMV__DNS_CACHE_TTL_MAX;
  return uv_now(cl->loop) + (uint64_t)ttl * 1000;
}

static void set_port(struct sockaddr_in6 *sa, unsigned port) {
  if (sa->sin6_family == AF_INET6) sa->sin6_port = htons((uint16_t)port);
  else ((struct sockaddr_in *)(void *)sa)->sin_port = htons((uint16_t)port);
}

/* Unlinks and frees *pp. */
static void drop(smv_client *cl, struct smv__dns_entry **pp) {
  struct smv__dns_entry *e = *pp;
  *pp = e->next;
  smv__free(&cl->alloc, e);
  cl->ndns_cache--;
}

size_t smv__dns_cache_get(smv_client *cl, const smv__path *path, const char *host, int family,
                          unsigned port, smv__dns_answer *out) {
  uint64_t now = uv_now(cl->loop);
  memset(out, 0, sizeof(*out));
  for (struct smv__dns_entry **pp = &cl->dns_cache; *pp;) {
    struct smv__dns_entry *e = *pp;
    if (e->expires_ms <= now) {
      drop(cl, pp);
      continue;
    }
    if (e->family == family && same_path(e, path) && strcmp(e->host, host) == 0) {
      memcpy(out->addrs, e->addrs, e->count * sizeof(e->addrs[0]));
      out->count = e->count;
      out->ttl = (uint32_t)((e->expires_ms - now) / 1000);
      for (size_t i = 0; i < out->count; i++) set_port(&out->addrs[i], port);
      return out->count;
    }
    pp = &e->next;
  }
  return 0;
}

void smv__dns_cache_put(smv_client *cl, const smv__path *path, const char *host, int family,
                        const smv__dns_answer *answer) {
  if (!answer->count || !answer->ttl) return;
  size_t hl = strlen(host);
  for (struct smv__dns_entry **pp = &cl->dns_cache; *pp; pp = &(*pp)->next)
    if ((*pp)->family == family && same_path(*pp, path) && strcmp((*pp)->host, host) == 0) {
      drop(cl, pp);
      break;
    }
  while (cl->ndns_cache >= SMV__DNS_CACHE_MAX) { /* the oldest is last */
    struct smv__dns_entry **pp = &cl->dns_cache;
    while ((*pp)->next) pp = &(*pp)->next;
    drop(cl, pp);
  }
  struct smv__dns_entry *e = smv__malloc(&cl->alloc, sizeof(*e) + hl + 1);
  if (!e) return;
  memset(e, 0, sizeof(*e));
  e->expires_ms = expiry(cl, answer->ttl);
  e->ifindex = path->ifindex;
  memcpy(e->ifname, path->name, sizeof(e->ifname));
  e->family = family;
  e->count = answer->count;
  memcpy(e->addrs, answer->addrs, answer->count * sizeof(answer->addrs[0]));
  memcpy(e->host, host, hl + 1);
  e->next = cl->dns_cache;
  cl->dns_cache = e;
  cl->ndns_cache++;
}

int smv__nat64_cache_get(smv_client *cl, const smv__path *path, smv__nat64_prefix *out) {
  if (!cl->nat64.valid || cl->nat64.ifindex != path->ifindex || strcmp(cl->nat64.ifname, path->name) ||
      cl->nat64.expires_ms <= uv_now(cl->loop))
    return 0;
  *out = cl->nat64.prefix;
  return 1;
}

void smv__nat64_cache_put(smv_client *cl, const smv__path *path, const smv__nat64_prefix *p,
                          uint32_t ttl) {
  cl->nat64.valid = ttl > 0;
  cl->nat64.ifindex = path->ifindex;
  memcpy(cl->nat64.ifname, path->name, sizeof(cl->nat64.ifname));
  cl->nat64.prefix = *p;
  cl->nat64.expires_ms = expiry(cl, ttl);
}

void smv__dns_cache_clear(smv_client *cl) {
  while (cl->dns_cache) drop(cl, &cl->dns_cache);
  cl->nat64.valid = 0;
}
