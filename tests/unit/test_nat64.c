/* NAT64 core (src/core/nat64.c): RFC 6052 section 2.4's example table at every prefix length, both
 * ways; the lengths and u octets RFC 6052 refuses; the Well-Known Prefix with every non-global IPv4
 * range (section 3.1) against network-specific prefixes, which carry anything; RFC 7050 discovery
 * from ipv4only.arpa answers (what unbound's dns64 gives, every position, several NAT64s, the
 * ambiguous and the malformed); RFC 8781 PREF64 options. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/nat64.h"

static void v6(const char *text, uint8_t out[16]) {
  if (inet_pton(AF_INET6, text, out) != 1) fail_msg("bad IPv6 literal in the test: %s", text);
}

static void v4(const char *text, uint8_t out[4]) {
  if (inet_pton(AF_INET, text, out) != 1) fail_msg("bad IPv4 literal in the test: %s", text);
}

static smv__nat64_prefix prefix(const char *text, unsigned len) {
  uint8_t a[16];
  smv__nat64_prefix p;
  v6(text, a);
  smv__nat64_rc rc = smv__nat64_prefix_make(&p, a, len);
  if (rc != SMV__NAT64_OK) fail_msg("prefix %s/%u: %s", text, len, smv__nat64_rc_name(rc));
  return p;
}

static void assert_v6(const uint8_t got[16], const char *want) {
  uint8_t w[16];
  char g[INET6_ADDRSTRLEN];
  v6(want, w);
  if (memcmp(got, w, 16) != 0) {
    inet_ntop(AF_INET6, got, g, sizeof(g));
    fail_msg("got %s, expected %s", g, want);
  }
}

#define assert_rc(got, want)                                                                       \
  do {                                                                                             \
    smv__nat64_rc got_ = (got);                                                                    \
    if (got_ != (want))                                                                            \
      fail_msg("%s: %s, expected %s", #got, smv__nat64_rc_name(got_), smv__nat64_rc_name(want));   \
  } while (0)

/* RFC 6052 section 2.4: 192.0.2.33 under one prefix of each length, and under the WKP. */
static const struct {
  const char *prefix;
  unsigned len;
  const char *embedded;
} rfc6052_table[] = {
  {"2001:db8::", 32, "2001:db8:c000:221::"},
  {"2001:db8:100::", 40, "2001:db8:1c0:2:21::"},
  {"2001:db8:122::", 48, "2001:db8:122:c000:2:2100::"},
  {"2001:db8:122:300::", 56, "2001:db8:122:3c0:0:221::"},
  {"2001:db8:122:344::", 64, "2001:db8:122:344:c0:2:2100:0"},
  {"2001:db8:122:344::", 96, "2001:db8:122:344::192.0.2.33"},
  {"64:ff9b::", 96, "64:ff9b::192.0.2.33"},
};

static void test_rfc6052_table(void **state) {
  (void)state;
  uint8_t a4[4], out[16], back[4];
  v4("192.0.2.33", a4);
  for (size_t i = 0; i < sizeof(rfc6052_table) / sizeof(*rfc6052_table); i++) {
    smv__nat64_prefix p = prefix(rfc6052_table[i].prefix, rfc6052_table[i].len);
    assert_rc(smv__nat64_embed(&p, a4, out), SMV__NAT64_OK);
    assert_v6(out, rfc6052_table[i].embedded);
    assert_rc(smv__nat64_extract(&p, out, back), SMV__NAT64_OK);
    assert_memory_equal(back, a4, 4);
    if (smv__nat64_is_wkp(&p)) {
      /* The table's last row is layout only: 192.0.2.33 is TEST-NET-1, which section 3.1 keeps
       * out of the WKP. */
      memset(out, 0xee, sizeof(out));
      assert_rc(smv__nat64_synthesize(&p, a4, out), SMV__NAT64_WKP_NON_GLOBAL);
    } else {
      assert_rc(smv__nat64_synthesize(&p, a4, out), SMV__NAT64_OK);
      assert_v6(out, rfc6052_table[i].embedded);
    }
  }
}

/* The harness's prefix and server: the address every scenario of docs/network-paths.md connects to. */
static void test_harness_prefix(void **state) {
  (void)state;
  smv__nat64_prefix p = prefix("2001:db8:64::", 96);
  uint8_t a4[4], out[16];
  v4("203.0.113.100", a4);
  assert_rc(smv__nat64_synthesize(&p, a4, out), SMV__NAT64_OK);
  assert_v6(out, "2001:db8:64::cb00:7164");
  v4("192.0.0.170", a4);
  assert_rc(smv__nat64_synthesize(&p, a4, out), SMV__NAT64_OK);
  assert_v6(out, "2001:db8:64::c000:aa");
}

static void test_lengths_refused(void **state) {
  (void)state;
  static const unsigned bad[] = {0, 8, 16, 24, 31, 33, 39, 41, 63, 65, 72, 80, 88, 95, 97, 104, 112, 120, 128, 255};
  uint8_t a[16], a4[4] = {198, 51, 100, 7}, out[16];
  v6("2001:db8:122:344::", a);
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    smv__nat64_prefix p;
    assert_rc(smv__nat64_prefix_make(&p, a, bad[i]), SMV__NAT64_PREFIX_LENGTH);
    memcpy(p.addr, a, 16);
    p.len = (uint8_t)bad[i];
    assert_rc(smv__nat64_prefix_check(&p), SMV__NAT64_PREFIX_LENGTH);
    assert_rc(smv__nat64_embed(&p, a4, out), SMV__NAT64_PREFIX_LENGTH);
    assert_rc(smv__nat64_synthesize(&p, a4, out), SMV__NAT64_PREFIX_LENGTH);
    assert_rc(smv__nat64_extract(&p, a, a4), SMV__NAT64_PREFIX_LENGTH);
  }
}

static void test_prefix_shape(void **state) {
  (void)state;
  smv__nat64_prefix p;
  uint8_t a[16];
  /* make clears what lies past the length */
  v6("2001:db8:122:344:ff::1", a);
  assert_rc(smv__nat64_prefix_make(&p, a, 64), SMV__NAT64_OK);
  assert_v6(p.addr, "2001:db8:122:344::");
  /* check refuses a prefix that carries bits past its length */
  memcpy(p.addr, a, 16);
  p.len = 64;
  assert_rc(smv__nat64_prefix_check(&p), SMV__NAT64_PREFIX_LENGTH);
  /* a /96 whose bits 64-71 are set: RFC 6052 section 2.2 says they MUST be zero */
  v6("2001:db8:122:344:100::", a);
  assert_rc(smv__nat64_prefix_make(&p, a, 96), SMV__NAT64_PREFIX_U_OCTET);
  /* the same bits are fine under a /64: they are not part of it, and make clears them */
  assert_rc(smv__nat64_prefix_make(&p, a, 64), SMV__NAT64_OK);
  assert_true(smv__nat64_is_wkp(&smv__nat64_wkp));
  assert_false(smv__nat64_is_wkp(&p));
  /* the local-use prefix of RFC 8215 is not the WKP, and carries anything */
  p = prefix("64:ff9b:1::", 96);
  assert_false(smv__nat64_is_wkp(&p));
  uint8_t a4[4] = {10, 1, 2, 3}, out[16];
  assert_rc(smv__nat64_synthesize(&p, a4, out), SMV__NAT64_OK);
  assert_v6(out, "64:ff9b:1::a01:203");
  p = prefix("64:ff9b::", 64);
  assert_false(smv__nat64_is_wkp(&p));
  /* prefixes no NAT64 can have; a ULA one is fine */
  static const struct { const char *a; unsigned len; } scope[] = {
    {"::ffff:0:0", 96}, {"::", 96}, {"::", 32}, {"::", 64}, {"fe80::", 64}, {"febf:1::", 96},
    {"ff02::", 96}, {"ff0e:1::", 32},
  };
  for (size_t i = 0; i < sizeof(scope) / sizeof(*scope); i++) {
    v6(scope[i].a, a);
    if (smv__nat64_prefix_make(&p, a, scope[i].len) != SMV__NAT64_PREFIX_SCOPE)
      fail_msg("%s/%u taken", scope[i].a, scope[i].len);
    a4[0] = 8;
    assert_rc(smv__nat64_synthesize(&p, a4, out), SMV__NAT64_PREFIX_SCOPE);
  }
  p = prefix("fd00:64::", 96);
  p = prefix("fec0::", 96);   /* site-local, deprecated (RFC 3879), not link-local */
  p = prefix("0:0:0:1::", 64);
}

/* Each non-global range: its first and last address refused under the WKP, taken under a
 * network-specific prefix; the addresses just outside it (when global) taken under both. */
static const struct {
  const char *first, *last, *before, *after;   /* before/after: NULL when not global */
} ranges[] = {
  {"0.0.0.0", "0.255.255.255", NULL, "1.0.0.0"},
  {"10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0"},
  {"100.64.0.0", "100.127.255.255", "100.63.255.255", "100.128.0.0"},
  {"127.0.0.0", "127.255.255.255", "126.255.255.255", "128.0.0.0"},
  {"169.254.0.0", "169.254.255.255", "169.253.255.255", "169.255.0.0"},
  {"172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0"},
  {"192.0.0.0", "192.0.0.255", "191.255.255.255", "192.0.1.0"},
  {"192.0.2.0", "192.0.2.255", "192.0.1.255", "192.0.3.0"},
  {"192.168.0.0", "192.168.255.255", "192.167.255.255", "192.169.0.0"},
  {"198.18.0.0", "198.19.255.255", "198.17.255.255", "198.20.0.0"},
  {"198.51.100.0", "198.51.100.255", "198.51.99.255", "198.51.101.0"},
  {"203.0.113.0", "203.0.113.255", "203.0.112.255", "203.0.114.0"},
  {"224.0.0.0", "239.255.255.255", "223.255.255.255", NULL},
  {"240.0.0.0", "255.255.255.255", NULL, NULL},
};

static void wkp_case(const char *addr, int global) {
  uint8_t a4[4], out[16];
  smv__nat64_prefix nsp = prefix("2001:db8:64::", 96);
  v4(addr, a4);
  if (smv__nat64_ipv4_is_global(a4) != global) fail_msg("%s: global should be %d", addr, global);
  assert_rc(smv__nat64_synthesize(&smv__nat64_wkp, a4, out),
            global ? SMV__NAT64_OK : SMV__NAT64_WKP_NON_GLOBAL);
  assert_rc(smv__nat64_synthesize(&nsp, a4, out), SMV__NAT64_OK);
}

static void test_wkp_non_global(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof(ranges) / sizeof(*ranges); i++) {
    wkp_case(ranges[i].first, 0);
    wkp_case(ranges[i].last, 0);
    if (ranges[i].before) wkp_case(ranges[i].before, 1);
    if (ranges[i].after) wkp_case(ranges[i].after, 1);
  }
  /* the global exceptions inside 192.0.0.0/24 (RFC 7723, RFC 8155), and their neighbours */
  wkp_case("192.0.0.9", 1);
  wkp_case("192.0.0.10", 1);
  wkp_case("192.0.0.8", 0);
  wkp_case("192.0.0.11", 0);
  wkp_case("192.0.0.170", 0);
  /* a WKP synthesis that works writes the address */
  uint8_t a4[4] = {198, 41, 0, 4}, out[16];
  assert_rc(smv__nat64_synthesize(&smv__nat64_wkp, a4, out), SMV__NAT64_OK);
  assert_v6(out, "64:ff9b::c629:4");
}

static void test_extract_refusals(void **state) {
  (void)state;
  smv__nat64_prefix p = prefix("2001:db8:64::", 96);
  uint8_t a[16], a4[4];
  v6("2001:db8:65::cb00:7164", a);   /* another prefix */
  assert_rc(smv__nat64_extract(&p, a, a4), SMV__NAT64_NOT_EMBEDDED);
  p = prefix("2001:db8:122::", 48);
  v6("2001:db8:122:c000:102:2100::", a);   /* u octet 01 */
  assert_rc(smv__nat64_extract(&p, a, a4), SMV__NAT64_NOT_EMBEDDED);
  v6("2001:db8:122:c000:2:2100:0:1", a);   /* a non-zero suffix is tolerated (a SHOULD) */
  assert_rc(smv__nat64_extract(&p, a, a4), SMV__NAT64_OK);
  uint8_t want[4] = {192, 0, 2, 33};
  assert_memory_equal(a4, want, 4);
}

/* ---- discovery --------------------------------------------------------------------------------- */

static size_t records(smv__nat64_aaaa *r, const char *const *addrs, uint32_t ttl) {
  size_t n = 0;
  for (; addrs[n]; n++) {
    v6(addrs[n], r[n].addr);
    r[n].ttl = ttl;
  }
  return n;
}

static void assert_prefix(const smv__nat64_prefix *p, const char *addr, unsigned len) {
  assert_int_equal(p->len, len);
  assert_v6(p->addr, addr);
  assert_rc(smv__nat64_prefix_check(p), SMV__NAT64_OK);
}

/* What unbound's dns64 module answers with dns64-prefix 2001:db8:64::/96 (the harness): the two
 * well-known addresses, 171 first, TTL of the A records. */
static void test_discover_unbound_answer(void **state) {
  (void)state;
  static const char *const ans[] = {"2001:db8:64::c000:ab", "2001:db8:64::c000:aa", NULL};
  smv__nat64_aaaa r[4];
  smv__nat64_discovery d;
  size_t n = records(r, ans, 86400);
  assert_rc(smv__nat64_discover(r, n, &d), SMV__NAT64_OK);
  assert_int_equal(d.count, 1);
  assert_int_equal(d.found, 1);
  assert_prefix(&d.prefix[0], "2001:db8:64::", 96);
  assert_int_equal(d.ttl, 86400);
  /* one record alone is enough */
  assert_rc(smv__nat64_discover(r + 1, 1, &d), SMV__NAT64_OK);
  assert_prefix(&d.prefix[0], "2001:db8:64::", 96);
}

/* Every allowed position, with the table's prefixes, each with both well-known addresses. */
static void test_discover_every_length(void **state) {
  (void)state;
  uint8_t wka[2][4] = {{192, 0, 0, 170}, {192, 0, 0, 171}};
  for (size_t i = 0; i < sizeof(rfc6052_table) / sizeof(*rfc6052_table); i++) {
    smv__nat64_prefix p = prefix(rfc6052_table[i].prefix, rfc6052_table[i].len);
    smv__nat64_aaaa r[2];
    for (int k = 0; k < 2; k++) {
      assert_rc(smv__nat64_embed(&p, wka[k], r[k].addr), SMV__NAT64_OK);
      r[k].ttl = 600 + (uint32_t)k;
    }
    smv__nat64_discovery d;
    assert_rc(smv__nat64_discover(r, 2, &d), SMV__NAT64_OK);
    assert_int_equal(d.count, 1);
    assert_prefix(&d.prefix[0], rfc6052_table[i].prefix, rfc6052_table[i].len);
    assert_int_equal(d.ttl, 600);   /* the smaller TTL */
    /* and each record on its own */
    for (int k = 0; k < 2; k++) {
      assert_rc(smv__nat64_discover(&r[k], 1, &d), SMV__NAT64_OK);
      assert_prefix(&d.prefix[0], rfc6052_table[i].prefix, rfc6052_table[i].len);
    }
  }
}

static void test_discover_none_and_malformed(void **state) {
  (void)state;
  smv__nat64_aaaa r[8];
  smv__nat64_discovery d;
  memset(r, 0, sizeof(r));
  /* NODATA / NXDOMAIN: no DNS64 on the path */
  assert_rc(smv__nat64_discover(r, 0, &d), SMV__NAT64_NO_DNS64);
  assert_int_equal(d.count, 0);
  static const char *const bad[][3] = {
    {"2001:db8:64::1", NULL},                              /* a DNS64 that answers its own address */
    {"2001:db8:64::cb00:7164", NULL},                      /* another IPv4 address synthesised */
    {"2001:db8:64::c000:ac", "2001:db8:64::c000:a9", NULL},/* 192.0.0.172 and .169 */
    {"2001:db8:64:0:100::c000:aa", NULL},                  /* /96 position, u octet set */
    {"2001:db8:64:0:ff00:c000:aa::", NULL},                /* /64 position, u octet set */
    {"::ffff:192.0.0.170", NULL},                          /* IPv4-mapped: a /96 position, but no
                                                              NAT64 prefix (a socket sends IPv4) */
    {"::192.0.0.170", NULL},                               /* IPv4-compatible */
    {"fe80::c000:aa", NULL},                               /* link-local */
    {"ff0e::c000:aa", NULL},                               /* multicast */
    {"2001:db8:64::aa00:c0", NULL},                        /* the bytes reversed */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
    size_t n = records(r, bad[i], 60);
    memset(&d, 0x5a, sizeof(d));
    if (smv__nat64_discover(r, n, &d) != SMV__NAT64_DISCOVERY_MALFORMED)
      fail_msg("answer %zu (%s) not refused", i, bad[i][0]);
    assert_int_equal(d.count, 0);
    assert_int_equal(d.found, 0);
    assert_int_equal(d.ttl, 0);
  }
  /* a useless record beside a good one adds nothing, and its TTL does not count */
  static const char *const mixed[] = {"2001:db8:64::1", "2001:db8:64::c000:aa", NULL};
  size_t n = records(r, mixed, 300);
  r[0].ttl = 5;
  assert_rc(smv__nat64_discover(r, n, &d), SMV__NAT64_OK);
  assert_int_equal(d.count, 1);
  assert_int_equal(d.ttl, 300);
}

static void test_discover_several(void **state) {
  (void)state;
  /* two NAT64s (RFC 7050 section 3 allows several); kept in the answer's order, smallest TTL */
  static const char *const two[] = {"2001:db8:64::c000:aa", "2001:db8:1:ffff::c000:aa",
                                    "2001:db8:64::c000:ab", "2001:db8:1:ffff::c000:ab", NULL};
  smv__nat64_aaaa r[SMV__NAT64_MAX_RECORDS + 8];
  smv__nat64_discovery d;
  size_t n = records(r, two, 3600);
  r[3].ttl = 120;
  assert_rc(smv__nat64_discover(r, n, &d), SMV__NAT64_OK);
  assert_int_equal(d.count, 2);
  assert_int_equal(d.found, 2);
  assert_prefix(&d.prefix[0], "2001:db8:64::", 96);
  assert_prefix(&d.prefix[1], "2001:db8:1:ffff::", 96);
  assert_int_equal(d.ttl, 120);
  /* more distinct prefixes than kept: counted once each */
  n = 0;
  for (unsigned k = 0; k < 6; k++) {
    for (unsigned w = 170; w <= 171; w++) {
      memset(r[n].addr, 0, 16);
      r[n].addr[0] = 0x20, r[n].addr[1] = 0x01, r[n].addr[2] = 0x0d, r[n].addr[3] = 0xb8;
      r[n].addr[5] = (uint8_t)(0x10 + k);
      r[n].addr[12] = 192, r[n].addr[15] = (uint8_t)w;
      r[n++].ttl = 100 + k;
    }
  }
  assert_rc(smv__nat64_discover(r, n, &d), SMV__NAT64_OK);
  assert_int_equal(d.count, SMV__NAT64_MAX_PREFIXES);
  assert_int_equal(d.found, 6);
  assert_int_equal(d.ttl, 100);
  /* the same prefix at two lengths is two prefixes */
  static const char *const lens[] = {"2001:db8:122:344::c000:aa", "2001:db8:122:344:c0:0:aa00:0", NULL};
  n = records(r, lens, 60);
  assert_rc(smv__nat64_discover(r, n, &d), SMV__NAT64_OK);
  assert_int_equal(d.count, 2);
  assert_prefix(&d.prefix[0], "2001:db8:122:344::", 96);
  assert_prefix(&d.prefix[1], "2001:db8:122:344::", 64);
  /* records past SMV__NAT64_MAX_RECORDS are not looked at */
  for (n = 0; n < SMV__NAT64_MAX_RECORDS; n++) {
    v6("2001:db8:64::1", r[n].addr);
    r[n].ttl = 60;
  }
  v6("2001:db8:64::c000:aa", r[n].addr);
  r[n++].ttl = 60;
  assert_rc(smv__nat64_discover(r, n, &d), SMV__NAT64_DISCOVERY_MALFORMED);
}

static void test_discover_ttl(void **state) {
  (void)state;
  smv__nat64_aaaa r[1];
  smv__nat64_discovery d;
  v6("2001:db8:64::c000:aa", r[0].addr);
  r[0].ttl = 0;
  assert_rc(smv__nat64_discover(r, 1, &d), SMV__NAT64_OK);
  assert_int_equal(d.ttl, 0);   /* this flow only */
  r[0].ttl = SMV__NAT64_TTL_MAX + 1;
  assert_rc(smv__nat64_discover(r, 1, &d), SMV__NAT64_OK);
  assert_int_equal(d.ttl, SMV__NAT64_TTL_MAX);
  r[0].ttl = UINT32_MAX;
  assert_rc(smv__nat64_discover(r, 1, &d), SMV__NAT64_OK);
  assert_int_equal(d.ttl, SMV__NAT64_TTL_MAX);
}

/* A prefix whose own bits look like a well-known address. */
static void test_discover_ambiguous(void **state) {
  (void)state;
  smv__nat64_aaaa r[2];
  smv__nat64_discovery d;
  /* 2001:db8:c000:aa::/96: 192.0.0.170 also appears at the /32 position, whose suffix is not zero */
  static const char *const p96[] = {"2001:db8:c000:aa::c000:aa", NULL};
  size_t n = records(r, p96, 60);
  assert_rc(smv__nat64_discover(r, n, &d), SMV__NAT64_OK);
  assert_int_equal(d.count, 1);
  assert_prefix(&d.prefix[0], "2001:db8:c000:aa::", 96);
  /* A /32 NAT64 that fills the suffix: 192.0.0.170 at /32 and /64, neither suffix zero. The 171
   * record under the same /32 carries 171 at /32; under the /64 candidate (2001:db8:c000:aa::/64)
   * nothing carries 171. So /32. */
  static const char *const filled[] = {"2001:db8:c000:aa:c0:0:aa00:1", "2001:db8:c000:ab:c0:0:ab00:1", NULL};
  n = records(r, filled, 60);
  assert_rc(smv__nat64_discover(r, n, &d), SMV__NAT64_OK);
  assert_int_equal(d.count, 1);
  assert_prefix(&d.prefix[0], "2001:db8::", 32);
  /* the 170 record alone: nothing tells /32 from /64 */
  assert_rc(smv__nat64_discover(r, 1, &d), SMV__NAT64_DISCOVERY_MALFORMED);
}

/* ---- PREF64 ------------------------------------------------------------------------------------ */

static void pref64(uint8_t opt[16], unsigned scaled, unsigned plc, const char *prefix_text) {
  uint8_t a[16];
  v6(prefix_text, a);
  opt[0] = 38;
  opt[1] = 2;
  opt[2] = (uint8_t)((scaled << 3 | plc) >> 8);
  opt[3] = (uint8_t)(scaled << 3 | plc);
  memcpy(opt + 4, a, 12);
}

static void test_pref64(void **state) {
  (void)state;
  static const unsigned plc_len[] = {96, 64, 56, 48, 40, 32};
  uint8_t opt[16];
  smv__nat64_pref64 p;
  for (unsigned plc = 0; plc < 6; plc++) {
    pref64(opt, 225, plc, "2001:db8:122:344::");
    assert_rc(smv__nat64_pref64_parse(opt, sizeof(opt), &p), SMV__NAT64_OK);
    assert_int_equal(p.prefix.len, plc_len[plc]);
    assert_int_equal(p.lifetime_s, 1800);
    uint8_t want[16] = {0}, a[16];
    v6("2001:db8:122:344::", a);
    memcpy(want, a, plc_len[plc] / 8);
    assert_memory_equal(p.prefix.addr, want, 16);
  }
  /* bits past the coded length are ignored */
  pref64(opt, 1, 5, "2001:db8:ffff:ffff:ffff:ffff::");
  assert_rc(smv__nat64_pref64_parse(opt, sizeof(opt), &p), SMV__NAT64_OK);
  assert_prefix(&p.prefix, "2001:db8::", 32);
  assert_int_equal(p.lifetime_s, 8);
  /* the longest lifetime, and zero (stop using it) */
  pref64(opt, 8191, 0, "64:ff9b::");
  assert_rc(smv__nat64_pref64_parse(opt, sizeof(opt), &p), SMV__NAT64_OK);
  assert_int_equal(p.lifetime_s, 65528);
  assert_true(smv__nat64_is_wkp(&p.prefix));
  pref64(opt, 0, 0, "2001:db8:64::");
  assert_rc(smv__nat64_pref64_parse(opt, sizeof(opt), &p), SMV__NAT64_OK);
  assert_int_equal(p.lifetime_s, 0);
  /* refusals: PLC 6 and 7, the length field, the type, the buffer's size */
  for (unsigned plc = 6; plc < 8; plc++) {
    pref64(opt, 225, plc, "2001:db8:64::");
    assert_rc(smv__nat64_pref64_parse(opt, sizeof(opt), &p), SMV__NAT64_PREF64_MALFORMED);
    assert_int_equal(p.prefix.len, 0);
  }
  pref64(opt, 225, 0, "2001:db8:64::");
  opt[1] = 3;
  assert_rc(smv__nat64_pref64_parse(opt, sizeof(opt), &p), SMV__NAT64_PREF64_MALFORMED);
  opt[1] = 2;
  opt[0] = 25;   /* RDNSS */
  assert_rc(smv__nat64_pref64_parse(opt, sizeof(opt), &p), SMV__NAT64_PREF64_MALFORMED);
  opt[0] = 38;
  assert_rc(smv__nat64_pref64_parse(opt, 15, &p), SMV__NAT64_PREF64_MALFORMED);
  assert_rc(smv__nat64_pref64_parse(opt, 24, &p), SMV__NAT64_PREF64_MALFORMED);
  assert_rc(smv__nat64_pref64_parse(NULL, 16, &p), SMV__NAT64_PREF64_MALFORMED);
  /* a /96 with bits 64-71 set */
  pref64(opt, 225, 0, "2001:db8:64:0:100::");
  assert_rc(smv__nat64_pref64_parse(opt, sizeof(opt), &p), SMV__NAT64_PREFIX_U_OCTET);
  assert_int_equal(p.prefix.len, 0);
}

static void test_rc_names(void **state) {
  (void)state;
  for (int rc = SMV__NAT64_OK; rc <= SMV__NAT64_PREF64_MALFORMED; rc++)
    assert_null(strstr(smv__nat64_rc_name((smv__nat64_rc)rc), "UNKNOWN"));
  assert_string_equal(smv__nat64_rc_name((smv__nat64_rc)99), "SMV__NAT64_UNKNOWN");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rfc6052_table),
    cmocka_unit_test(test_harness_prefix),
    cmocka_unit_test(test_lengths_refused),
    cmocka_unit_test(test_prefix_shape),
    cmocka_unit_test(test_wkp_non_global),
    cmocka_unit_test(test_extract_refusals),
    cmocka_unit_test(test_discover_unbound_answer),
    cmocka_unit_test(test_discover_every_length),
    cmocka_unit_test(test_discover_none_and_malformed),
    cmocka_unit_test(test_discover_several),
    cmocka_unit_test(test_discover_ttl),
    cmocka_unit_test(test_discover_ambiguous),
    cmocka_unit_test(test_pref64),
    cmocka_unit_test(test_rc_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
