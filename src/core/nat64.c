/* NAT64 address synthesis and prefix discovery (see nat64.h). */
#include "core/nat64.h"

#include <string.h>

const smv__nat64_prefix smv__nat64_wkp = {{0x00, 0x64, 0xff, 0x9b}, 96};

/* Byte 8 of the address (bits 64-71, the "u" octet of RFC 4291's interface identifier format) is
 * never part of an embedded IPv4 address: for prefixes shorter than /64 the address is split around
 * it (RFC 6052 section 2.2's figure). */
#define U_OCTET 8

static int length_allowed(unsigned len) {
  return len == 32 || len == 40 || len == 48 || len == 56 || len == 64 || len == 96;
}

/* Where the i-th byte (0-3) of the IPv4 address goes under a prefix of len bits. */
static unsigned v4_byte_at(unsigned len, unsigned i) {
  unsigned b = len / 8 + i;
  return len < 96 && b >= U_OCTET ? b + 1 : b;
}

smv__nat64_rc smv__nat64_prefix_check(const smv__nat64_prefix *p) {
  if (!length_allowed(p->len)) return SMV__NAT64_PREFIX_LENGTH;
  for (unsigned b = p->len / 8; b < 16; b++)
    if (p->addr[b]) return SMV__NAT64_PREFIX_LENGTH;   /* bits set past the length: not that prefix */
  if (p->len == 96 && p->addr[U_OCTET]) return SMV__NAT64_PREFIX_U_OCTET;
  static const uint8_t zero[8] = {0};
  if (memcmp(p->addr, zero, 8) == 0) return SMV__NAT64_PREFIX_SCOPE;          /* ::/64 and inside */
  if (p->addr[0] == 0xfe && (p->addr[1] & 0xc0) == 0x80) return SMV__NAT64_PREFIX_SCOPE; /* fe80::/10 */
  if (p->addr[0] == 0xff) return SMV__NAT64_PREFIX_SCOPE;                       /* ff00::/8 */
  return SMV__NAT64_OK;
}

smv__nat64_rc smv__nat64_prefix_make(smv__nat64_prefix *out, const uint8_t addr[16], unsigned len) {
  memset(out, 0, sizeof(*out));
  if (!length_allowed(len)) return SMV__NAT64_PREFIX_LENGTH;
  memcpy(out->addr, addr, len / 8);   /* every allowed length is a whole number of bytes */
  out->len = (uint8_t)len;
  return smv__nat64_prefix_check(out);
}

int smv__nat64_is_wkp(const smv__nat64_prefix *p) {
  return p->len == 96 && memcmp(p->addr, smv__nat64_wkp.addr, 16) == 0;
}

/* The non-global ranges of IPv4 (IANA's special-purpose registry, RFC 6890 section 2.2.2 and its
 * updates: the entries whose "Globally Reachable" is false), plus multicast, which no TCP connection
 * can have as its peer. */
static const struct {
  uint8_t net[4];
  uint8_t bits;
} non_global[] = {
  {{0, 0, 0, 0}, 8},          /* "this network", RFC 791 section 3.2 */
  {{10, 0, 0, 0}, 8},         /* private use, RFC 1918 */
  {{100, 64, 0, 0}, 10},      /* shared address space (carrier-grade NAT), RFC 6598 */
  {{127, 0, 0, 0}, 8},        /* loopback, RFC 1122 section 3.2.1.3 */
  {{169, 254, 0, 0}, 16},     /* link local, RFC 3927 */
  {{172, 16, 0, 0}, 12},      /* private use, RFC 1918 */
  {{192, 0, 0, 0}, 24},       /* IETF protocol assignments, RFC 6890 section 2.1 (192.0.0.9 and
                                 192.0.0.10 excepted below); holds DS-Lite/CLAT's 192.0.0.0/29
                                 (RFC 7335) and ipv4only.arpa's 192.0.0.170/171 (RFC 7050) */
  {{192, 0, 2, 0}, 24},       /* TEST-NET-1, RFC 5737 */
  {{192, 168, 0, 0}, 16},     /* private use, RFC 1918 */
  {{198, 18, 0, 0}, 15},      /* benchmarking, RFC 2544 */
  {{198, 51, 100, 0}, 24},    /* TEST-NET-2, RFC 5737 */
  {{203, 0, 113, 0}, 24},     /* TEST-NET-3, RFC 5737 */
  {{224, 0, 0, 0}, 4},        /* multicast, RFC 5771 */
  {{240, 0, 0, 0}, 4},        /* reserved, RFC 1112 section 4; holds the limited broadcast
                                 255.255.255.255 (RFC 919 section 7) */
};

int smv__nat64_ipv4_is_global(const uint8_t v4[4]) {
  uint32_t a = (uint32_t)v4[0] << 24 | (uint32_t)v4[1] << 16 | (uint32_t)v4[2] << 8 | v4[3];
  /* Global exceptions inside 192.0.0.0/24: the PCP anycast address (RFC 7723) and the TURN anycast
   * address (RFC 8155). */
  if (a == 0xc0000009u || a == 0xc000000au) return 1;
  for (size_t i = 0; i < sizeof(non_global) / sizeof(non_global[0]); i++) {
    uint32_t n = (uint32_t)non_global[i].net[0] << 24 | (uint32_t)non_global[i].net[1] << 16 |
                 (uint32_t)non_global[i].net[2] << 8 | non_global[i].net[3];
    uint32_t mask = 0xffffffffu << (32 - non_global[i].bits);
    if ((a & mask) == n) return 0;
  }
  return 1;
}

smv__nat64_rc smv__nat64_embed(const smv__nat64_prefix *p, const uint8_t v4[4], uint8_t out[16]) {
  smv__nat64_rc rc = smv__nat64_prefix_check(p);
  if (rc != SMV__NAT64_OK) return rc;
  memcpy(out, p->addr, 16);   /* the prefix, then zeros: u octet and suffix */
  for (unsigned i = 0; i < 4; i++) out[v4_byte_at(p->len, i)] = v4[i];
  return SMV__NAT64_OK;
}

smv__nat64_rc smv__nat64_synthesize(const smv__nat64_prefix *p, const uint8_t v4[4], uint8_t out[16]) {
  smv__nat64_rc rc = smv__nat64_prefix_check(p);
  if (rc != SMV__NAT64_OK) return rc;
  if (smv__nat64_is_wkp(p) && !smv__nat64_ipv4_is_global(v4)) return SMV__NAT64_WKP_NON_GLOBAL;
  return smv__nat64_embed(p, v4, out);
}

smv__nat64_rc smv__nat64_extract(const smv__nat64_prefix *p, const uint8_t v6[16], uint8_t v4[4]) {
  smv__nat64_rc rc = smv__nat64_prefix_check(p);
  if (rc != SMV__NAT64_OK) return rc;
  if (memcmp(v6, p->addr, p->len / 8) != 0 || v6[U_OCTET]) return SMV__NAT64_NOT_EMBEDDED;
  for (unsigned i = 0; i < 4; i++) v4[i] = v6[v4_byte_at(p->len, i)];
  return SMV__NAT64_OK;
}

/* ---- RFC 7050 discovery ---------------------------------------------------------------------- */

/* The order in which positions are tried: longest prefix first, so that a record holding the
 * pattern in two places lists its candidates the same way every time. */
static const uint8_t positions[] = {96, 64, 56, 48, 40, 32};
#define NPOS (sizeof(positions) / sizeof(positions[0]))

/* 170 or 171 when v6 carries 192.0.0.170 / 192.0.0.171 at the position of len (u octet zero),
 * else 0. */
static int wka_at(const uint8_t v6[16], unsigned len) {
  if (v6[U_OCTET]) return 0;
  if (v6[v4_byte_at(len, 0)] != 192 || v6[v4_byte_at(len, 1)] != 0 || v6[v4_byte_at(len, 2)] != 0)
    return 0;
  uint8_t last = v6[v4_byte_at(len, 3)];
  return last == 170 || last == 171 ? last : 0;
}

/* The suffix of v6 under len (the bytes after the embedded address) is all zero. */
static int suffix_zero(const uint8_t v6[16], unsigned len) {
  for (unsigned b = v4_byte_at(len, 3) + 1; b < 16; b++)
    if (v6[b]) return 0;
  return 1;
}

/* Another record (not self) under the same first len bits carries the other well-known address at
 * the same position. */
static int confirmed(const smv__nat64_aaaa *aaaa, size_t n, size_t self, unsigned len, int wka) {
  for (size_t j = 0; j < n; j++) {
    if (j == self || memcmp(aaaa[j].addr, aaaa[self].addr, len / 8) != 0) continue;
    int other = wka_at(aaaa[j].addr, len);
    if (other && other != wka) return 1;
  }
  return 0;
}

/* The one position (prefix length) of record i, or 0 when it has none or cannot be told. */
static unsigned record_position(const smv__nat64_aaaa *aaaa, size_t n, size_t i) {
  unsigned cand[NPOS];
  int wka[NPOS];
  size_t nc = 0;
  for (size_t k = 0; k < NPOS; k++) {
    int w = wka_at(aaaa[i].addr, positions[k]);
    if (w) {
      cand[nc] = positions[k];
      wka[nc++] = w;
    }
  }
  if (nc <= 1) return nc ? cand[0] : 0;
  /* Several places. A synthesiser leaves the suffix zero (RFC 6052 section 2.2), so a place with a
   * non-zero suffix is the prefix's own bits looking like the address; and at most one place can
   * have a zero suffix (the suffix of an earlier place holds the later place's non-zero bytes). */
  for (size_t k = 0; k < nc; k++)
    if (suffix_zero(aaaa[i].addr, cand[k])) return cand[k];
  /* A synthesiser that fills the suffix: then the second well-known address (why RFC 7050 has two)
   * tells, because the real position is where another record under the same prefix carries the
   * other one. */
  unsigned found = 0, nfound = 0;
  for (size_t k = 0; k < nc; k++)
    if (confirmed(aaaa, n, i, cand[k], wka[k])) {
      found = cand[k];
      nfound++;
    }
  return nfound == 1 ? found : 0;
}

smv__nat64_rc smv__nat64_discover(const smv__nat64_aaaa *aaaa, size_t n, smv__nat64_discovery *out) {
  memset(out, 0, sizeof(*out));
  if (n == 0) return SMV__NAT64_NO_DNS64;
  if (n > SMV__NAT64_MAX_RECORDS) n = SMV__NAT64_MAX_RECORDS;
  unsigned pos[SMV__NAT64_MAX_RECORDS];
  uint32_t ttl = SMV__NAT64_TTL_MAX;
  for (size_t i = 0; i < n; i++) {
    unsigned len = pos[i] = record_position(aaaa, n, i);
    smv__nat64_prefix p;
    if (len && smv__nat64_prefix_make(&p, aaaa[i].addr, len) != SMV__NAT64_OK) len = pos[i] = 0;
    if (!len) continue;   /* no well-known address, or under a prefix no NAT64 can have */
    if (aaaa[i].ttl < ttl) ttl = aaaa[i].ttl;
    int seen = 0;   /* an earlier record gave the same prefix (the 170 and 171 records of one NAT64) */
    for (size_t j = 0; j < i && !seen; j++)
      seen = pos[j] == len && memcmp(aaaa[j].addr, aaaa[i].addr, len / 8) == 0;
    if (seen) continue;
    out->found++;
    if (out->count < SMV__NAT64_MAX_PREFIXES) out->prefix[out->count++] = p;
  }
  if (out->count == 0) return SMV__NAT64_DISCOVERY_MALFORMED;
  out->ttl = ttl;
  return SMV__NAT64_OK;
}

/* ---- RFC 8781 PREF64 ------------------------------------------------------------------------- */

smv__nat64_rc smv__nat64_pref64_parse(const uint8_t *opt, size_t len, smv__nat64_pref64 *out) {
  static const uint8_t plc_len[8] = {96, 64, 56, 48, 40, 32, 0, 0};
  memset(out, 0, sizeof(*out));
  if (!opt || len != SMV__NAT64_PREF64_LEN || opt[0] != SMV__NAT64_PREF64_TYPE || opt[1] != 2)
    return SMV__NAT64_PREF64_MALFORMED;
  unsigned word = (unsigned)opt[2] << 8 | opt[3];
  unsigned plen = plc_len[word & 7];
  if (!plen) return SMV__NAT64_PREF64_MALFORMED;
  uint8_t addr[16] = {0};
  memcpy(addr, opt + 4, 12);
  out->lifetime_s = (uint32_t)(word >> 3) * 8;
  smv__nat64_rc rc = smv__nat64_prefix_make(&out->prefix, addr, plen);
  if (rc != SMV__NAT64_OK) memset(out, 0, sizeof(*out));
  return rc;
}

const char *smv__nat64_rc_name(smv__nat64_rc rc) {
  switch (rc) {
    case SMV__NAT64_OK: return "SMV__NAT64_OK";
    case SMV__NAT64_PREFIX_LENGTH: return "SMV__NAT64_PREFIX_LENGTH";
    case SMV__NAT64_PREFIX_U_OCTET: return "SMV__NAT64_PREFIX_U_OCTET";
    case SMV__NAT64_PREFIX_SCOPE: return "SMV__NAT64_PREFIX_SCOPE";
    case SMV__NAT64_WKP_NON_GLOBAL: return "SMV__NAT64_WKP_NON_GLOBAL";
    case SMV__NAT64_NOT_EMBEDDED: return "SMV__NAT64_NOT_EMBEDDED";
    case SMV__NAT64_NO_DNS64: return "SMV__NAT64_NO_DNS64";
    case SMV__NAT64_DISCOVERY_MALFORMED: return "SMV__NAT64_DISCOVERY_MALFORMED";
    case SMV__NAT64_PREF64_MALFORMED: return "SMV__NAT64_PREF64_MALFORMED";
  }
  return "SMV__NAT64_UNKNOWN";
}
