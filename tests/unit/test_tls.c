/* The TLS engine, client against server in memory: ciphertext is pumped between two engines, so every
 * handshake outcome (full, resumed, each certificate refusal, version mismatch, record corruption) is
 * checked without sockets. The certificates are made by certgen for each case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "helpers/failing_alloc.h"
#include "core/alloc.h"
#include "io/tls.h"
#include "server/certgen.h"
#include "smv.h"

static smv__alloc g_a;           /* certificates, server confs */
static smv__certgen_cert *g_ca;  /* the trusted CA */
static char g_dir[64];
static char g_ca_file[128];

/* ---- Fixtures ------------------------------------------------------------------------------------ */
static int setup_all(void **state) {
  (void)state;
  smv__alloc_init(&g_a, NULL);
  strcpy(g_dir, "/tmp/smv-test-tls-XXXXXX");
  if (!mkdtemp(g_dir)) return -1;
  snprintf(g_ca_file, sizeof(g_ca_file), "%s/ca.pem", g_dir);
  if (smv__certgen_ca(&g_a, "smv test root", &g_ca) != 0) return -1;
  return smv__certgen_write_file(g_ca_file, smv__certgen_cert_pem(g_ca));
}

static int teardown_all(void **state) {
  (void)state;
  smv__certgen_free(g_ca);
  remove(g_ca_file);
  rmdir(g_dir);
  return 0;
}

static const char *const k_dns[] = {"localhost", "api.sandbox.test"};
static const char *const k_ips[] = {"127.0.0.1", "::1"};

static smv__certgen_cert *leaf_with(const smv__certgen_cert *issuer, int64_t nb, int64_t na,
                                    int sha1) {
  smv__certgen_opts o = {0};
  o.cn = "localhost";
  o.dns = k_dns;
  o.dns_count = 2;
  o.ips = k_ips;
  o.ip_count = 2;
  o.not_before = nb;
  o.not_after = na;
  o.sha1 = sha1;
  smv__certgen_cert *c = NULL;
  assert_int_equal(smv__certgen_issue(&g_a, issuer, &o, &c), 0);
  return c;
}

static smv__tls_conf *server_conf(const char *cert_pem, const char *key_pem) {
  smv__tls_conf *s = NULL;
  assert_int_equal(smv__tls_conf_server_new(&g_a, cert_pem, key_pem, &s), 0);
  return s;
}

static smv__tls_conf *client_conf_opts(smv__alloc *a, smv__tls_client_opts o) {
  o.cacert_file = g_ca_file;
  smv__tls_conf *c = NULL;
  assert_int_equal(smv__tls_conf_client_new(a, &o, &c), 0);
  return c;
}

static smv__tls_conf *client_conf(smv__alloc *a) { return client_conf_opts(a, (smv__tls_client_opts){0}); }

/* ---- The in-memory wire -------------------------------------------------------------------------- */
typedef struct wire {
  size_t chunk;         /* bytes per feed (0: as many as the engine takes) */
  unsigned writes[2];   /* non-empty transfers client->server, server->client */
  long corrupt_s2c;     /* >= 0: flip this byte of the next server->client transfer */
  uint8_t first[2][2048]; /* the start of each direction's first transfer (the hellos) */
  size_t first_len[2];
} wire;

/* Whether the hello at the start of a first transfer (one record: ClientHello, or ServerHello when
 * server) carries extension type. Fails the test on a hello it cannot walk. */
static int hello_has_ext(const wire *w, int server, unsigned type) {
  const uint8_t *p = w->first[server], *end = p + w->first_len[server];
  assert_true(end - p > 5 + 4 + 2 + 32 + 1 && p[0] == 22 && p[5] == (server ? 2 : 1));
  p += 5 + 4 + 2 + 32;
  p += 1 + p[0];                                       /* legacy session id */
  if (server) p += 2 + 1;                              /* cipher suite, compression */
  else {
    p += 2 + (p[0] << 8 | p[1]);                       /* cipher suites */
    p += 1 + p[0];                                     /* compression methods */
  }
  assert_true(end - p >= 2);
  const uint8_t *ext_end = p + 2 + (p[0] << 8 | p[1]);
  assert_true(ext_end <= end);
  for (p += 2; ext_end - p >= 4; p += 4 + (p[2] << 8 | p[3]))
    if ((unsigned)(p[0] << 8 | p[1]) == type) return 1;
  return 0;
}
#define EXT_SERVER_NAME 0u
#define EXT_KEY_SHARE 51u
#define WIRE(chunk) {(chunk), {0, 0}, -1, {{0}}, {0, 0}}

/* Moves the pending output of from into to, as one driver write would. */
static void transfer(wire *w, smv__tls *from, smv__tls *to, int dir) {
  const uint8_t *p;
  size_t n;
  smv__tls_pending_out(from, &p, &n);
  if (n == 0) return;
  if (w->writes[dir]++ == 0) {
    w->first_len[dir] = n < sizeof(w->first[dir]) ? n : sizeof(w->first[dir]);
    memcpy(w->first[dir], p, w->first_len[dir]);
  }
  uint8_t *copy = malloc(n);
  assert_non_null(copy);
  memcpy(copy, p, n);
  if (dir == 1 && w->corrupt_s2c >= 0 && (size_t)w->corrupt_s2c < n) {
    copy[w->corrupt_s2c] ^= 0x5a;
    w->corrupt_s2c = -1;
  }
  size_t off = 0;
  while (off < n) {
    size_t want = w->chunk && n - off > w->chunk ? w->chunk : n - off;
    size_t k = smv__tls_feed(to, copy + off, want);
    if (k == 0) break; /* the peer's staging buffer is full: the rest stays pending */
    off += k;
  }
  free(copy);
  smv__tls_consume_out(from, off);
}

typedef struct hs_result { int client, server; } hs_result;

static hs_result handshake(wire *w, smv__tls *c, smv__tls *s) {
  hs_result r = {SMV__TLS_WANT_IO, SMV__TLS_WANT_IO};
  for (int i = 0; i < 10000; i++) {
    if (r.client == SMV__TLS_WANT_IO) r.client = smv__tls_handshake(c);
    if (r.server == SMV__TLS_WANT_IO) r.server = smv__tls_handshake(s);
    transfer(w, c, s, 0);
    transfer(w, s, c, 1);
    int c_end = r.client != SMV__TLS_WANT_IO, s_end = r.server != SMV__TLS_WANT_IO;
    if (c_end && s_end) break;
    /* One side failed: let the other read the alert, then stop. */
    if ((c_end && r.client != 0) || (s_end && r.server != 0)) {
      if (!c_end) r.client = smv__tls_handshake(c);
      if (!s_end) r.server = smv__tls_handshake(s);
      break;
    }
  }
  return r;
}

/* Sends len bytes one way and checks they arrive intact. Returns what the reader's last call gave. */
static int send_recv(wire *w, smv__tls *from, smv__tls *to, int dir, const uint8_t *data, size_t len) {
  size_t sent = 0, got = 0;
  uint8_t *buf = malloc(len + 1);
  assert_non_null(buf);
  int rc = 0;
  for (int i = 0; i < 10000 && got < len; i++) {
    if (sent < len) {
      int k = smv__tls_write(from, data + sent, len - sent);
      if (k > 0) sent += (size_t)k;
      else assert_int_equal(k, SMV__TLS_WANT_IO);
    }
    transfer(w, from, to, dir);
    rc = smv__tls_read(to, buf + got, len - got);
    if (rc > 0) got += (size_t)rc;
    else if (rc != SMV__TLS_WANT_IO) break;
    transfer(w, to, from, !dir); /* e.g. a TLS 1.3 key update answer; usually nothing */
    /* The writer may have to take in post-handshake messages (TLS 1.3 tickets) too. */
    uint8_t scratch[64];
    int k = smv__tls_read(from, scratch, sizeof(scratch));
    assert_true(k == SMV__TLS_WANT_IO);
  }
  if (got == len) {
    assert_memory_equal(buf, data, len);
    rc = (int)len;
  }
  free(buf);
  return rc;
}

static void pair_new(smv__tls_conf *cc, smv__tls_conf *sc, const char *host, smv__tls **c,
                     smv__tls **s) {
  assert_int_equal(smv__tls_new(cc, host, 443, c), 0);
  assert_int_equal(smv__tls_new(sc, NULL, 0, s), 0);
}

/* ---- The usual two ends -------------------------------------------------------------------------- */
/* A good leaf for localhost from the test CA, a client conf charged to its own allocator (so that a
 * test can read the client's heap) and a server conf for the leaf. e must stay in place while open. */
typedef struct ends {
  smv__certgen_cert *leaf;
  smv__alloc ca;
  smv__tls_conf *cc, *sc;
} ends;

static void ends_open(ends *e, smv__tls_client_opts o) {
  e->leaf = leaf_with(g_ca, 0, 0, 0);
  smv__alloc_init(&e->ca, NULL);
  e->cc = client_conf_opts(&e->ca, o);
  e->sc = server_conf(smv__certgen_cert_pem(e->leaf), smv__certgen_key_pem(e->leaf));
}

/* Frees both confs and the leaf: everything mbedTLS took from the client's allocator came back. */
static void ends_close(ends *e) {
  smv__tls_conf_free(e->cc);
  smv__tls_conf_free(e->sc);
  smv__certgen_free(e->leaf);
  assert_int_equal(e->ca.current, 0);
}

/* A client engine for localhost and a server engine of e, through a successful handshake on w. */
static void connect_pair(ends *e, wire *w, smv__tls **c, smv__tls **s) {
  pair_new(e->cc, e->sc, "localhost", c, s);
  hs_result r = handshake(w, *c, *s);
  assert_int_equal(r.client, 0);
  assert_int_equal(r.server, 0);
}

/* Full handshake with host, expecting the client to fail with want. */
static void expect_refusal(const smv__certgen_cert *leaf, const char *chain_extra, const char *host,
                           int want) {
  char *chain = NULL;
  const char *pem = smv__certgen_cert_pem(leaf);
  if (chain_extra) {
    chain = malloc(strlen(pem) + strlen(chain_extra) + 1);
    assert_non_null(chain);
    strcpy(chain, pem);
    strcat(chain, chain_extra);
    pem = chain;
  }
  smv__alloc ca;
  smv__alloc_init(&ca, NULL);
  smv__tls_conf *cc = client_conf(&ca);
  smv__tls_conf *sc = server_conf(pem, smv__certgen_key_pem(leaf));
  smv__tls *c, *s;
  pair_new(cc, sc, host, &c, &s);
  wire w = WIRE(0);
  hs_result r = handshake(&w, c, s);
  if (r.client != want)
    print_error("client %s (mbedtls -0x%04x, flags 0x%x), want %s\n", smv_errname(r.client),
                (unsigned)-smv__tls_last_mbedtls_error(c), (unsigned)smv__tls_verify_flags(c),
                smv_errname(want));
  assert_int_equal(r.client, want);
  assert_int_not_equal(r.server, 0);
  assert_string_equal(smv__tls_version_name(c), "none");
  smv__tls_free(c);
  smv__tls_free(s);
  smv__tls_conf_free(cc);
  smv__tls_conf_free(sc);
  assert_int_equal(ca.current, 0); /* everything mbedTLS took from the client's allocator came back */
  free(chain);
}

/* ---- Tests --------------------------------------------------------------------------------------- */
static void full_then_resumed(int without_ecdhe) {
  smv__tls_client_opts o = {0};
  o.resume_without_ecdhe = without_ecdhe;
  ends e;
  ends_open(&e, o);
  static const char req[] = "GET /device HTTP/1.1\r\nHost: localhost\r\n\r\n";
  uint8_t resp[3000];
  for (size_t i = 0; i < sizeof(resp); i++) resp[i] = (uint8_t)(i * 7);
  size_t conf_bytes = e.ca.current;
  size_t peaks[2], fresh[2], established[2];

  for (int round = 0; round < 2; round++) {
    e.ca.peak = e.ca.current;
    smv__tls *c, *s;
    pair_new(e.cc, e.sc, "localhost", &c, &s);
    fresh[round] = e.ca.current;
    wire w = WIRE(0);
    hs_result r = handshake(&w, c, s);
    assert_int_equal(r.client, 0);
    assert_int_equal(r.server, 0);
    established[round] = e.ca.current;
    /* Each flight went out in one write: ClientHello, then (CCS +) Finished; the server's whole
     * flight (ServerHello ... Finished), then its NewSessionTicket. */
    assert_int_equal(w.writes[0], 2);
    assert_int_equal(w.writes[1], 2);
    assert_string_equal(smv__tls_version_name(c), round == 0 ? "tls1.3" : "tls1.3-resumed");
    assert_string_equal(smv__tls_version_name(s), round == 0 ? "tls1.3" : "tls1.3-resumed");
    assert_int_equal(smv__tls_resumed(c), round == 1);
    /* Without ECDHE neither hello carries a key share when resuming; otherwise both always do. */
    int ecdhe = round == 0 || !without_ecdhe;
    assert_int_equal(hello_has_ext(&w, 0, EXT_SERVER_NAME), 1); /* a name is sent */
    assert_int_equal(hello_has_ext(&w, 0, EXT_KEY_SHARE), ecdhe);
    assert_int_equal(hello_has_ext(&w, 1, EXT_KEY_SHARE), ecdhe);
    assert_int_equal(send_recv(&w, c, s, 0, (const uint8_t *)req, sizeof(req) - 1), (int)sizeof(req) - 1);
    assert_int_equal(send_recv(&w, s, c, 1, resp, sizeof(resp)), (int)sizeof(resp));
    /* close_notify reaches the other side as a clean end of stream */
    assert_int_equal(smv__tls_close_notify(s), 0);
    transfer(&w, s, c, 1);
    uint8_t b[16];
    assert_int_equal(smv__tls_read(c, b, sizeof(b)), 0);
    smv__tls_free(c);
    smv__tls_free(s);
    peaks[round] = e.ca.peak;
    assert_int_equal(e.ca.current - conf_bytes > 0, 1); /* the session cache now holds a ticket */
  }
  print_message("client heap (conf with --cacert index, %zu bytes): full TLS 1.3 handshake + "
                "request/response peak %zu bytes, resumed %zu bytes\n",
                conf_bytes, peaks[0], peaks[1]);
  print_message("  conf + new engine %zu / %zu, after the handshake %zu / %zu (full / resumed)\n",
                fresh[0], fresh[1], established[0], established[1]);
  assert_true(peaks[0] < 48 * 1024);
  assert_true(peaks[1] < peaks[0]);
  ends_close(&e);
}

static void test_tls13_full_then_resumed(void **state) {
  (void)state;
  full_then_resumed(0);
}

static void test_tls13_resumed_without_ecdhe(void **state) {
  (void)state;
  full_then_resumed(1);
}

/* A psk_ke-only offer that the server refuses (here: another server, which cannot read the ticket)
 * fails the handshake; the engine says a full retry is due and has dropped the ticket, so the next
 * connection makes a full handshake and succeeds. */
static void test_tls13_without_ecdhe_refused(void **state) {
  (void)state;
  smv__certgen_cert *leaf = leaf_with(g_ca, 0, 0, 0);
  smv__alloc ca;
  smv__alloc_init(&ca, NULL);
  smv__tls_client_opts o = {0};
  o.resume_without_ecdhe = 1;
  smv__tls_conf *cc = client_conf_opts(&ca, o);
  smv__tls_conf *sc[2] = {server_conf(smv__certgen_cert_pem(leaf), smv__certgen_key_pem(leaf)),
                          server_conf(smv__certgen_cert_pem(leaf), smv__certgen_key_pem(leaf))};
  static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  static const int server_of[3] = {0, 1, 1}, ok[3] = {1, 0, 1};
  for (int round = 0; round < 3; round++) {
    smv__tls *c, *s;
    pair_new(cc, sc[server_of[round]], "localhost", &c, &s);
    wire w = WIRE(0);
    hs_result r = handshake(&w, c, s);
    if (ok[round]) {
      assert_int_equal(r.client, 0);
      assert_int_equal(smv__tls_resumed(c), 0);
      assert_int_equal(smv__tls_retry_full(c), 0);
      /* the ticket comes after the first request */
      assert_int_equal(send_recv(&w, c, s, 0, (const uint8_t *)req, sizeof(req) - 1), (int)sizeof(req) - 1);
    } else {
      assert_int_equal(r.client, SMV_ERR_TLS_HANDSHAKE);
      assert_int_not_equal(r.server, 0);
      assert_int_equal(hello_has_ext(&w, 0, EXT_KEY_SHARE), 0);
      assert_int_equal(smv__tls_retry_full(c), 1);
    }
    smv__tls_free(c);
    smv__tls_free(s);
  }
  smv__tls_conf_free(cc);
  smv__tls_conf_free(sc[0]);
  smv__tls_conf_free(sc[1]);
  assert_int_equal(ca.current, 0);
  smv__certgen_free(leaf);
}

/* The figure that matters on a device: a client over the system store's index (here the system bundle
 * plus the test CA, as a store directory), one full handshake and one resumed. */
static void test_heap_with_system_store(void **state) {
  (void)state;
  const char *sys = "/etc/ssl/certs/ca-certificates.crt";
  FILE *in = fopen(sys, "rb");
  if (!in) {
    print_message("no %s: skipped\n", sys);
    skip();
  }
  char dir[160], bundle[200];
  snprintf(dir, sizeof(dir), "%s/store", g_dir);
  assert_int_equal(mkdir(dir, 0755), 0);
  snprintf(bundle, sizeof(bundle), "%s/ca-certificates.crt", dir);
  FILE *out = fopen(bundle, "wb");
  assert_non_null(out);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), in)) > 0) assert_int_equal(fwrite(buf, 1, n, out), n);
  fputs(smv__certgen_cert_pem(g_ca), out);
  fclose(in);
  fclose(out);

  smv__certgen_cert *leaf = leaf_with(g_ca, 0, 0, 0);
  smv__tls_conf *sc = server_conf(smv__certgen_cert_pem(leaf), smv__certgen_key_pem(leaf));
  smv__alloc ca;
  smv__alloc_init(&ca, NULL);
  smv__tls_client_opts o = {0};
  o.ca_dir = dir;
  smv__tls_conf *cc = NULL;
  assert_int_equal(smv__tls_conf_client_new(&ca, &o, &cc), 0);
  size_t conf_bytes = ca.current, index_bytes = smv__tls_conf_truststore_bytes(cc);
  size_t peaks[2];
  for (int round = 0; round < 2; round++) {
    ca.peak = ca.current;
    smv__tls *c, *s;
    pair_new(cc, sc, "localhost", &c, &s);
    wire w = WIRE(0);
    hs_result r = handshake(&w, c, s);
    assert_int_equal(r.client, 0);
    assert_int_equal(smv__tls_resumed(c), round == 1);
    static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    assert_int_equal(send_recv(&w, c, s, 0, (const uint8_t *)req, sizeof(req) - 1), (int)sizeof(req) - 1);
    assert_int_equal(send_recv(&w, s, c, 1, (const uint8_t *)req, sizeof(req) - 1), (int)sizeof(req) - 1);
    smv__tls_free(c);
    smv__tls_free(s);
    peaks[round] = ca.peak;
  }
  print_message("client over the system store (%zu-byte index, conf %zu bytes): TLS 1.3 full peak %zu "
                "bytes, resumed %zu bytes\n", index_bytes, conf_bytes, peaks[0], peaks[1]);
  assert_true(peaks[0] < 48 * 1024);
  smv__tls_conf_free(cc);
  smv__tls_conf_free(sc);
  assert_int_equal(ca.current, 0);
  smv__certgen_free(leaf);
  remove(bundle);
  rmdir(dir);
}

static void test_tls12_forced_and_resumed(void **state) {
  (void)state;
  ends e;
  ends_open(&e, (smv__tls_client_opts){0});
  assert_int_equal(smv__tls_conf_set_versions(e.sc, SMV__TLS_V12, SMV__TLS_V12), 0);
  size_t peaks[2];
  for (int round = 0; round < 2; round++) {
    e.ca.peak = e.ca.current;
    smv__tls *c, *s;
    pair_new(e.cc, e.sc, "localhost", &c, &s);
    wire w = WIRE(0);
    hs_result r = handshake(&w, c, s);
    assert_int_equal(r.client, 0);
    assert_int_equal(r.server, 0);
    assert_int_equal(w.writes[0], 2); /* ClientHello; then ClientKeyExchange+CCS+Finished or CCS+Finished */
    assert_int_equal(w.writes[1], round == 0 ? 2 : 1);
    assert_string_equal(smv__tls_version_name(c), round == 0 ? "tls1.2" : "tls1.2-resumed");
    assert_string_equal(smv__tls_version_name(s), round == 0 ? "tls1.2" : "tls1.2-resumed");
    /* an AEAD suite, ChaCha20-Poly1305 being the client's first choice (the smaller record state) */
    assert_non_null(strstr(smv__tls_cipher_name(c), "CHACHA20-POLY1305"));
    static const char msg[] = "ping";
    assert_int_equal(send_recv(&w, c, s, 0, (const uint8_t *)msg, 4), 4);
    smv__tls_free(c);
    smv__tls_free(s);
    peaks[round] = e.ca.peak;
  }
  print_message("client heap: full TLS 1.2 handshake peak %zu bytes, resumed %zu bytes\n", peaks[0],
                peaks[1]);
  ends_close(&e);
}

static void test_byte_at_a_time(void **state) {
  (void)state;
  ends e;
  ends_open(&e, (smv__tls_client_opts){0});
  smv__tls *c, *s;
  pair_new(e.cc, e.sc, "localhost", &c, &s);
  wire w = WIRE(1);
  hs_result r = handshake(&w, c, s);
  assert_int_equal(r.client, 0);
  assert_int_equal(r.server, 0);
  uint8_t big[20000];
  for (size_t i = 0; i < sizeof(big); i++) big[i] = (uint8_t)(i ^ (i >> 8));
  w.chunk = 0;
  assert_int_equal(send_recv(&w, c, s, 0, big, sizeof(big)), (int)sizeof(big));
  assert_int_equal(send_recv(&w, s, c, 1, big, sizeof(big)), (int)sizeof(big));
  smv__tls_free(c);
  smv__tls_free(s);
  ends_close(&e);
}

/* Sends the client's ClientHello nowhere and answers it with scripted bytes. */
static int client_vs_script(const uint8_t *reply, size_t len) {
  smv__alloc ca;
  smv__alloc_init(&ca, NULL);
  smv__tls_conf *cc = client_conf(&ca);
  smv__tls *c;
  assert_int_equal(smv__tls_new(cc, "localhost", 443, &c), 0);
  assert_int_equal(smv__tls_handshake(c), SMV__TLS_WANT_IO);
  const uint8_t *p;
  size_t n;
  smv__tls_pending_out(c, &p, &n);
  assert_true(n > 0 && p[0] == 0x16); /* a handshake record: the ClientHello */
  smv__tls_consume_out(c, n);
  assert_int_equal(smv__tls_feed(c, reply, len), len);
  int rc = smv__tls_handshake(c);
  smv__tls_free(c);
  smv__tls_conf_free(cc);
  assert_int_equal(ca.current, 0);
  return rc;
}

static void test_version_mismatch(void **state) {
  (void)state;
  smv__certgen_cert *leaf = leaf_with(g_ca, 0, 0, 0);
  smv__alloc ca;
  smv__alloc_init(&ca, NULL);
  /* A server that speaks TLS 1.3 only, against a client limited to TLS 1.2 (the server refuses). */
  smv__tls_conf *cc = client_conf(&ca);
  smv__tls_conf *sc = server_conf(smv__certgen_cert_pem(leaf), smv__certgen_key_pem(leaf));
  assert_int_equal(smv__tls_conf_set_versions(cc, SMV__TLS_V12, SMV__TLS_V12), 0);
  assert_int_equal(smv__tls_conf_set_versions(sc, SMV__TLS_V13, SMV__TLS_V13), 0);
  smv__tls *c, *s;
  pair_new(cc, sc, "localhost", &c, &s);
  wire w = WIRE(0);
  hs_result r = handshake(&w, c, s);
  assert_int_equal(r.server, SMV_ERR_TLS_VERSION);
  assert_int_equal(r.client, SMV_ERR_TLS_VERSION); /* from the protocol_version alert */
  smv__tls_free(c);
  smv__tls_free(s);
  smv__tls_conf_free(cc);
  smv__tls_conf_free(sc);
  smv__certgen_free(leaf);

  /* An old server answering with a TLS 1.1 ServerHello (the client refuses). */
  uint8_t hello[5 + 4 + 2 + 32 + 1 + 2 + 1] = {0x16, 0x03, 0x02, 0x00, 4 + 2 + 32 + 1 + 2 + 1,
                                               0x02, 0x00, 0x00, 2 + 32 + 1 + 2 + 1, 0x03, 0x02};
  memset(hello + 11, 0x42, 32);
  hello[43] = 0;    /* session id length */
  hello[44] = 0x00; /* TLS_RSA_WITH_AES_128_CBC_SHA */
  hello[45] = 0x2f;
  hello[46] = 0;    /* no compression */
  assert_int_equal(client_vs_script(hello, sizeof(hello)), SMV_ERR_TLS_VERSION);
  /* A server that answers with a protocol_version alert. */
  static const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 70};
  assert_int_equal(client_vs_script(alert, sizeof(alert)), SMV_ERR_TLS_VERSION);
  /* Any other fatal alert during the handshake is a handshake failure. */
  static const uint8_t hs_alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 40};
  assert_int_equal(client_vs_script(hs_alert, sizeof(hs_alert)), SMV_ERR_TLS_HANDSHAKE);
  assert_int_equal(smv__tls_conf_set_versions(NULL, 0x0301, SMV__TLS_V13), SMV_ERR_INVALID_ARG);
}

static void test_hostname_mismatch(void **state) {
  (void)state;
  smv__certgen_cert *leaf = leaf_with(g_ca, 0, 0, 0);
  expect_refusal(leaf, NULL, "other.example", SMV_ERR_TLS_CERT_HOSTNAME);
  expect_refusal(leaf, NULL, "sandbox.test", SMV_ERR_TLS_CERT_HOSTNAME);
  smv__certgen_free(leaf);
}

static void test_expired_and_future(void **state) {
  (void)state;
  int64_t now = (int64_t)time(NULL);
  smv__certgen_cert *old = leaf_with(g_ca, now - 10 * 86400, now - 86400, 0);
  expect_refusal(old, NULL, "localhost", SMV_ERR_TLS_CERT_EXPIRED);
  smv__certgen_cert *young = leaf_with(g_ca, now + 86400, now + 10 * 86400, 0);
  expect_refusal(young, NULL, "localhost", SMV_ERR_TLS_CERT_FUTURE);
  smv__certgen_free(old);
  smv__certgen_free(young);
}

static void test_untrusted_issuer(void **state) {
  (void)state;
  smv__certgen_cert *rogue = NULL;
  assert_int_equal(smv__certgen_ca(&g_a, "smv test root", &rogue), 0); /* same name, other key */
  smv__certgen_cert *leaf = leaf_with(rogue, 0, 0, 0);
  expect_refusal(leaf, NULL, "localhost", SMV_ERR_TLS_CERT_UNTRUSTED);
  smv__certgen_cert *other = NULL;
  assert_int_equal(smv__certgen_ca(&g_a, "another root", &other), 0);
  smv__certgen_cert *leaf2 = leaf_with(other, 0, 0, 0);
  expect_refusal(leaf2, smv__certgen_cert_pem(other), "localhost", SMV_ERR_TLS_CERT_UNTRUSTED);
  smv__certgen_free(leaf);
  smv__certgen_free(leaf2);
  smv__certgen_free(rogue);
  smv__certgen_free(other);
}

static void test_intermediate_not_ca(void **state) {
  (void)state;
  smv__certgen_opts o = {0};
  o.cn = "not a ca";
  smv__certgen_cert *mid = NULL;
  assert_int_equal(smv__certgen_issue(&g_a, g_ca, &o, &mid), 0);
  smv__certgen_cert *leaf = leaf_with(mid, 0, 0, 0);
  expect_refusal(leaf, smv__certgen_cert_pem(mid), "localhost", SMV_ERR_TLS_CERT_NOT_CA);
  /* the same chain through a real intermediate CA is accepted */
  o.cn = "intermediate";
  o.is_ca = 1;
  smv__certgen_cert *ica = NULL;
  assert_int_equal(smv__certgen_issue(&g_a, g_ca, &o, &ica), 0);
  smv__certgen_cert *leaf2 = leaf_with(ica, 0, 0, 0);
  char chain[8192];
  snprintf(chain, sizeof(chain), "%s%s", smv__certgen_cert_pem(leaf2), smv__certgen_cert_pem(ica));
  smv__alloc ca;
  smv__alloc_init(&ca, NULL);
  smv__tls_conf *cc = client_conf(&ca);
  smv__tls_conf *sc = server_conf(chain, smv__certgen_key_pem(leaf2));
  smv__tls *c, *s;
  pair_new(cc, sc, "localhost", &c, &s);
  wire w = WIRE(0);
  hs_result r = handshake(&w, c, s);
  assert_int_equal(r.client, 0);
  smv__tls_free(c);
  smv__tls_free(s);
  smv__tls_conf_free(cc);
  smv__tls_conf_free(sc);
  smv__certgen_free(leaf);
  smv__certgen_free(leaf2);
  smv__certgen_free(mid);
  smv__certgen_free(ica);
}

static void test_sha1_signature_refused(void **state) {
  (void)state;
  smv__certgen_cert *leaf = leaf_with(g_ca, 0, 0, 1);
  expect_refusal(leaf, NULL, "localhost", SMV_ERR_TLS_CERT_WEAK_HASH);
  smv__certgen_free(leaf);
}

static void test_rsa1024_key_refused(void **state) {
  (void)state;
  smv__certgen_opts o = {0};
  o.dns = k_dns;
  o.dns_count = 1;
  o.rsa_bits = 1024;
  smv__certgen_cert *weak = NULL;
  assert_int_equal(smv__certgen_issue(&g_a, g_ca, &o, &weak), 0);
  expect_refusal(weak, NULL, "localhost", SMV_ERR_TLS_CERT_WEAK_KEY);
  smv__certgen_free(weak);
}

static void test_ip_literal(void **state) {
  (void)state;
  smv__certgen_cert *leaf = leaf_with(g_ca, 0, 0, 0);
  smv__tls_conf *sc = server_conf(smv__certgen_cert_pem(leaf), smv__certgen_key_pem(leaf));
  smv__alloc ca;
  smv__alloc_init(&ca, NULL);
  smv__tls_conf *cc = client_conf(&ca);
  const char *good[] = {"127.0.0.1", "::1", "[::1]", "0:0::1"};
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    smv__tls *c, *s;
    pair_new(cc, sc, good[i], &c, &s);
    wire w = WIRE(0);
    hs_result r = handshake(&w, c, s);
    if (r.client != 0) print_error("%s: %s\n", good[i], smv_errname(r.client));
    assert_int_equal(r.client, 0);
    /* RFC 6066 3: an address is never a server_name (mbedTLS 3.6.6 sent it; cmake/SmvDeps.cmake) */
    assert_int_equal(hello_has_ext(&w, 0, EXT_SERVER_NAME), 0);
    smv__tls_free(c);
    smv__tls_free(s);
  }
  smv__tls_conf_free(cc);
  smv__tls_conf_free(sc);
  expect_refusal(leaf, NULL, "127.0.0.2", SMV_ERR_TLS_CERT_HOSTNAME);
  expect_refusal(leaf, NULL, "::2", SMV_ERR_TLS_CERT_HOSTNAME);
  /* a certificate with only a DNS name does not match its address */
  smv__certgen_opts o = {0};
  o.dns = k_dns;
  o.dns_count = 1;
  smv__certgen_cert *dns_only = NULL;
  assert_int_equal(smv__certgen_issue(&g_a, g_ca, &o, &dns_only), 0);
  expect_refusal(dns_only, NULL, "127.0.0.1", SMV_ERR_TLS_CERT_HOSTNAME);
  /* nor does the address written as a dNSName: only an iPAddress SAN vouches for an address (RFC 9525
   * 6.3; mbedTLS compares the text and accepted it) */
  const char *const as_dns[] = {"127.0.0.1", "::1"};
  o.dns = as_dns;
  o.dns_count = 2;
  smv__certgen_cert *ip_as_dns = NULL;
  assert_int_equal(smv__certgen_issue(&g_a, g_ca, &o, &ip_as_dns), 0);
  expect_refusal(ip_as_dns, NULL, "127.0.0.1", SMV_ERR_TLS_CERT_HOSTNAME);
  expect_refusal(ip_as_dns, NULL, "::1", SMV_ERR_TLS_CERT_HOSTNAME);
  smv__certgen_free(ip_as_dns);
  smv__certgen_free(dns_only);
  smv__certgen_free(leaf);
}

/* The full handshake of a client for localhost with a server that sends chain_pem (leaf first):
 * the client's result. */
static int handshake_with_chain(const char *chain_pem, const char *key_pem) {
  smv__alloc ca;
  smv__alloc_init(&ca, NULL);
  smv__tls_conf *cc = client_conf(&ca);
  smv__tls_conf *sc = server_conf(chain_pem, key_pem);
  smv__tls *c, *s;
  pair_new(cc, sc, "localhost", &c, &s);
  wire w = WIRE(0);
  hs_result r = handshake(&w, c, s);
  smv__tls_free(c);
  smv__tls_free(s);
  smv__tls_conf_free(cc);
  smv__tls_conf_free(sc);
  assert_int_equal(ca.current, 0);
  return r.client;
}

/* RFC 8446 4.4.2: after the leaf, the certificates may come in any order, with extraneous ones among
 * them. mbedTLS 3.6.6 looked for an issuer only after its subject (cmake/SmvDeps.cmake). */
static void test_chain_any_order(void **state) {
  (void)state;
  smv__certgen_opts o = {0};
  o.is_ca = 1;
  o.cn = "root side intermediate";
  smv__certgen_cert *upper = NULL, *lower = NULL, *stray = NULL, *stray_root = NULL;
  assert_int_equal(smv__certgen_issue(&g_a, g_ca, &o, &upper), 0);
  o.cn = "leaf side intermediate";
  assert_int_equal(smv__certgen_issue(&g_a, upper, &o, &lower), 0);
  assert_int_equal(smv__certgen_ca(&g_a, "unrelated root", &stray_root), 0);
  o.cn = "unrelated intermediate";
  assert_int_equal(smv__certgen_issue(&g_a, stray_root, &o, &stray), 0);
  smv__certgen_cert *leaf = leaf_with(lower, 0, 0, 0);
  const char *L = smv__certgen_cert_pem(leaf), *U = smv__certgen_cert_pem(upper),
             *W = smv__certgen_cert_pem(lower), *X = smv__certgen_cert_pem(stray),
             *R = smv__certgen_cert_pem(g_ca);
  const char *key = smv__certgen_key_pem(leaf);
  struct { const char *what, *p[5]; int want; } cases[] = {
    {"in order", {L, W, U}, 0},
    {"reversed", {L, U, W}, 0},
    {"reversed, with the root", {L, R, U, W}, 0},
    {"an unrelated certificate first", {L, X, W, U}, 0},
    {"an unrelated certificate between", {L, U, X, W}, 0},
    {"the leaf's issuer twice", {L, W, U, W}, 0},
    {"the leaf again", {L, U, L, W}, 0},
    {"a link missing", {L, U, X}, SMV_ERR_TLS_CERT_UNTRUSTED},
    {"only unrelated ones", {L, X, X}, SMV_ERR_TLS_CERT_UNTRUSTED},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char chain[16384] = "";
    for (size_t j = 0; j < 5 && cases[i].p[j]; j++) strcat(chain, cases[i].p[j]);
    int rc = handshake_with_chain(chain, key);
    if (rc != cases[i].want) print_error("%s: %s\n", cases[i].what, smv_errname(rc));
    assert_int_equal(rc, cases[i].want);
  }
  smv__certgen_free(leaf);
  smv__certgen_free(upper);
  smv__certgen_free(lower);
  smv__certgen_free(stray);
  smv__certgen_free(stray_root);
}

static void test_spki_pins(void **state) {
  (void)state;
  smv__certgen_cert *leaf = leaf_with(g_ca, 0, 0, 0);
  smv__tls_conf *sc = server_conf(smv__certgen_cert_pem(leaf), smv__certgen_key_pem(leaf));
  uint8_t leaf_pin[32], ca_pin[32], wrong[32];
  assert_int_equal(smv__tls_spki_sha256(smv__certgen_cert_pem(leaf), leaf_pin), 0);
  assert_int_equal(smv__tls_spki_sha256(smv__certgen_cert_pem(g_ca), ca_pin), 0);
  memset(wrong, 0xab, sizeof(wrong));
  struct { const uint8_t *pin; const char *pin_host; const char *host; int want; } cases[] = {
    {leaf_pin, "localhost", "localhost", 0},
    {ca_pin, "LOCALHOST", "localhost", 0},            /* a pin on the root also holds */
    {wrong, "localhost", "localhost", SMV_ERR_TLS_CERT_PIN},
    {wrong, "elsewhere.test", "localhost", 0},        /* pins of other hosts do not apply */
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    smv__alloc ca;
    smv__alloc_init(&ca, NULL);
    smv__tls_client_opts co = {0};
    co.cacert_file = g_ca_file;
    co.disable_resumption = 1;
    smv__tls_conf *cc = NULL;
    assert_int_equal(smv__tls_conf_client_new(&ca, &co, &cc), 0);
    assert_int_equal(smv__tls_conf_add_pin(cc, cases[i].pin_host, cases[i].pin), 0);
    smv__tls *c, *s;
    pair_new(cc, sc, cases[i].host, &c, &s);
    wire w = WIRE(0);
    hs_result r = handshake(&w, c, s);
    assert_int_equal(r.client, cases[i].want);
    smv__tls_free(c);
    smv__tls_free(s);
    smv__tls_conf_free(cc);
  }
  smv__tls_conf_free(sc);
  smv__certgen_free(leaf);
}

static void test_corrupt_record_after_handshake(void **state) {
  (void)state;
  ends e;
  ends_open(&e, (smv__tls_client_opts){0});
  smv__tls *c, *s;
  wire w = WIRE(0);
  connect_pair(&e, &w, &c, &s);
  uint8_t b[256];
  assert_int_equal(smv__tls_read(c, b, sizeof(b)), SMV__TLS_WANT_IO); /* takes the ticket */
  static const char body[] = "HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n";
  assert_true(smv__tls_write(s, body, sizeof(body) - 1) > 0);
  w.corrupt_s2c = 20; /* inside the encrypted payload */
  transfer(&w, s, c, 1);
  int rc = smv__tls_read(c, b, sizeof(b));
  assert_int_equal(rc, SMV_ERR_TLS_ALERT);
  smv__tls_free(c);
  smv__tls_free(s);
  ends_close(&e);
}

static void test_bad_cacert(void **state) {
  (void)state;
  smv__alloc ca;
  smv__alloc_init(&ca, NULL);
  smv__tls_client_opts o = {0};
  o.cacert_file = "/nonexistent/ca.pem";
  smv__tls_conf *cc = NULL;
  assert_int_equal(smv__tls_conf_client_new(&ca, &o, &cc), SMV_ERR_TLS_CACERT);
  assert_null(cc);
  assert_int_equal(ca.current, 0);
}

/* Allocation N of the client fails, for every N of a full handshake plus a resumed one: each run ends in
 * success or SMV_ERR_NOMEM (never another code, never a crash), and gives back every byte. */

static int one_connection(smv__tls_conf *cc, smv__tls_conf *sc) {
  smv__tls *c = NULL, *s = NULL;
  int rc = smv__tls_new(cc, "localhost", 443, &c);
  if (rc == 0) {
    assert_int_equal(smv__tls_new(sc, NULL, 0, &s), 0);
    wire w = WIRE(0);
    hs_result r = handshake(&w, c, s);
    rc = r.client;
    if (rc == 0) {
      static const char msg[] = "hello";
      rc = smv__tls_write(c, msg, 5);
      if (rc > 0) {
        transfer(&w, c, s, 0);
        uint8_t b[16];
        assert_int_equal(smv__tls_read(s, b, sizeof(b)), 5);
        assert_true(smv__tls_write(s, msg, 5) == 5);
        transfer(&w, s, c, 1);
        rc = smv__tls_read(c, b, sizeof(b)); /* takes the ticket on the way */
        if (rc == 5) rc = 0;
      }
    }
  }
  smv__tls_free(c);
  smv__tls_free(s);
  return rc;
}

static int run_with_failure(smv__tls_conf *sc, long fail_at, long *count) {
  smv_test_failer f;
  smv_allocator hook = smv_test_failer_init(&f, fail_at - 1); /* fail_at counts from 1 here */
  smv__alloc ca;
  smv__alloc_init(&ca, &hook);
  smv__tls_client_opts o = {0};
  o.cacert_file = g_ca_file;
  smv__tls_conf *cc = NULL;
  int rc = smv__tls_conf_client_new(&ca, &o, &cc);
  if (rc == 0) {
    rc = one_connection(cc, sc);
    int rc2 = one_connection(cc, sc); /* resumed, or full again if the first could not store */
    if (rc == 0) rc = rc2;
    smv__tls_conf_free(cc);
  }
  if (rc != 0 && rc != SMV_ERR_NOMEM)
    print_error("allocation %ld failed: %s (%d)\n", fail_at, smv_errname(rc), rc);
  assert_true(rc == 0 || rc == SMV_ERR_NOMEM);
  assert_int_equal(ca.current, 0);
  assert_int_equal(f.live, 0);
  *count = f.count;
  return rc;
}

static void test_allocation_failures(void **state) {
  (void)state;
  smv__certgen_cert *leaf = leaf_with(g_ca, 0, 0, 0);
  smv__tls_conf *sc = server_conf(smv__certgen_cert_pem(leaf), smv__certgen_key_pem(leaf));
  long total, count, runs = 0;
  assert_int_equal(run_with_failure(sc, -1, &total), 0);
  /* Every allocation of the set-up and the first steps, then a sample of the rest (the bignum code
   * allocates thousands of times per handshake). */
  for (long n = 1; n <= total; n += n < 250 ? 1 : 1 + total / 200) {
    int rc = run_with_failure(sc, n, &count);
    runs++;
    assert_true(count >= n); /* the failure was injected */
    (void)rc;
  }
  print_message("allocation failure injected in %ld runs over %ld client allocations "
                "(conf + full + resumed connection)\n", runs, total);
  smv__tls_conf_free(sc);
  smv__certgen_free(leaf);
}

/* A TLS 1.3 server's ticket and its response arrive together: one read call must give the response
 * (mbedTLS pauses on the ticket; the engine must not then wait for the socket). */
static void test_ticket_and_data_in_one_read(void **state) {
  (void)state;
  ends e;
  ends_open(&e, (smv__tls_client_opts){0});
  smv__tls *c, *s;
  wire w = WIRE(0);
  connect_pair(&e, &w, &c, &s);
  assert_true(smv__tls_write(s, "HTTP/1.1 200 OK\r\n\r\n", 19) == 19);
  transfer(&w, s, c, 1);
  uint8_t b[64];
  assert_int_equal(smv__tls_read(c, b, sizeof(b)), 19);
  assert_memory_equal(b, "HTTP/1.1 200 OK\r\n\r\n", 19);
  smv__tls_free(c);
  smv__tls_free(s);
  ends_close(&e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_tls13_full_then_resumed),
    cmocka_unit_test(test_tls13_resumed_without_ecdhe),
    cmocka_unit_test(test_tls13_without_ecdhe_refused),
    cmocka_unit_test(test_heap_with_system_store),
    cmocka_unit_test(test_tls12_forced_and_resumed),
    cmocka_unit_test(test_byte_at_a_time),
    cmocka_unit_test(test_version_mismatch),
    cmocka_unit_test(test_hostname_mismatch),
    cmocka_unit_test(test_expired_and_future),
    cmocka_unit_test(test_untrusted_issuer),
    cmocka_unit_test(test_intermediate_not_ca),
    cmocka_unit_test(test_sha1_signature_refused),
    cmocka_unit_test(test_rsa1024_key_refused),
    cmocka_unit_test(test_ip_literal),
    cmocka_unit_test(test_chain_any_order),
    cmocka_unit_test(test_spki_pins),
    cmocka_unit_test(test_corrupt_record_after_handshake),
    cmocka_unit_test(test_bad_cacert),
    cmocka_unit_test(test_ticket_and_data_in_one_read),
    cmocka_unit_test(test_allocation_failures),
  };
  return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
