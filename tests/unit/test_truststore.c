/* The indexed trust store: a directory (with hash links) and a bundle of generated roots are indexed,
 * the CA callback finds and parses exactly the root a certificate names as its issuer, a chain verifies
 * through it, and the index is far smaller than the parsed store. The real /etc/ssl/certs is measured
 * too when present. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/platform.h>
#include <mbedtls/x509_crt.h>

#include "core/alloc.h"
#include "io/tls.h"
#include "io/truststore.h"
#include "server/certgen.h"
#include "smv.h"

#define NROOTS 24

static smv__alloc g_a;
static smv__certgen_cert *g_roots[NROOTS];
static char g_dir[64];
static char g_bundle[128];

static void path_in(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", g_dir, name); }

static int setup_all(void **state) {
  (void)state;
  smv__alloc_init(&g_a, NULL);
  if (smv__tls_global_init() != 0) return -1;
  strcpy(g_dir, "/tmp/smv-test-ts-XXXXXX");
  if (!mkdtemp(g_dir)) return -1;
  snprintf(g_bundle, sizeof(g_bundle), "%s.bundle.pem", g_dir);
  FILE *bundle = fopen(g_bundle, "wb");
  if (!bundle) return -1;
  fputs("# a comment line that is not part of any certificate\n", bundle);
  for (int i = 0; i < NROOTS; i++) {
    char cn[32], name[64], path[160], link[160];
    snprintf(cn, sizeof(cn), "Test Root %02d", i);
    if (smv__certgen_ca(&g_a, cn, &g_roots[i]) != 0) return -1;
    snprintf(name, sizeof(name), "root-%02d.pem", i);
    path_in(path, sizeof(path), name);
    if (smv__certgen_write_file(path, smv__certgen_cert_pem(g_roots[i])) != 0) return -1;
    /* OpenSSL-style hash links name the same file again: they must not double the index. */
    snprintf(name, sizeof(name), "%08x.0", 0x1000u + (unsigned)i);
    path_in(link, sizeof(link), name);
    snprintf(path, sizeof(path), "root-%02d.pem", i);
    if (symlink(path, link) != 0) return -1;
    fprintf(bundle, "%s\n", smv__certgen_cert_pem(g_roots[i]));
  }
  char junk[160];
  path_in(junk, sizeof(junk), "README");
  if (smv__certgen_write_file(junk, "not a certificate\n") != 0) return -1;
  fclose(bundle);
  return 0;
}

static int teardown_all(void **state) {
  (void)state;
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", g_dir, g_bundle);
  int rc = system(cmd);
  (void)rc;
  for (int i = 0; i < NROOTS; i++) smv__certgen_free(g_roots[i]);
  return 0;
}

static mbedtls_x509_crt *parse_pem(const char *pem) {
  mbedtls_x509_crt *c = mbedtls_calloc(1, sizeof(*c));
  assert_non_null(c);
  mbedtls_x509_crt_init(c);
  assert_int_equal(mbedtls_x509_crt_parse(c, (const unsigned char *)pem, strlen(pem) + 1), 0);
  return c;
}

static void crt_release(mbedtls_x509_crt *c) {
  mbedtls_x509_crt_free(c);
  mbedtls_free(c);
}

/* Issues a leaf under root k and checks that the callback returns exactly root k, and that the chain
 * verifies through the callback. */
static void check_lookup(smv__truststore *ts, int k) {
  static const char *const dns[] = {"localhost"};
  smv__certgen_cert *leaf = NULL;
  assert_int_equal(smv__certgen_server(&g_a, g_roots[k], dns, 1, NULL, 0, &leaf), 0);
  mbedtls_x509_crt *child = parse_pem(smv__certgen_cert_pem(leaf));
  mbedtls_x509_crt *root = parse_pem(smv__certgen_cert_pem(g_roots[k]));
  size_t loads = smv__truststore_loads(ts);
  mbedtls_x509_crt *cand = NULL;
  assert_int_equal(smv__truststore_ca_cb(ts, child, &cand), 0);
  assert_non_null(cand);
  assert_null(cand->next);
  assert_int_equal(cand->raw.len, root->raw.len);
  assert_memory_equal(cand->raw.p, root->raw.p, root->raw.len);
  assert_int_equal(smv__truststore_loads(ts), loads + 1); /* one root parsed, not the store */
  crt_release(cand);

  uint32_t flags = 0;
  assert_int_equal(mbedtls_x509_crt_verify_with_ca_cb(child, smv__truststore_ca_cb, ts,
                                                      &mbedtls_x509_crt_profile_default, "localhost",
                                                      &flags, NULL, NULL),
                   0);
  assert_int_equal(flags, 0);
  crt_release(child);
  crt_release(root);
  smv__certgen_free(leaf);
}

static void test_directory_index(void **state) {
  (void)state;
  smv__alloc a;
  smv__alloc_init(&a, NULL);
  smv__truststore *ts = NULL;
  assert_int_equal(smv__truststore_new(&a, NULL, g_dir, &ts), 0);
  assert_int_equal(smv__truststore_count(ts), NROOTS); /* links and the README are not roots */
  assert_int_equal(smv__truststore_bytes(ts), a.current);
  for (int k = 0; k < NROOTS; k += 5) check_lookup(ts, k);
  check_lookup(ts, NROOTS - 1);

  /* A certificate from an issuer outside the store gets no candidate, and its chain fails. */
  smv__certgen_cert *stranger = NULL, *leaf = NULL;
  assert_int_equal(smv__certgen_ca(&g_a, "Somebody Else", &stranger), 0);
  static const char *const dns[] = {"localhost"};
  assert_int_equal(smv__certgen_server(&g_a, stranger, dns, 1, NULL, 0, &leaf), 0);
  mbedtls_x509_crt *child = parse_pem(smv__certgen_cert_pem(leaf));
  mbedtls_x509_crt *cand = (mbedtls_x509_crt *)&cand;
  assert_int_equal(smv__truststore_ca_cb(ts, child, &cand), 0);
  assert_null(cand);
  uint32_t flags = 0;
  assert_int_not_equal(mbedtls_x509_crt_verify_with_ca_cb(child, smv__truststore_ca_cb, ts,
                                                          &mbedtls_x509_crt_profile_default, NULL,
                                                          &flags, NULL, NULL),
                       0);
  assert_true(flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
  crt_release(child);
  smv__certgen_free(leaf);
  smv__certgen_free(stranger);
  smv__truststore_free(ts);
  assert_int_equal(a.current, 0);
}

static void test_bundle_index_and_preference(void **state) {
  (void)state;
  smv__alloc a;
  smv__alloc_init(&a, NULL);
  smv__truststore *ts = NULL;
  /* --cacert: one file, every root at its own offset */
  assert_int_equal(smv__truststore_new(&a, g_bundle, NULL, &ts), 0);
  assert_int_equal(smv__truststore_count(ts), NROOTS);
  check_lookup(ts, 0);
  check_lookup(ts, NROOTS / 2);
  check_lookup(ts, NROOTS - 1);
  smv__truststore_free(ts);

  /* A store directory with ca-certificates.crt is indexed from the bundle alone. */
  char dir2[64];
  strcpy(dir2, "/tmp/smv-test-ts2-XXXXXX");
  assert_non_null(mkdtemp(dir2));
  char path[160], cmd[1024];
  snprintf(path, sizeof(path), "%s/ca-certificates.crt", dir2);
  snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && cp '%s'/root-00.pem '%s'/", g_bundle, path,
           g_dir, dir2);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(smv__truststore_new(&a, NULL, dir2, &ts), 0);
  size_t n = smv__truststore_count(ts);
  assert_int_equal(smv__truststore_loads(ts), 0);
  assert_int_equal(n, NROOTS); /* the bundle's roots; root-00.pem beside it is not indexed again */
  check_lookup(ts, 0);
  smv__truststore_free(ts);
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir2);
  assert_int_equal(system(cmd), 0);

  assert_int_equal(smv__truststore_new(&a, "/nonexistent.pem", NULL, &ts), SMV_ERR_TLS_CACERT);
  assert_int_equal(smv__truststore_new(&a, NULL, "/nonexistent-dir", &ts), SMV_ERR_TLS_CACERT);
  char junk[160];
  path_in(junk, sizeof(junk), "README");
  assert_int_equal(smv__truststore_new(&a, junk, NULL, &ts), SMV_ERR_TLS_CACERT);
  assert_null(ts);
  assert_int_equal(a.current, 0);
}

/* Heap of mbedTLS parsing a path or file whole, through smv's allocator. */
static size_t parsed_bytes(const char *path, int is_dir, int *count) {
  smv__alloc a;
  smv__alloc_init(&a, NULL);
  smv__alloc *saved = smv__alloc_current();
  smv__alloc_set_current(&a);
  mbedtls_x509_crt chain;
  mbedtls_x509_crt_init(&chain);
  int rc = is_dir ? mbedtls_x509_crt_parse_path(&chain, path) : mbedtls_x509_crt_parse_file(&chain, path);
  assert_true(rc >= 0);
  *count = 0;
  for (mbedtls_x509_crt *c = &chain; c && c->raw.p; c = c->next) (*count)++;
  size_t bytes = a.current;
  mbedtls_x509_crt_free(&chain);
  smv__alloc_set_current(saved);
  assert_int_equal(a.current, 0);
  return bytes;
}

static void test_index_much_smaller_than_parsed(void **state) {
  (void)state;
  smv__alloc a;
  smv__alloc_init(&a, NULL);
  smv__truststore *ts = NULL;
  assert_int_equal(smv__truststore_new(&a, NULL, g_dir, &ts), 0);
  size_t idx = smv__truststore_bytes(ts);
  int n = 0;
  size_t parsed = parsed_bytes(g_bundle, 0, &n);
  assert_int_equal(n, NROOTS);
  print_message("%d generated P-256 roots: index %zu bytes, parsed whole %zu bytes\n", NROOTS, idx,
                parsed);
  assert_true(idx * 4 < parsed);
  smv__truststore_free(ts);
}

static void test_system_store(void **state) {
  (void)state;
  struct stat st;
  if (stat("/etc/ssl/certs", &st) != 0) {
    print_message("no /etc/ssl/certs: skipped\n");
    skip();
  }
  smv__alloc a;
  smv__alloc_init(&a, NULL);
  smv__truststore *ts = NULL;
  assert_int_equal(smv__truststore_new(&a, NULL, NULL, &ts), 0);
  size_t count = smv__truststore_count(ts), idx = smv__truststore_bytes(ts);
  int n_file = 0, n_dir = 0;
  size_t whole = 0, path = 0;
  const char *bundle = "/etc/ssl/certs/ca-certificates.crt";
  if (stat(bundle, &st) == 0) whole = parsed_bytes(bundle, 0, &n_file);
  path = parsed_bytes("/etc/ssl/certs", 1, &n_dir);
  print_message("/etc/ssl/certs: %zu roots indexed in %zu bytes (peak while indexing %zu); "
                "parsed whole: bundle %d certs %zu bytes, parse_path %d certs %zu bytes\n",
                count, idx, a.peak, n_file, whole, n_dir, path);
  assert_true(count > 0);
  if (whole) {
    assert_int_equal((int)count, n_file);
    assert_true(idx * 10 < whole);
  }
  /* Every root is found by its own subject (roots are self-issued). */
  if (stat(bundle, &st) == 0) {
    smv__alloc_set_current(&a);
    mbedtls_x509_crt all;
    mbedtls_x509_crt_init(&all);
    assert_true(mbedtls_x509_crt_parse_file(&all, bundle) >= 0);
    size_t found = 0, checked = 0;
    for (mbedtls_x509_crt *c = &all; c && c->raw.p; c = c->next) {
      mbedtls_x509_crt *cand = NULL;
      assert_int_equal(smv__truststore_ca_cb(ts, c, &cand), 0);
      checked++;
      for (mbedtls_x509_crt *k = cand; k && k->raw.p; k = k->next)
        if (k->raw.len == c->raw.len && memcmp(k->raw.p, c->raw.p, c->raw.len) == 0) found++;
      if (cand) crt_release(cand);
    }
    mbedtls_x509_crt_free(&all);
    smv__alloc_set_current(NULL);
    assert_int_equal(found, checked);
  }
  smv__truststore_free(ts);
  assert_int_equal(a.current, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_directory_index),
    cmocka_unit_test(test_bundle_index_and_preference),
    cmocka_unit_test(test_index_much_smaller_than_parsed),
    cmocka_unit_test(test_system_store),
  };
  return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
