/* libFuzzer target for the NAT64 core (src/core/nat64.c). The input is read three ways:
 *   - as an ipv4only.arpa answer: records of 20 bytes (16 of address, 4 of TTL, big-endian);
 *   - as a prefix (16 bytes, a length byte) and an IPv4 address (4 bytes), from its first 21 bytes;
 *   - as a PREF64 option, from its first 16 bytes.
 * Besides "no crash": every prefix handed back passes smv__nat64_prefix_check and has a record that
 * carries 192.0.0.170 or .171 under it; the counts and the TTL stay in their bounds; the result is OK
 * exactly when a prefix came out; embedding then extracting gives the IPv4 address back; synthesis
 * differs from embedding only by the Well-Known Prefix rule; a parsed PREF64 lifetime is a multiple
 * of 8 up to 65528. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/nat64.h"

#define MAX_RECORDS (SMV__NAT64_MAX_RECORDS + 8)

static void check_discovery(const uint8_t *data, size_t size) {
  smv__nat64_aaaa r[MAX_RECORDS];
  size_t n = 0;
  for (; n < MAX_RECORDS && (n + 1) * 20 <= size; n++) {
    memcpy(r[n].addr, data + n * 20, 16);
    const uint8_t *t = data + n * 20 + 16;
    r[n].ttl = (uint32_t)t[0] << 24 | (uint32_t)t[1] << 16 | (uint32_t)t[2] << 8 | t[3];
  }
  smv__nat64_discovery d;
  smv__nat64_rc rc = smv__nat64_discover(r, n, &d);
  if (n == 0 && rc != SMV__NAT64_NO_DNS64) abort();
  if (n > 0 && rc != SMV__NAT64_OK && rc != SMV__NAT64_DISCOVERY_MALFORMED) abort();
  if ((rc == SMV__NAT64_OK) != (d.count > 0)) abort();
  if (d.count > SMV__NAT64_MAX_PREFIXES || d.found < d.count || d.ttl > SMV__NAT64_TTL_MAX) abort();
  if (rc != SMV__NAT64_OK && (d.found || d.ttl)) abort();
  size_t looked = n < SMV__NAT64_MAX_RECORDS ? n : SMV__NAT64_MAX_RECORDS;
  if (d.found > looked) abort();
  for (size_t k = 0; k < d.count; k++) {
    if (smv__nat64_prefix_check(&d.prefix[k]) != SMV__NAT64_OK) abort();
    for (size_t j = 0; j < k; j++)
      if (d.prefix[j].len == d.prefix[k].len && !memcmp(d.prefix[j].addr, d.prefix[k].addr, 16)) abort();
    int carried = 0;
    uint32_t max_ttl = 0;
    for (size_t i = 0; i < looked; i++) {
      uint8_t v4[4];
      if (smv__nat64_extract(&d.prefix[k], r[i].addr, v4) == SMV__NAT64_OK && v4[0] == 192 &&
          v4[1] == 0 && v4[2] == 0 && (v4[3] == 170 || v4[3] == 171)) {
        carried = 1;
        if (r[i].ttl > max_ttl) max_ttl = r[i].ttl;
      }
    }
    if (!carried) abort();
    /* the answer's TTL is at most that of the records the prefix came from */
    if (d.ttl > max_ttl) abort();
  }
}

static void check_synthesis(const uint8_t *data, size_t size) {
  if (size < 21) return;
  smv__nat64_prefix p;
  memcpy(p.addr, data, 16);
  p.len = data[16];
  const uint8_t *v4 = data + 17;
  uint8_t a[16], b[16], back[4];
  smv__nat64_rc ce = smv__nat64_embed(&p, v4, a);
  smv__nat64_rc cs = smv__nat64_synthesize(&p, v4, b);
  if (ce != smv__nat64_prefix_check(&p)) abort();
  if (ce == SMV__NAT64_OK) {
    if (smv__nat64_extract(&p, a, back) != SMV__NAT64_OK || memcmp(back, v4, 4) != 0) abort();
    if (a[8] != 0) abort();   /* the u octet */
    if (cs == SMV__NAT64_OK) {
      if (memcmp(a, b, 16) != 0) abort();
    } else if (cs != SMV__NAT64_WKP_NON_GLOBAL || !smv__nat64_is_wkp(&p) || smv__nat64_ipv4_is_global(v4)) {
      abort();
    }
  } else if (cs != ce) {
    abort();
  }
  /* make from any address and length either refuses or gives a prefix that checks */
  smv__nat64_prefix q;
  if (smv__nat64_prefix_make(&q, data, data[16]) == SMV__NAT64_OK && smv__nat64_prefix_check(&q) != SMV__NAT64_OK)
    abort();
}

static void check_pref64(const uint8_t *data, size_t size) {
  smv__nat64_pref64 o;
  smv__nat64_rc rc = smv__nat64_pref64_parse(data, size < 16 ? size : 16, &o);
  if (rc == SMV__NAT64_OK) {
    if (smv__nat64_prefix_check(&o.prefix) != SMV__NAT64_OK) abort();
    if (o.lifetime_s % 8 || o.lifetime_s > 65528) abort();
  } else if (o.prefix.len || o.lifetime_s) {
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check_discovery(data, size);
  check_synthesis(data, size);
  check_pref64(data, size);
  return 0;
}
