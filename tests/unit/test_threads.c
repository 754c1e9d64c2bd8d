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

#include "helpers/testserver_fixture.h"
#include "server/testserver.h"
#include "smv.h"

#define THREADS 4
#define FLOWS_PER_THREAD 6

static uv_loop_t srv_loop;
static uv_async_t srv_stop;
static uv_thread_t srv_thread;
static smv__testserver *ts;
static char start_url[160], ca_path[512];

typedef struct counter {
  long allocs, live;
} counter;

/* The hooks are called only from the thread that owns the counter: no lock needed, and a block that
 * reached another thread's hook would show up as a count that does not come back to 0. */
static void *c_malloc(size_t n, void *ud) {
  counter *c = ud;
  void *p = malloc(n);
  if (p) c->allocs++, c->live++;
  return p;
}
static void *c_realloc(void *p, size_t n, void *ud) {
  counter *c = ud;
  void *q = realloc(p, n);
  if (q && !p) c->allocs++, c->live++;
  return q;
}
static void c_free(void *p, void *ud) {
  counter *c = ud;
  if (p) c->live--;
  free(p);
}

typedef struct worker {
  uv_thread_t thread;
  counter count;
  int ok, failed;
  char first_error[160];
} worker;

static void work(void *arg) {
  worker *w = arg;
  smv_allocator hook = {c_malloc, c_realloc, c_free, &w->count};
  smv_client_options o = {.version = SMV_CLIENT_OPTIONS_VERSION, .allocator = &hook, .cacert_file = ca_path};
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

static void srv_run(void *arg) {
  (void)arg;
  uv_run(&srv_loop, UV_RUN_DEFAULT);
}

static void srv_stopped(void *d) { (void)d; }

static void on_stop(uv_async_t *a) {
  smv__testserver_stop(ts, srv_stopped, NULL);
  uv_close((uv_handle_t *)a, NULL);
}

static int setup(void **state) {
  (void)state;
  assert_int_equal(uv_loop_init(&srv_loop), 0);
  char https[128];
  ts = smv_test_server_start(&srv_loop, https, sizeof(https), ca_path, sizeof(ca_path));
  snprintf(start_url, sizeof(start_url), "%s/chain/start", https);
  assert_int_equal(uv_async_init(&srv_loop, &srv_stop, on_stop), 0);
  assert_int_equal(uv_thread_create(&srv_thread, srv_run, NULL), 0);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  uv_async_send(&srv_stop);
  uv_thread_join(&srv_thread);
  smv__testserver_free(ts);
  uv_run(&srv_loop, UV_RUN_DEFAULT);
  return uv_loop_close(&srv_loop) == 0 ? 0 : -1;
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
    assert_true(w[i].count.allocs > 0);
    if (w[i].count.live != 0) fail_msg("thread %d: %ld blocks of its allocator not returned", i, w[i].count.live);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_clients_on_several_threads),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
