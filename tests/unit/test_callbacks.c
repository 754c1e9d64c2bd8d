/* What include/smv.h promises about calls made from smv's callbacks ("Threads and callbacks"): from
 * a done callback an application may start new flows on the same client, cancel its other flows,
 * cancel the flow being reported (nothing happens), serialize the result, and free the client. Each
 * case runs whole flows against the test server on the same loop; under ASan (CI) a use after free
 * in any of them fails the test. The allocator hook must get back every block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uv.h>

#include "helpers/failing_alloc.h"
#include "helpers/test_server.h"
#include "smv.h"

static uv_loop_t loop;
static smv_test_server srv;
#define https_base srv.https
#define ca_path srv.ca
static smv_test_failer counter; /* never fails: counts the blocks the client holds */
#define live counter.live
static smv_allocator hook;

typedef struct ctx {
  smv_client *client;
  smv_config cfg;
  char url[256];
  smv_flow *other;        /* a flow to cancel from the first callback */
  int done, cancelled, second_done, second_error, first_error, json_ok, free_client;
} ctx;

static void second_done(smv_flow *f, const smv_result *r, void *ud) {
  (void)f;
  ctx *c = ud;
  c->second_done++;
  c->second_error = r->error;
  if (r->error == SMV_ERR_CANCELLED) c->cancelled++;
}

static void first_done(smv_flow *f, const smv_result *r, void *ud) {
  ctx *c = ud;
  c->done++;
  c->first_error = r->error;
  smv_flow_cancel(f); /* the flow being reported: nothing happens, no second call */
  char *j = smv_result_json(r, 0);
  c->json_ok = j && strstr(j, "\"outcome\"") != NULL;
  free(j);
  if (c->other) smv_flow_cancel(c->other); /* runs the other flow's callback now, nested */
  if (c->free_client) {
    smv_client_free(c->client);
    c->client = NULL;
    return;
  }
  if (!c->other && c->done == 1) /* a new flow on the same client, from inside the callback */
    assert_int_equal(smv_flow_start(c->client, c->url, &c->cfg, second_done, c, NULL), 0);
}

static void run_until(ctx *c, int *flag) {
  for (int i = 0; !*flag && i < 200000; i++) uv_run(&loop, UV_RUN_ONCE);
  (void)c;
}

static void drain(void) {
  for (int i = 0; live > 0 && i < 5000; i++) uv_run(&loop, UV_RUN_NOWAIT);
}

static void ctx_init(ctx *c, const char *path) {
  memset(c, 0, sizeof(*c));
  smv_client_options o = {.version = SMV_CLIENT_OPTIONS_VERSION, .cacert_file = ca_path, .allocator = &hook};
  assert_int_equal(smv_client_new(&loop, &o, &c->client), 0);
  smv_config_init(&c->cfg);
  c->cfg.interface = "lo";
  c->cfg.declared_carrier = 1;
  c->cfg.return_url = "myapp://verified";
  c->cfg.max_time_ms = 10000;
  snprintf(c->url, sizeof(c->url), "%s%s", https_base, path);
}

static void test_start_from_callback(void **state) {
  (void)state;
  ctx c;
  ctx_init(&c, "/chain/start");
  assert_int_equal(smv_flow_start(c.client, c.url, &c.cfg, first_done, &c, NULL), 0);
  run_until(&c, &c.second_done);
  assert_int_equal(c.done, 1);
  assert_int_equal(c.first_error, 0);
  assert_true(c.json_ok);
  assert_int_equal(c.second_done, 1);
  assert_int_equal(c.second_error, 0);
  smv_client_free(c.client);
  drain();
  assert_int_equal(live, 0);
}

/* A slow flow and a quick one on the same client; the quick one's callback cancels the slow one
 * (free_client 0) or frees the whole client (1): either way the slow flow's callback runs, nested,
 * with SMV_ERR_CANCELLED, and nothing of the client is left. */
static void slow_and_quick(int free_client) {
  ctx c;
  ctx_init(&c, "/token");
  char slow[256];
  snprintf(slow, sizeof(slow), "%s/stall", https_base);
  c.free_client = free_client;
  assert_int_equal(smv_flow_start(c.client, slow, &c.cfg, second_done, &c, free_client ? NULL : &c.other), 0);
  assert_int_equal(smv_flow_start(c.client, c.url, &c.cfg, first_done, &c, NULL), 0);
  run_until(&c, &c.done);
  assert_int_equal(c.done, 1);
  assert_int_equal(c.second_done, 1);
  assert_int_equal(c.cancelled, 1);
  if (free_client) assert_null(c.client);
  else smv_client_free(c.client);
  drain();
  assert_int_equal(live, 0);
}

static void test_cancel_other_from_callback(void **state) {
  (void)state;
  slow_and_quick(0);
}

static void test_free_client_from_callback(void **state) {
  (void)state;
  slow_and_quick(1);
}

static int setup(void **state) {
  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  hook = smv_test_failer_init(&counter, -1);
  char err[256];
  if (smv_test_server_start(&srv, &loop, NULL, err, sizeof(err)) != 0) fail_msg("%s", err);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return smv_test_server_stop(&srv) == 0 && uv_loop_close(&loop) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_start_from_callback),
    cmocka_unit_test(test_cancel_other_from_callback),
    cmocka_unit_test(test_free_client_from_callback),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
