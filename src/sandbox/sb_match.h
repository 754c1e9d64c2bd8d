/* The operator's side of the check: does a connection's address belong to a subscriber? An operator
 * that runs carrier-grade NAT knows, for each subscriber, a block of ports on its public IPv4
 * address; with IPv6 each subscriber has its own prefix; in a loopback lab the device's own address
 * stands for itself. Pure functions over the configuration. */
#ifndef SMV_SANDBOX_SB_MATCH_H
#define SMV_SANDBOX_SB_MATCH_H

#include <stdint.h>

#include "sandbox/sb_config.h"

/* 1 when ip (and port, if port_known) is an address of subscriber s. A port block on the public
 * IPv4 needs the port: without it a shared public address proves nothing (0). */
int smv__sb_match(const smv__sb_config *cfg, const smv__sb_subscriber *s, const smv__sb_addr *ip,
                  uint16_t port, int port_known);

/* Which subscriber of operator op has this address (what a header-enrichment proxy knows from its
 * own address mapping): its index in cfg->subscribers, or -1. */
long smv__sb_lookup_by_addr(const smv__sb_config *cfg, size_t op, const smv__sb_addr *ip,
                            uint16_t port);

/* 1 when the first len bits of a and b agree (both IPv6). */
int smv__sb_prefix_match(const smv__sb_addr *a, const smv__sb_addr *prefix, unsigned len);

/* 1 when a and b are the same address (IPv4-mapped IPv6 compared as IPv4). */
int smv__sb_addr_equal(const smv__sb_addr *a, const smv__sb_addr *b);
/* 1 when a is inside p (IPv4 or IPv6; a mapped IPv6 a is taken as its IPv4). */
int smv__sb_in_prefix(const smv__sb_addr *a, const smv__sb_prefix *p);

/* 1 when ip belongs to operator op's network: its ip_ranges when configured; else, for an ip_port
 * operator, its public_ipv4 or one of its subscribers' addresses and prefixes; else (a
 * header-enrichment operator without ranges, or nothing to derive from) always 1: no check. */
int smv__sb_in_operator_ranges(const smv__sb_config *cfg, size_t op, const smv__sb_addr *ip);

#endif
