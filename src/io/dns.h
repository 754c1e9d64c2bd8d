/* Names resolved on the flow's path: c-ares with the path's servers, every socket bound to the path
 * through the platform (a bind that fails fails the query), driven by libuv. A build with
 * SMV_SYSTEM_RESOLVER resolves with the system's getaddrinfo instead (dns_system.c, same contract).
 *
 * One query per family: AAAA and A are asked separately and may run at the same time, so that Happy
 * Eyeballs (RFC 8305 section 3) can start connecting over IPv6 as soon as its answer is in. */
#ifndef SMV_IO_DNS_H
#define SMV_IO_DNS_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "io/client.h"

#define SMV__DNS_ADDRS_MAX 8

typedef struct smv__dns smv__dns;

typedef struct smv__dns_answer {
  struct sockaddr_in6 addrs[SMV__DNS_ADDRS_MAX];  /* of the family asked, in the answer's order,
                                                     port set; a sockaddr_in6 holds a sockaddr_in */
  size_t count;
  uint32_t ttl;                                   /* the smallest TTL of the records, seconds; 0:
                                                     unknown (do not cache) */
} smv__dns_answer;

/* family is the one asked (AF_INET6, AF_INET); err 0 or an SMV_ERR_DNS_* / _TIMEOUT_DNS / _NOMEM /
 * _PATH_BIND; the answer is valid during the call. */
typedef void (*smv__dns_cb)(void *ud, int family, int err, const smv__dns_answer *answer);

/* A resolver on path: the path's servers (override_csv: --dns, else the platform's for the path)
 * of the families the path reaches (v4, v6), every socket bound to it. SMV_OK, SMV_ERR_NOMEM,
 * SMV_ERR_INVALID_ARG (a bad --dns; any --dns in a system-resolver build), SMV_ERR_DNS_NO_SERVERS
 * (none, or none of a family the path has). */
int smv__dns_new(smv_client *cl, const smv__path *path, const char *override_csv, int v4, int v6,
                 smv__dns **out);
/* Asks for host's addresses of family (AF_INET6: AAAA, AF_INET: A); one query per family at a time.
 * Returns 0 (cb follows, from the loop) or SMV_ERR_INVALID_ARG (that family is busy). */
int smv__dns_resolve(smv__dns *d, const char *host, unsigned port, int family, smv__dns_cb cb,
                     void *ud);
/* Cancels the queries (their callbacks are not called) and releases everything once libuv has
 * closed. */
void smv__dns_free(smv__dns *d);

/* c-ares allocates through smv__alloc_current(); called once before the first channel. */
int smv__dns_global_init(void);

#endif
