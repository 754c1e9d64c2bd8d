/* A hop's addresses on the carrier path (see resolve.h). */
#include "io/resolve.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "io/dns_cache.h"

/* "what -> detail" for the trace. */
static void say(smv__resolve *r, const char *what, const char *detail) {
  if (!r->trace) return;
  char line[512];
  snprintf(line, sizeof(line), "%s%s%s", what, detail[0] ? " -> " : "", detail);
  r->trace(r->ud, line);
}

void smv__resolve_init(smv__resolve *r, smv_client *cl, const smv__path *path, const smv__path *clat,
                       int family, const char *dns_override, smv__race *race,
                       void (*trace)(void *, const char *), void *ud) {
  memset(r, 0, sizeof(*r));
  r->client = cl;
  r->path = path;
  r->clat = clat;
  r->dns_override = dns_override;
  r->race = race;
  r->trace = trace;
  r->ud = ud;
  smv__path_plan(path, clat != NULL, family, &r->plan);
}

void smv__resolve_free(smv__resolve *r) {
  smv__dns_free(r->dns);
  r->dns = NULL;
}

static int need_dns(smv__resolve *r) {
  if (r->dns) return 0;
  return smv__dns_new(r->client, r->path, r->dns_override, smv__path_has_family(r->path, AF_INET),
                      smv__path_has_family(r->path, AF_INET6), &r->dns);
}

/* An IPv4 address for the race, the path's way. */
static void add_v4(smv__resolve *r, const uint8_t v4[4]) {
  if (r->plan.v4 == SMV__V4_NAT64) {
    struct sockaddr_in6 s6;
    memset(&s6, 0, sizeof(s6));
    s6.sin6_family = AF_INET6;
    s6.sin6_port = htons((uint16_t)r->port);
    if (smv__nat64_synthesize(&r->prefix, v4, s6.sin6_addr.s6_addr) != SMV__NAT64_OK) return;
    r->nat64 = 1;
    smv__race_add(r->race, (const struct sockaddr *)&s6, r->path);
    return;
  }
  struct sockaddr_in s4;
  memset(&s4, 0, sizeof(s4));
  s4.sin_family = AF_INET;
  s4.sin_port = htons((uint16_t)r->port);
  memcpy(&s4.sin_addr, v4, 4);
  smv__race_add(r->race, (const struct sockaddr *)&s4, r->plan.v4 == SMV__V4_CLAT ? r->clat : r->path);
}

/* An answer (from the cache or the DNS) into the race. */
static void add_answer(smv__resolve *r, int family, const smv__dns_answer *a) {
  char list[200] = "";
  for (size_t i = 0; i < a->count; i++) {
    const struct sockaddr *sa = (const struct sockaddr *)&a->addrs[i];
    if (i < 3) {
      char one[64] = "";
      if (sa->sa_family == AF_INET) uv_ip4_name((const struct sockaddr_in *)sa, one, sizeof(one));
      else uv_ip6_name((const struct sockaddr_in6 *)sa, one, sizeof(one));
      size_t l = strlen(list);
      snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", one);
    }
    if (sa->sa_family == AF_INET) add_v4(r, (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr);
    else smv__race_add(r->race, sa, r->path);
  }
  char what[300];
  snprintf(what, sizeof(what), "%s %s", r->host, family == AF_INET6 ? "AAAA" : "A");
  say(r, what, list);
}

static void on_answer(void *ud, int family, int err, const smv__dns_answer *a) {
  smv__resolve *r = ud;
  if (!err) {
    smv__dns_cache_put(r->client, r->path, r->host, family, a);
    add_answer(r, family, a);
  }
  smv__race_answer_done(r->race, family, err);
}

/* Asks (or takes from the cache) the families the plan wants; the others are done at once. */
static int ask_names(smv__resolve *r, int ask_aaaa, int ask_a) {
  int fams[2] = {AF_INET6, AF_INET}, ask[2] = {ask_aaaa, ask_a}, sent = 0;
  smv__dns_answer cached;
  for (int i = 0; i < 2; i++) {
    if (!ask[i]) continue;
    if (smv__dns_cache_get(r->client, r->path, r->host, fams[i], r->port, &cached)) {
      add_answer(r, fams[i], &cached);
      ask[i] = 0;
    }
  }
  if (ask[0] || ask[1]) {
    int rc = need_dns(r);
    if (rc) return rc;
    r->lookups++;
  }
  for (int i = 0; i < 2; i++) {
    if (!ask[i]) continue;
    int rc = smv__dns_resolve(r->dns, r->host, r->port, fams[i], on_answer, r);
    if (rc) return rc;
    r->queries++;
    sent++;
  }
  for (int i = 0; i < 2; i++)
    if (!ask[i]) smv__race_answer_done(r->race, fams[i], 0);
  (void)sent;
  return 0;
}

/* The NAT64 prefix is known: what waited for it goes on. */
static void prefix_known(smv__resolve *r) {
  if (r->v4_literal) {
    add_v4(r, r->lit4);
    smv__race_answer_done(r->race, AF_INET6, 0);
    smv__race_answer_done(r->race, AF_INET, 0);
    return;
  }
  int rc = ask_names(r, 0, r->ask_a);
  if (rc) smv__race_answer_done(r->race, AF_INET, rc);
}

static int nat64_error(smv__nat64_rc rc) {
  switch (rc) {
  case SMV__NAT64_OK: return 0;
  case SMV__NAT64_NO_DNS64: return SMV_ERR_NAT64_NO_PREFIX;
  case SMV__NAT64_DISCOVERY_MALFORMED: return SMV_ERR_NAT64_DISCOVERY;
  case SMV__NAT64_WKP_NON_GLOBAL: return SMV_ERR_NAT64_WKP_NON_GLOBAL;
  default: return SMV_ERR_NAT64_PREFIX;
  }
}

/* The ipv4only.arpa answer (RFC 7050 3): the prefix, or why there is none. */
static void on_discovery(void *ud, int family, int err, const smv__dns_answer *a) {
  (void)family;
  smv__resolve *r = ud;
  smv__nat64_aaaa recs[SMV__DNS_ADDRS_MAX];
  size_t n = 0;
  for (size_t i = 0; !err && i < a->count; i++) {
    if (a->addrs[i].sin6_family != AF_INET6) continue;
    memcpy(recs[n].addr, a->addrs[i].sin6_addr.s6_addr, 16);
    recs[n++].ttl = a->ttl;
  }
  int rc;
  smv__nat64_discovery d;
  if (err == SMV_ERR_DNS_NOT_FOUND || err == SMV_ERR_DNS_NO_ADDRESS) rc = SMV_ERR_NAT64_NO_PREFIX;
  else if (err) rc = err;
  else rc = nat64_error(smv__nat64_discover(recs, n, &d));
  if (rc == 0) {
    r->prefix = d.prefix[0];
    smv__nat64_cache_put(r->client, r->path, &r->prefix, d.ttl);
    char text[INET6_ADDRSTRLEN] = "", line[128];
    inet_ntop(AF_INET6, r->prefix.addr, text, sizeof(text));
    snprintf(line, sizeof(line), "NAT64 prefix %s/%u (RFC 7050: ipv4only.arpa on the path's DNS64)", text,
             r->prefix.len);
    say(r, line, "");
    /* the WKP with a non-global literal is refused before anything is sent (RFC 6052 3.1) */
    uint8_t out[16];
    if (r->v4_literal && smv__nat64_synthesize(&r->prefix, r->lit4, out) == SMV__NAT64_WKP_NON_GLOBAL)
      rc = SMV_ERR_NAT64_WKP_NON_GLOBAL;
  }
  if (rc) {
    smv__race_answer_done(r->race, AF_INET6, rc);
    smv__race_answer_done(r->race, AF_INET, rc);
    return;
  }
  prefix_known(r);
}

/* IPv4 through NAT64 needs the prefix: from the cache, else from the path's DNS64. */
static int need_prefix(smv__resolve *r) {
  if (smv__nat64_cache_get(r->client, r->path, &r->prefix)) {
    uint8_t out[16];
    if (r->v4_literal && smv__nat64_synthesize(&r->prefix, r->lit4, out) == SMV__NAT64_WKP_NON_GLOBAL)
      return SMV_ERR_NAT64_WKP_NON_GLOBAL;
    prefix_known(r);
    return 0;
  }
  int rc = need_dns(r);
  if (rc) return rc;
  rc = smv__dns_resolve(r->dns, SMV__NAT64_DISCOVERY_NAME, 0, AF_INET6, on_discovery, r);
  if (rc == 0) r->queries++;
  return rc;
}

int smv__resolve_hop(smv__resolve *r, const smv__url *u, const char *host) {
  r->host = host;
  r->port = u->port_num;
  r->v4_literal = 0;
  r->ask_a = 0;
  r->nat64 = 0;
  const smv__family_plan *p = &r->plan;
  if (u->host_kind == SMV__HOST_IPV6) {
    if (!p->v6) return SMV_ERR_ADDRESS_FAMILY;
    struct sockaddr_in6 s6;
    memset(&s6, 0, sizeof(s6));
    s6.sin6_family = AF_INET6;
    s6.sin6_port = htons((uint16_t)r->port);
    memcpy(&s6.sin6_addr, u->ip, 16);
    smv__race_add(r->race, (const struct sockaddr *)&s6, r->path);
    smv__race_answer_done(r->race, AF_INET, 0);
    smv__race_answer_done(r->race, AF_INET6, 0);
    return 0;
  }
  if (u->host_kind == SMV__HOST_IPV4) {
    if (p->v4 == SMV__V4_NONE) return SMV_ERR_ADDRESS_FAMILY;
    if (p->v4 == SMV__V4_NAT64) {
      r->v4_literal = 1;
      memcpy(r->lit4, u->ip, 4);
      return need_prefix(r);
    }
    add_v4(r, u->ip);
    smv__race_answer_done(r->race, AF_INET6, 0);
    smv__race_answer_done(r->race, AF_INET, 0);
    return 0;
  }
  if (!p->ask_aaaa && !p->ask_a) return SMV_ERR_ADDRESS_FAMILY;
  if (p->ask_a && p->v4 == SMV__V4_NAT64) { /* --ipv4 on an IPv6-only path: A answers via NAT64 */
    r->ask_a = 1;
    smv__race_answer_done(r->race, AF_INET6, 0);
    return need_prefix(r);
  }
  return ask_names(r, p->ask_aaaa, p->ask_a);
}
