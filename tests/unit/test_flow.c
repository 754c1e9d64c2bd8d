/* Whole flows through the library against the project's test server in the same process: the chain
 * https -> http -> https -> returnUrl, and allocation failure injected at every allocation of that
 * flow (a clean error, nothing leaked). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include "helpers/failing_alloc.h"
#include "helpers/test_server.h"
#include "smv.h"

static uv_loop_t loop;
static smv_test_server srv;
#define https_base srv.https
#define ca_path srv.ca

typedef struct run {
  int done, outcome, error;
  char final_url[256];
  unsigned connections, tls_full, tls_resumed;
  size_t heap_peak;
} run;

static void on_done(smv_flow *fl, const smv_result *r, void *ud) {
  (void)fl;
  run *rr = ud;
  rr->done = 1;
  rr->outcome = r->outcome;
  rr->error = r->error;
  rr->connections = r->stats.connections;
  rr->tls_full = r->stats.tls_full;
  rr->tls_resumed = r->stats.tls_resumed;
  rr->heap_peak = r->stats.heap_peak_bytes;
  snprintf(rr->final_url, sizeof(rr->final_url), "%s", r->final_url ? r->final_url : "");
}

/* One flow with its own client trusting o (NULL: the test CA alone); returns the start error or 0
 * with *out filled. */
static int one_flow_trusting(smv_test_failer *f, const smv_client_options *trust, const char *path,
                             const char *ret, run *out) {
  smv_allocator hook = smv_test_failer_init(f, f->fail_at);
  smv_client_options o = {.version = SMV_CLIENT_OPTIONS_VERSION, .cacert_file = ca_path};
  if (trust) o = *trust;
  o.allocator = &hook;
  smv_config cfg;
  smv_config_init(&cfg);
  cfg.interface = "lo";
  cfg.declared_carrier = 1;
  cfg.return_url = ret;
  cfg.max_time_ms = 5000;
  char url[256];
  snprintf(url, sizeof(url), "%s%s", https_base, path);
  memset(out, 0, sizeof(*out));
  smv_client *cl = NULL;
  int rc = smv_client_new(&loop, &o, &cl);
  if (rc == 0) rc = smv_flow_start(cl, url, &cfg, on_done, out, NULL);
  for (int i = 0; rc == 0 && !out->done && i < 100000; i++) uv_run(&loop, UV_RUN_ONCE);
  if (cl) smv_client_free(cl);
  /* The server keeps the loop alive: turn it until the client's last block is gone. */
  for (int i = 0; f->live > 0 && i < 2000; i++) uv_run(&loop, UV_RUN_NOWAIT);
  return rc;
}

static int one_flow(smv_test_failer *f, const char *path, const char *ret, run *out) {
  return one_flow_trusting(f, NULL, path, ret, out);
}

static int setup(void **state) {
  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  char err[256];
  if (smv_test_server_start(&srv, &loop, NULL, err, sizeof(err)) != 0) fail_msg("%s", err);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return smv_test_server_stop(&srv) == 0 && uv_loop_close(&loop) == 0 ? 0 : -1;
}

static void test_chain(void **state) {
  (void)state;
  smv_test_failer f = {-1, 0, 0, 0};
  run r;
  assert_int_equal(one_flow(&f, "/chain/start", "myapp://verified", &r), 0);
  assert_true(r.done);
  assert_int_equal(r.error, 0);
  assert_int_equal(r.outcome, SMV_OUTCOME_RETURN_URL);
  assert_int_equal(strncmp(r.final_url, "myapp://verified", 16), 0);
  assert_int_equal(r.connections, 2);
  assert_int_equal(r.tls_full, 1);
  assert_int_equal(f.live, 0);
  /* The token flow of one hop */
  assert_int_equal(one_flow(&f, "/token", NULL, &r), 0);
  assert_int_equal(r.outcome, SMV_OUTCOME_COMPLETED);
  assert_int_equal(f.live, 0);
}

static void test_alloc_failure_everywhere(void **state) {
  (void)state;
  smv_test_failer probe = {-1, 0, 0, 0};
  run r;
  assert_int_equal(one_flow(&probe, "/chain/start", "myapp://verified", &r), 0);
  assert_int_equal(r.outcome, SMV_OUTCOME_RETURN_URL);
  long total = probe.count;
  long nomem = 0, other = 0;
  for (long n = 0; n < total; n++) {
    smv_test_failer f = {n, 0, 0, 0};
    int rc = one_flow(&f, "/chain/start", "myapp://verified", &r);
    if (rc != 0) {
      assert_int_equal(rc, SMV_ERR_NOMEM);
    } else {
      assert_true(r.done);
      if (r.outcome != SMV_OUTCOME_RETURN_URL) {
        /* A failure must surface as out of memory: anything else would misreport the network. */
        if (r.error != SMV_ERR_NOMEM) {
          fprintf(stderr, "allocation %ld: %s\n", n, smv_errname(r.error));
          other++;
        }
        nomem++;
      }
    }
    if (f.live != 0) fprintf(stderr, "allocation %ld failed: %ld blocks leaked\n", n, f.live);
    assert_int_equal(f.live, 0);
  }
  fprintf(stderr, "flow allocations: %ld; failed flows: %ld (other errors: %ld)\n", total, nomem, other);
  assert_int_equal(other, 0);
}

static void count_refusals(void *ud, int hop, smv_trace_phase phase, double ms, const char *url,
                           const char *detail) {
  (void)hop, (void)ms, (void)url;
  if (phase == SMV_TRACE_TLS && strstr(detail, "without ECDHE refused")) ++*(int *)ud;
}

/* Issue 2's budget: the chain flow's heap peak stays within 48 KiB while the client trusts the whole
 * system store (Debian's bundle, indexed, plus the test CA, in a store directory). */
static void test_heap_budget_with_system_store(void **state) {
  (void)state;
  static const char bundle[] = "/etc/ssl/certs/ca-certificates.crt";
  char dir[] = "/tmp/smv-test-flow-store.XXXXXX", file[64];
  assert_non_null(mkdtemp(dir));
  snprintf(file, sizeof(file), "%s/ca-certificates.crt", dir);
  FILE *out = fopen(file, "w");
  assert_non_null(out);
  const char *parts[2] = {bundle, ca_path};
  for (int i = 0; i < 2; i++) {
    FILE *in = fopen(parts[i], "r");
    if (!in) fail_msg("cannot read %s (the ca-certificates package)", parts[i]);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
  }
  assert_int_equal(fclose(out), 0);
  smv_client_options o = {.version = SMV_CLIENT_OPTIONS_VERSION, .ca_dir = dir};
  smv_test_failer f = {-1, 0, 0, 0};
  run r;
  assert_int_equal(one_flow_trusting(&f, &o, "/chain/start", "myapp://verified", &r), 0);
  unlink(file);
  rmdir(dir);
  assert_int_equal(r.outcome, SMV_OUTCOME_RETURN_URL);
  assert_int_equal(r.tls_full, 1);
  fprintf(stderr, "chain flow heap peak, trusting the system store: %zu bytes\n", r.heap_peak);
  assert_true(r.heap_peak > 0);
  assert_true(r.heap_peak <= 48 * 1024);
}

/* One client, resuming without ECDHE: the second flow resumes with psk_ke; after the server forgot
 * its tickets, the third flow's offer is refused, and the flow goes on with a full handshake on a
 * fresh connection to the same address. */
static void test_resume_without_ecdhe(void **state) {
  (void)state;
  smv_client_options o = {.version = SMV_CLIENT_OPTIONS_VERSION, .cacert_file = ca_path,
                          .tls_resume_without_ecdhe = 1};
  smv_config cfg;
  smv_config_init(&cfg);
  cfg.interface = "lo";
  cfg.declared_carrier = 1;
  cfg.max_time_ms = 5000;
  char url[256];
  snprintf(url, sizeof(url), "%s/token/close", https_base);
  smv_client *cl = NULL;
  assert_int_equal(smv_client_new(&loop, &o, &cl), 0);
  static const unsigned full[3] = {1, 0, 1}, resumed[3] = {0, 1, 0};
  int refusals = 0;
  cfg.trace = count_refusals;
  cfg.trace_user_data = &refusals;
  for (int i = 0; i < 3; i++) {
    run r;
    memset(&r, 0, sizeof(r));
    if (i == 2) assert_int_equal(smv__testserver_forget_sessions(srv.ts), 0);
    assert_int_equal(smv_flow_start(cl, url, &cfg, on_done, &r, NULL), 0);
    for (int k = 0; !r.done && k < 100000; k++) uv_run(&loop, UV_RUN_ONCE);
    if (r.error) fprintf(stderr, "flow %d: %s\n", i, smv_errname(r.error));
    assert_int_equal(r.error, 0);
    assert_int_equal(r.outcome, SMV_OUTCOME_COMPLETED);
    assert_int_equal(r.tls_full, full[i]);
    assert_int_equal(r.tls_resumed, resumed[i]);
    assert_int_equal(refusals, i == 2); /* the third flow's offer was refused, then retried */
  }
  smv_client_free(cl);
  for (int i = 0; i < 100; i++) uv_run(&loop, UV_RUN_NOWAIT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_chain),
    cmocka_unit_test(test_resume_without_ecdhe),
    cmocka_unit_test(test_heap_budget_with_system_store),
    cmocka_unit_test(test_alloc_failure_everywhere),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
