/* Where a hop connects: its host's addresses on the carrier path, fed to the race (race.h) as they
 * come. An IP literal is its own address; a name is looked up in the client's cache, else asked on
 * the path's DNS, AAAA and A separately (RFC 8305 3), only for the families the path reaches
 * (core/path.h, smv__path_plan). IPv4 goes the path's way: its own address, its CLAT (464XLAT), or
 * its NAT64, whose prefix is learnt from the path's DNS64 (RFC 7050: ipv4only.arpa AAAA) once and
 * cached for the answer's TTL, each address synthesised by RFC 6052. */
#ifndef SMV_IO_RESOLVE_H
#define SMV_IO_RESOLVE_H

#include "core/nat64.h"
#include "core/url.h"
#include "io/dns.h"
#include "io/race.h"

typedef struct smv__resolve {
  smv_client *client;
  const smv__path *path;         /* the carrier path: sockets and queries are bound to it */
  const smv__path *clat;         /* its CLAT, or NULL */
  smv__family_plan plan;
  const char *dns_override;      /* --dns, or NULL */
  smv__dns *dns;                 /* the path's resolver, made on first need */
  smv__race *race;               /* where the addresses go */
  const char *host;              /* the hop's host (a name, or a literal without brackets): the
                                    caller's, kept until the hop's addresses are in */
  unsigned port;
  int v4_literal;                /* the hop's host is an IPv4 literal (waits for the NAT64 prefix) */
  uint8_t lit4[4];
  int ask_a;                     /* the A query still to send once the prefix is known */
  int nat64;                     /* an address of this hop was synthesised under the NAT64 prefix */
  smv__nat64_prefix prefix;
  unsigned queries, lookups;     /* DNS queries sent, names looked up (the flow's stats) */
  /* What the resolver says for the trace (may be NULL): "svc.example AAAA -> 2001:db8::1". */
  void (*trace)(void *ud, const char *detail);
  void *ud;
} smv__resolve;

void smv__resolve_init(smv__resolve *r, smv_client *cl, const smv__path *path, const smv__path *clat,
                       int family, const char *dns_override, smv__race *race,
                       void (*trace)(void *, const char *), void *ud);
/* Starts finding the addresses of u's host (host: the same, as text, kept by the caller) for the race
 * (begun by the caller: its pending answers are set here). Returns 0, or an error the hop ends with at once: SMV_ERR_ADDRESS_FAMILY (a literal
 * of a family the flow may not use or the path cannot reach), a DNS set-up error. Errors found later
 * (a DNS failure, no NAT64 prefix) end the race through smv__race_answer_done. */
int smv__resolve_hop(smv__resolve *r, const smv__url *u, const char *host);
/* Releases the resolver (the flow ends). */
void smv__resolve_free(smv__resolve *r);

#endif
