/* NAT64 on an IPv6-only carrier path: how an IPv4 address is written inside an IPv6 address
 * (RFC 6052), how the path's NAT64 prefix is learnt from its DNS64 (RFC 7050, updated by RFC 8880)
 * or from a router advertisement (RFC 8781). Sans-I/O and allocation-free: the caller does the DNS
 * query on the path's own servers and hands over what came back; every result lives in the caller's
 * structures.
 *
 * The io side feeds discovery with (address, TTL) pairs so that this file does not depend on c-ares:
 * with ares_getaddrinfo(AF_INET6, ARES_AI_NOSORT) for "ipv4only.arpa", each ares_addrinfo_node of
 * family AF_INET6 gives sin6_addr and ai_ttl; with a raw answer parsed by ares_dns_parse, each AAAA
 * record of the answer section gives its address and TTL. Keep the answer's order (NOSORT): the first
 * prefix found is the one to use (RFC 7050 section 3 lets a node use several; smv uses the first and
 * keeps the others).
 *
 * Each function returns SMV__NAT64_OK or one of the results below; the io layer maps them to the
 * public error codes (docs/network-paths.md lists the mapping). */
#ifndef SMV_CORE_NAT64_H
#define SMV_CORE_NAT64_H

#include <stddef.h>
#include <stdint.h>

typedef enum smv__nat64_rc {
  SMV__NAT64_OK = 0,
  SMV__NAT64_PREFIX_LENGTH,    /* not 32, 40, 48, 56, 64 or 96 (RFC 6052 section 2.2) */
  SMV__NAT64_PREFIX_U_OCTET,   /* a /96 prefix whose bits 64-71 are not zero (RFC 6052 section 2.2) */
  SMV__NAT64_PREFIX_SCOPE,     /* a prefix no NAT64 can have: its first 64 bits zero (IPv4-mapped
                                  ::ffff:0:0/96 and IPv4-compatible ::/96 among them: a socket would
                                  send IPv4), link-local fe80::/10, multicast ff00::/8 */
  SMV__NAT64_WKP_NON_GLOBAL,   /* 64:ff9b::/96 with a non-global IPv4 address (RFC 6052 section 3.1) */
  SMV__NAT64_NOT_EMBEDDED,     /* extraction: the address is not under the prefix, or its u octet
                                  (bits 64-71) is not zero */
  SMV__NAT64_NO_DNS64,         /* discovery: no AAAA record for ipv4only.arpa (NODATA, NXDOMAIN): the
                                  path has no DNS64 */
  SMV__NAT64_DISCOVERY_MALFORMED, /* discovery: AAAA records, but none carries 192.0.0.170 or
                                  192.0.0.171 at a position RFC 6052 allows, or one carries them at
                                  several positions that nothing tells apart */
  SMV__NAT64_PREF64_MALFORMED  /* RFC 8781 option: not type 38, length not 2, or a PLC of 6 or 7 */
} smv__nat64_rc;

/* A NAT64 prefix: the first len bits of addr; the bits past len are zero. */
typedef struct smv__nat64_prefix {
  uint8_t addr[16];
  uint8_t len;
} smv__nat64_prefix;

/* 64:ff9b::/96, the Well-Known Prefix (RFC 6052 section 2.1). */
extern const smv__nat64_prefix smv__nat64_wkp;

/* Checks p: an allowed length, zero bits past it, for /96 a zero u octet, and a unicast scope
 * beyond the link (SMV__NAT64_PREFIX_SCOPE; RFC 6052 names none of these, but an address under them
 * is not what a NAT64 translates: fail closed). The bits past the
 * length are checked, not cleared: a prefix that carries them was built wrong, and its synthesised
 * addresses would not be what the NAT64 translates. */
smv__nat64_rc smv__nat64_prefix_check(const smv__nat64_prefix *p);

/* Makes a prefix from the first len bits of addr (the rest cleared), then checks it. */
smv__nat64_rc smv__nat64_prefix_make(smv__nat64_prefix *out, const uint8_t addr[16], unsigned len);

/* 1 when p is 64:ff9b::/96. */
int smv__nat64_is_wkp(const smv__nat64_prefix *p);

/* 1 when the IPv4 address is global: outside every range of the IANA special-purpose registry
 * (RFC 6890) whose "Globally Reachable" is false, and not multicast or the limited broadcast (the
 * ranges and their RFCs are in nat64.c). RFC 6052 section 3.1 keeps non-global addresses out of the
 * Well-Known Prefix. */
int smv__nat64_ipv4_is_global(const uint8_t v4[4]);

/* RFC 6052 section 2.2 layout alone: v4 written into p at the position of p's length, bits 64-71
 * zero, the suffix zero. Checks p, not the pairing of p and v4 (smv__nat64_synthesize does). */
smv__nat64_rc smv__nat64_embed(const smv__nat64_prefix *p, const uint8_t v4[4], uint8_t out[16]);

/* The address to connect to for v4 through the NAT64 of prefix p: smv__nat64_embed, refused for
 * the Well-Known Prefix with a non-global address (SMV__NAT64_WKP_NON_GLOBAL). A network-specific
 * prefix may carry any IPv4 address (RFC 6052 section 3.1 restricts only the WKP). */
smv__nat64_rc smv__nat64_synthesize(const smv__nat64_prefix *p, const uint8_t v4[4], uint8_t out[16]);

/* The IPv4 address embedded in v6 under p (the reverse of smv__nat64_embed): v6 must start with p's
 * bits and have a zero u octet. The suffix is not checked (RFC 6052 section 2.2: "SHOULD" be zero). */
smv__nat64_rc smv__nat64_extract(const smv__nat64_prefix *p, const uint8_t v6[16], uint8_t v4[4]);

/* ---- RFC 7050 discovery ---------------------------------------------------------------------- */

/* The name to ask (AAAA, on the path's own DNS servers, bound to the path like every query). */
#define SMV__NAT64_DISCOVERY_NAME "ipv4only.arpa"
/* Prefixes kept from one answer; further distinct ones are counted, not kept. */
#define SMV__NAT64_MAX_PREFIXES 4
/* Records of one answer looked at; the rest are ignored. A DNS64 gives two per prefix (one per
 * well-known address), and comparing records with each other costs n squared. */
#define SMV__NAT64_MAX_RECORDS 32
/* A TTL above one day is cut to one day: a prefix learnt once is not trusted for longer than
 * that without asking again (a bound of ours; RFC 7050 gives none). */
#define SMV__NAT64_TTL_MAX 86400u

typedef struct smv__nat64_aaaa {
  uint8_t addr[16];
  uint32_t ttl;                  /* seconds, as the answer gave it */
} smv__nat64_aaaa;

typedef struct smv__nat64_discovery {
  smv__nat64_prefix prefix[SMV__NAT64_MAX_PREFIXES];   /* distinct, in the answer's order */
  size_t count;                  /* prefixes kept */
  size_t found;                  /* distinct prefixes found (> count when some were not kept) */
  uint32_t ttl;                  /* how long the prefixes may be cached: the smallest TTL of the
                                    records they came from, at most SMV__NAT64_TTL_MAX; 0 means use
                                    them for this flow only */
} smv__nat64_discovery;

/* RFC 7050 section 3: looks for the well-known IPv4 addresses 192.0.0.170 and 192.0.0.171 in each of
 * the n AAAA records of the ipv4only.arpa answer, at every position RFC 6052 allows (prefix lengths
 * 96, 64, 56, 48, 40, 32) with a zero u octet. A record that holds one of them at several positions
 * (the prefix itself may contain the pattern) takes the one whose suffix is zero (what synthesisers
 * write); failing that, the one confirmed by another record with the same prefix and the other
 * well-known address at the same position; failing that, the record is ambiguous and adds nothing.
 * Records with no well-known address add nothing (and their TTL does not count); records past the
 * SMV__NAT64_MAX_RECORDS-th are not looked at. Returns OK with at
 * least one prefix; SMV__NAT64_NO_DNS64 when n is 0; SMV__NAT64_DISCOVERY_MALFORMED when records were
 * given but no prefix came out of them (out->count is 0). A /96 with a non-zero u octet is never
 * taken (the position is not allowed). out is always written. */
smv__nat64_rc smv__nat64_discover(const smv__nat64_aaaa *aaaa, size_t n, smv__nat64_discovery *out);

/* ---- RFC 8781 PREF64 ------------------------------------------------------------------------- */

#define SMV__NAT64_PREF64_TYPE 38
#define SMV__NAT64_PREF64_LEN 16     /* bytes of the option, type and length included */

typedef struct smv__nat64_pref64 {
  smv__nat64_prefix prefix;
  uint32_t lifetime_s;           /* scaled lifetime * 8 (at most 65528); 0: stop using the prefix */
} smv__nat64_pref64;

/* Parses one PREF64 option as a router advertisement carries it (Linux hands the raw option over
 * in RTM_NEWNDUSEROPT): type 38, length 2 (units of 8 bytes), the 13-bit scaled lifetime, the 3-bit
 * prefix length code (0: /96, 1: /64, 2: /56, 3: /48, 4: /40, 5: /32), then the prefix's highest 96
 * bits. Bits past the coded length are ignored (cleared). len must be 16. RFC 8781 section 4 says
 * to ignore an option with a bad length or PLC: SMV__NAT64_PREF64_MALFORMED, and the caller ignores
 * it. A /96 whose u octet is set is SMV__NAT64_PREFIX_U_OCTET (RFC 6052 does not allow it). */
smv__nat64_rc smv__nat64_pref64_parse(const uint8_t *opt, size_t len, smv__nat64_pref64 *out);

/* "SMV__NAT64_WKP_NON_GLOBAL"-style name of a result, for messages and tests. */
const char *smv__nat64_rc_name(smv__nat64_rc rc);

#endif
