/* Clients on several threads at once: each thread runs whole chain flows with smv_follow_sync (its
 * own loop and client) against the test server, which runs on a thread of its own. Every flow must
 * complete, and every thread's allocator hook must get back exactly what it gave out: the library's
 * per-call state (the allocator mbedTLS's hooks use, the engine being driven) is per thread, and
 * mbedTLS's shared PSA state is locked. Under ASan (CI) this also catches memory handed across. */
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

#define THREADS 4
#define FLOWS_PER_THREAD 6

static smv_test_server srv;
static char start_url[160];

typedef struct worker {
  uv_thread_t thread;
  smv_test_failer count;  /* never fails: it counts what the thread's hook gives and gets back */
  int ok, failed;
  char first_error[160];
} worker;

static void work(void *arg) {
  worker *w = arg;
  smv_allocator hook = smv_test_failer_init(&w->count, -1);
  smv_client_options o = {.version = SMV_CLIENT_OPTIONS_VERSION, .allocator = &hook, .cacert_file = srv.ca};
  smv_config cfg;
  smv_config_init(&cfg);
  cfg.interface = "lo";
  cfg.declared_carrier = 1;
  cfg.return_url = "myapp://verified";
  cfg.max_time_ms = 20000;
  for (int i = 0; i < FLOWS_PER_THREAD; i++) {
    smv_result *r = NULL;
    int rc = smv_follow_sync(start_url, &cfg, &o, &r);
    if (rc == 0 && r->outcome == SMV_OUTCOME_RETURN_URL && r->stats.connections == 2) {
      w->ok++;
    } else {
      if (!w->failed)
        snprintf(w->first_error, sizeof(w->first_error), "%s",
                 rc ? smv_errname(rc) : r->error ? smv_errname(r->error) : "wrong outcome");
      w->failed++;
    }
    smv_result_free(r);
  }
}

static int setup(void **state) {
  (void)state;
  char err[256];
  if (smv_test_server_start(&srv, NULL, NULL, err, sizeof(err)) != 0) fail_msg("%s", err); /* a thread of its own */
  snprintf(start_url, sizeof(start_url), "%s/chain/start", srv.https);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return smv_test_server_stop(&srv);
}

static void test_clients_on_several_threads(void **state) {
  (void)state;
  static worker w[THREADS];
  memset(w, 0, sizeof(w));
  for (int i = 0; i < THREADS; i++) assert_int_equal(uv_thread_create(&w[i].thread, work, &w[i]), 0);
  for (int i = 0; i < THREADS; i++) uv_thread_join(&w[i].thread);
  for (int i = 0; i < THREADS; i++) {
    if (w[i].failed) fail_msg("thread %d: %d of %d flows failed (first: %s)", i, w[i].failed, FLOWS_PER_THREAD, w[i].first_error);
    assert_int_equal(w[i].ok, FLOWS_PER_THREAD);
    assert_true(w[i].count.count > 0);
    if (w[i].count.live != 0) fail_msg("thread %d: %ld blocks of its allocator not returned", i, w[i].count.live);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_clients_on_several_threads),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
