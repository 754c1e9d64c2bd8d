/* The result a flow reports, as the caller gets it: smv_follow_sync with every field of the
 * configuration set returns a deep copy that outlives the flow and its client (run under ASan in CI,
 * which reads every string of it after the flow's memory is gone); the copy is all or nothing when an
 * allocation fails; both versioned structs follow one rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "helpers/failing_alloc.h"
#include "helpers/test_server.h"
#include "io/result.h"
#include "smv.h"

static smv_test_server srv;
static char routes_path[64] = "/tmp/smv-test-result-routes.XXXXXX";

/* An authorization chain: a POST to /authorize (307 keeps it), then 302 over plain HTTP (a GET from
 * there on), back to https, then the redirect_uri with a code and the state. */
static const char routes[] =
    "{\"routes\": {"
    "\"/authorize?response_type=code&client_id=app\": {\"status\": 307, \"headers\": {\"Location\": \"/authorize2\"}},"
    "\"/authorize2\": {\"status\": 302, \"headers\": {\"Location\": \"{http}/he\"}},"
    "\"/he\": {\"status\": 302, \"headers\": {\"Location\": \"{https}/back\"}},"
    "\"/back\": {\"status\": 303, \"headers\": {\"Location\": \"myapp://cb?code=C%2B1&state=s1\", \"Set-Cookie\": \"a=b\"}}"
    "}}";

static int setup(void **state) {
  (void)state;
  int fd = mkstemp(routes_path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, routes, sizeof(routes) - 1), (ssize_t)(sizeof(routes) - 1));
  close(fd);
  smv__testserver_opts o;
  memset(&o, 0, sizeof(o));
  o.script_path = routes_path;
  char err[256];
  if (smv_test_server_start(&srv, NULL, &o, err, sizeof(err)) != 0) fail_msg("%s", err); /* on its own thread: smv_follow_sync blocks */
  return 0;
}

static int teardown(void **state) {
  (void)state;
  unlink(routes_path);
  return smv_test_server_stop(&srv);
}

static int traced;
static void on_trace(void *ud, int hop, smv_trace_phase phase, double ms, const char *url,
                     const char *detail) {
  (void)hop, (void)phase, (void)ms, (void)url, (void)detail;
  ++*(int *)ud;
}

static void full_config(smv_config *cfg) {
  smv_config_init(cfg);
  cfg->interface = "lo";
  cfg->declared_carrier = 1;
  cfg->dns_servers = "127.0.0.1";
  cfg->return_url = "myapp://cb";
  cfg->max_redirects = 5;
  cfg->max_time_ms = 10000;
  cfg->connect_timeout_ms = 5000;
  cfg->response_timeout_ms = 5000;
  cfg->no_http = 0;
  cfg->allow_vpn_bypass = 1;
  cfg->max_header_bytes = 8192;
  cfg->max_body_bytes = 8192;
  cfg->max_location_bytes = 2048;
  cfg->single_request = 0;
  cfg->method = "POST";
  cfg->body = "{\"x\":1}";
  cfg->body_len = 7;
  cfg->content_type = "application/json";
  cfg->show_secrets = 1;
  cfg->trace = on_trace;
  cfg->trace_user_data = &traced;
  cfg->state = "s1";
  cfg->family = 4;
}

/* The copy lives on after the flow, its client and its loop: every string is read (ASan catches a
 * pointer into freed flow memory, as hops[].method once was). */
static void test_follow_sync_every_field(void **state) {
  (void)state;
  char url[256];
  snprintf(url, sizeof(url), "%s/authorize?response_type=code&client_id=app", srv.https);
  smv_config cfg;
  full_config(&cfg);
  smv_client_options o = {.version = SMV_CLIENT_OPTIONS_VERSION, .cacert_file = srv.ca,
                          .tls_min_version = 12, .tls_max_version = 13};
  smv_result *r = NULL;
  traced = 0;
  assert_int_equal(smv_follow_sync(url, &cfg, &o, &r), 0);
  assert_non_null(r);
  if (r->error) fail_msg("%s: %s", smv_errname(r->error), r->error_message ? r->error_message : "");
  assert_int_equal(r->outcome, SMV_OUTCOME_RETURN_URL);
  assert_string_equal(r->final_url, "myapp://cb?code=C%2B1&state=s1");
  assert_true(r->authorization.present);
  assert_string_equal(r->authorization.code, "C+1");
  assert_string_equal(r->authorization.state, "s1");
  assert_null(r->authorization.error);
  assert_int_equal(r->hop_count, 4);
  /* 307 kept the POST; 302 made it a GET, and it stays one */
  static const char *const methods[] = {"POST", "POST", "GET", "GET"};
  for (size_t i = 0; i < r->hop_count; i++) {
    assert_string_equal(r->hops[i].method, methods[i]);
    assert_non_null(r->hops[i].url);
    assert_non_null(r->hops[i].location);
    assert_non_null(r->hops[i].response_headers);
    assert_true(strlen(r->hops[i].tls) > 0);
  }
  assert_non_null(strstr(r->hops[3].response_headers, "Set-Cookie: a=b"));
  assert_string_equal(r->path.interface, "lo");
  assert_true(traced > 0);
  char *json = smv_result_json(r, 0);
  assert_non_null(json);
  assert_non_null(strstr(json, "\"authorization\":{\"code\":\"C+1\",\"state\":\"s1\",\"error\":null,"));
  free(json);
  smv_result_free(r);
}

/* The authorization chain with every field of the configuration set (state: the one expected). */
static smv_result *follow_chain(const char *state) {
  char url[256];
  snprintf(url, sizeof(url), "%s/authorize?response_type=code&client_id=app", srv.https);
  smv_config cfg;
  full_config(&cfg);
  cfg.state = state;
  smv_client_options o = {.version = SMV_CLIENT_OPTIONS_VERSION, .cacert_file = srv.ca};
  smv_result *r = NULL;
  assert_int_equal(smv_follow_sync(url, &cfg, &o, &r), 0);
  assert_non_null(r);
  return r;
}

/* A wrong state is refused before anything is reported as success. */
static void test_follow_sync_wrong_state(void **state) {
  (void)state;
  smv_result *r = follow_chain("s2");
  assert_int_equal(r->outcome, SMV_OUTCOME_ERROR);
  assert_int_equal(r->error, SMV_ERR_AUTHORIZATION_STATE);
  assert_int_equal(smv_exit_code(r->error), 8);
  assert_false(r->authorization.present);
  smv_result_free(r);
}

/* Every allocation of the copy fails in turn: NOMEM, and nothing of the partial copy is left. */
static void test_copy_allocation_failures(void **state) {
  (void)state;
  smv_result *r = follow_chain("s1");
  assert_int_equal(r->outcome, SMV_OUTCOME_RETURN_URL);
  smv_test_failer f;
  smv_allocator hook = smv_test_failer_init(&f, -1);
  smv__alloc a;
  smv__alloc_init(&a, &hook);
  smv_result *c = NULL;
  assert_int_equal(smv__result_copy(&a, r, &c), 0);
  long total = f.count;
  assert_true(total > 20); /* the struct, the strings, the hops and theirs */
  smv__result_clear(&a, c);
  smv__free(&a, c);
  assert_int_equal(f.live, 0);
  for (long n = 0; n < total; n++) {
    hook = smv_test_failer_init(&f, n);
    smv__alloc_init(&a, &hook);
    c = (smv_result *)1;
    assert_int_equal(smv__result_copy(&a, r, &c), SMV_ERR_NOMEM);
    assert_null(c);
    assert_true(f.failed);
    if (f.live) fail_msg("allocation %ld of the copy failed: %ld blocks left", n, f.live);
  }
  smv_result_free(r);
}

/* One rule for both versioned structs: versions 1..current taken, later fields at their defaults,
 * others refused. */
static void test_versions(void **state) {
  (void)state;
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  smv_client *cl = NULL;
  for (int v = 1; v <= SMV_CLIENT_OPTIONS_VERSION; v++) {
    smv_client_options o = {.version = v, .cacert_file = srv.ca};
    assert_int_equal(smv_client_new(&loop, &o, &cl), 0);
    smv_config cfg;
    smv_config_init(&cfg);
    for (int cv = 1; cv <= SMV_CONFIG_VERSION; cv++) {
      cfg.version = cv;
      smv_flow *fl;
      assert_int_equal(smv_flow_start(cl, "https://127.0.0.1:1/x", &cfg, NULL, NULL, &fl), 0);
      smv_flow_cancel(fl);
    }
    cfg.version = 0;
    assert_int_equal(smv_flow_start(cl, "https://127.0.0.1:1/x", &cfg, NULL, NULL, NULL), SMV_ERR_INVALID_ARG);
    cfg.version = SMV_CONFIG_VERSION + 1;
    assert_int_equal(smv_flow_start(cl, "https://127.0.0.1:1/x", &cfg, NULL, NULL, NULL), SMV_ERR_INVALID_ARG);
    smv_client_free(cl);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  smv_client_options bad = {.version = 0};
  assert_int_equal(smv_client_new(&loop, &bad, &cl), SMV_ERR_INVALID_ARG);
  bad.version = SMV_CLIENT_OPTIONS_VERSION + 1;
  assert_int_equal(smv_client_new(&loop, &bad, &cl), SMV_ERR_INVALID_ARG);
  /* the documented refusals of smv_client_new */
  smv_client_options tls = {.version = SMV_CLIENT_OPTIONS_VERSION, .tls_min_version = 13, .tls_max_version = 12};
  assert_int_equal(smv_client_new(&loop, &tls, &cl), SMV_ERR_INVALID_ARG);
  tls.tls_min_version = 11;
  tls.tls_max_version = 0;
  assert_int_equal(smv_client_new(&loop, &tls, &cl), SMV_ERR_INVALID_ARG);
  smv_allocator partial;
  memset(&partial, 0, sizeof(partial));
  smv_client_options al = {.version = SMV_CLIENT_OPTIONS_VERSION, .allocator = &partial};
  assert_int_equal(smv_client_new(&loop, &al, &cl), SMV_ERR_INVALID_ARG);
  smv_client_options nocert = {.version = SMV_CLIENT_OPTIONS_VERSION, .cacert_file = "/nonexistent/ca.pem"};
  assert_int_equal(smv_client_new(&loop, &nocert, &cl), SMV_ERR_TLS_CACERT);
  assert_int_equal(smv_client_new(NULL, NULL, &cl), SMV_ERR_INVALID_ARG);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_follow_sync_every_field),
    cmocka_unit_test(test_follow_sync_wrong_state),
    cmocka_unit_test(test_copy_allocation_failures),
    cmocka_unit_test(test_versions),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
