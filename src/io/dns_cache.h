/* What a client remembers of DNS between its flows, so that the next flow does not ask again: the
 * answers for each name, per path and family, for their TTL; and the NAT64 prefix of a path, for the
 * TTL of the answer it came from (RFC 7050 3.1, RFC 8880). Bounded: SMV__DNS_CACHE_MAX names, TTLs
 * cut to SMV__DNS_CACHE_TTL_MAX; an answer without a TTL (the system resolver's) is not kept. */
#ifndef SMV_IO_DNS_CACHE_H
#define SMV_IO_DNS_CACHE_H

#include "core/nat64.h"
#include "io/client.h"
#include "io/dns.h"

#define SMV__DNS_CACHE_MAX 16
#define SMV__DNS_CACHE_TTL_MAX 3600u

/* The cached addresses of host for family on path, with port set, into out (at most
 * SMV__DNS_ADDRS_MAX): their count, 0 when none (or expired). */
size_t smv__dns_cache_get(smv_client *cl, const smv__path *path, const char *host, int family,
                          unsigned port, smv__dns_answer *out);
/* Keeps answer (its TTL > 0) for host; the oldest name goes when the cache is full. Without memory
 * nothing is kept (the cache is an optimisation). */
void smv__dns_cache_put(smv_client *cl, const smv__path *path, const char *host, int family,
                        const smv__dns_answer *answer);
/* The NAT64 prefix learnt on path, if still valid: 1 and *out, or 0. */
int smv__nat64_cache_get(smv_client *cl, const smv__path *path, smv__nat64_prefix *out);
/* Keeps the prefix of path for ttl seconds (0: not at all). */
void smv__nat64_cache_put(smv_client *cl, const smv__path *path, const smv__nat64_prefix *p,
                          uint32_t ttl);
/* Forgets everything (the client is released). */
void smv__dns_cache_clear(smv_client *cl);

#endif
