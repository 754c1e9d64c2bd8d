/* Whole flows on a fake network, without root: a platform table of the test's own (installed with
 * the client's test seam, smv__client_set_platform) says there is one cellular interface and decides
 * whether binding and the post-connect address check succeed and when the path goes away. The
 * connections themselves go to the test server on loopback. Each fail-closed rule is checked
 * end to end: the error, and that nothing further was connected. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include "helpers/test_server.h"
#include "io/client.h"
#include "smv.h"

static uv_loop_t loop;
static smv_test_server srv;

typedef struct fake {
  int binds;             /* sockets bound (each TCP connection is one) */
  int bind_result;       /* what bind_socket answers */
  int local_result;      /* what check_local answers */
  int lose_after_hop;    /* -1: never; n: the path goes away once hop n has its response */
  int pipe_fd[2];        /* the watch's fd: readable when the path changed */
  int lost;
} fake;

static fake F;

static int f_snapshot(void *ud, smv__snapshot *out) {
  (void)ud;
  memset(out, 0, sizeof(*out));
  smv__path *p = &out->paths[0];
  snprintf(p->name, sizeof(p->name), "rmnet_data0");
  p->ifindex = 7;
  p->arphrd = 519; /* ARPHRD_RAWIP: a modem's data channel */
  p->flags = 0x1 | 0x40; /* IFF_UP | IFF_RUNNING */
  p->operstate = 6;
  p->tun_flags = -1;
  smv__addr_parse("127.0.0.1/8", &p->addrs[0]);
  p->naddrs = 1;
  p->default4 = 1;
  out->count = 1;
  snprintf(out->source, sizeof(out->source), "fake");
  return SMV_OK;
}

static int f_bind(void *ud, const smv__path *path, int fd) {
  (void)ud, (void)path, (void)fd;
  F.binds++;
  return F.bind_result;
}

static int f_check_local(void *ud, const smv__path *path, int fd, char *local, size_t len) {
  (void)ud, (void)path, (void)fd;
  if (local && len) local[0] = '\0';
  return F.local_result;
}

static int f_dns(void *ud, const smv__path *path, const char *override_csv, smv__dns_list *out) {
  (void)ud, (void)path, (void)override_csv;
  return smv__dns_parse_csv("127.0.0.1", out);
}

static int f_watch_start(void *ud, const smv__path *path, smv__path_watch *w) {
  (void)ud;
  memset(w, 0, sizeof(*w));
  snprintf(w->name, sizeof(w->name), "%s", path->name);
  w->fd = F.pipe_fd[0];
  w->aux_fd = -1;
  return SMV_OK;
}

static int f_watch_process(void *ud, smv__path_watch *w) {
  (void)ud;
  char b[16];
  while (read(w->fd, b, sizeof(b)) > 0) {
  }
  if (F.lost) {
    w->lost = 1;
    snprintf(w->reason, sizeof(w->reason), "%s went down", w->name);
    return SMV_ERR_PATH_LOST;
  }
  return SMV_OK;
}

static void f_watch_stop(void *ud, smv__path_watch *w) {
  (void)ud;
  w->fd = -1; /* the test owns the pipe */
}

static const smv__platform_ops fake_ops = {
  .version = SMV__PLATFORM_OPS_VERSION,
  .name = "fake",
  .snapshot = f_snapshot,
  .bind_socket = f_bind,
  .check_local = f_check_local,
  .dns_servers = f_dns,
  .watch_start = f_watch_start,
  .watch_process = f_watch_process,
  .watch_stop = f_watch_stop,
};

typedef struct run {
  int done, outcome, error;
  size_t hops;
} run;

static void on_done(smv_flow *fl, const smv_result *r, void *ud) {
  (void)fl;
  run *x = ud;
  x->done = 1;
  x->outcome = r->outcome;
  x->error = r->error;
  x->hops = r->hop_count;
}

/* The path goes away as the response of hop n comes in (the trace's response event). */
static void on_trace(void *ud, int hop, smv_trace_phase phase, double ms, const char *url, const char *detail) {
  (void)ud, (void)ms, (void)url, (void)detail;
  if (phase == SMV_TRACE_RESPONSE && hop - 1 == F.lose_after_hop && !F.lost) {
    F.lost = 1;
    ssize_t n = write(F.pipe_fd[1], "x", 1);
    (void)n;
  }
}

static run one_flow(const char *path) {
  smv_client_options o = {.version = SMV_CLIENT_OPTIONS_VERSION, .cacert_file = srv.ca};
  smv_client *cl = NULL;
  assert_int_equal(smv_client_new(&loop, &o, &cl), 0);
  smv__platform p = {&fake_ops, NULL};
  assert_int_equal(smv__client_set_platform(cl, &p), 0);
  smv_config cfg;
  smv_config_init(&cfg);
  cfg.return_url = "myapp://verified";
  cfg.max_time_ms = 5000;
  cfg.trace = on_trace;
  char url[256];
  snprintf(url, sizeof(url), "%s%s", srv.https, path);
  run r;
  memset(&r, 0, sizeof(r));
  assert_int_equal(smv_flow_start(cl, url, &cfg, on_done, &r, NULL), 0);
  for (int i = 0; !r.done && i < 100000; i++) uv_run(&loop, UV_RUN_ONCE);
  smv_client_free(cl);
  for (int i = 0; i < 200; i++) uv_run(&loop, UV_RUN_NOWAIT);
  return r;
}

static void reset_fake(void) {
  F.binds = 0;
  F.bind_result = SMV_OK;
  F.local_result = SMV_OK;
  F.lose_after_hop = -1;
  F.lost = 0;
}

static int setup(void **state) {
  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  char err[256];
  if (smv_test_server_start(&srv, &loop, NULL, err, sizeof(err)) != 0) fail_msg("%s", err);
  assert_int_equal(pipe2(F.pipe_fd, O_NONBLOCK | O_CLOEXEC), 0);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  close(F.pipe_fd[0]);
  close(F.pipe_fd[1]);
  return smv_test_server_stop(&srv) == 0 && uv_loop_close(&loop) == 0 ? 0 : -1;
}

/* The fake network carries the whole chain: the table is really the one in use. */
static void test_chain_on_fake_path(void **state) {
  (void)state;
  reset_fake();
  run r = one_flow("/chain/start");
  assert_int_equal(r.error, 0);
  assert_int_equal(r.outcome, SMV_OUTCOME_RETURN_URL);
  assert_int_equal(F.binds, 2); /* A (kept alive for hop 3) and B */
}

/* The path goes away after hop 1: the flow ends with PATH_LOST, and hop 2 never connects. */
static void test_path_lost_after_hop_1(void **state) {
  (void)state;
  reset_fake();
  F.lose_after_hop = 0;
  run r = one_flow("/chain/start");
  assert_int_equal(r.outcome, SMV_OUTCOME_ERROR);
  assert_int_equal(r.error, SMV_ERR_PATH_LOST);
  assert_int_equal(F.binds, 1);
}

/* A bind that fails, fails the flow: nothing is connected unbound. */
static void test_bind_refused(void **state) {
  (void)state;
  reset_fake();
  F.bind_result = SMV_ERR_PATH_BIND;
  uint64_t before = smv__testserver_connections(srv.ts);
  run r = one_flow("/chain/start");
  assert_int_equal(r.error, SMV_ERR_PATH_BIND);
  assert_int_equal(smv_exit_code(r.error), 3);
  assert_int_equal(smv__testserver_connections(srv.ts), before); /* not even a SYN got through */
}

/* A connection whose local address is not the path's is dropped before a byte is sent. */
static void test_local_address_refused(void **state) {
  (void)state;
  reset_fake();
  F.local_result = SMV_ERR_PATH_LOCAL_ADDR;
  uint64_t before = smv__testserver_requests(srv.ts);
  run r = one_flow("/chain/start");
  assert_int_equal(r.error, SMV_ERR_PATH_LOCAL_ADDR);
  assert_int_equal(F.binds, 1);
  for (int i = 0; i < 50; i++) uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(smv__testserver_requests(srv.ts), before); /* no request reached the server */
}

/* A table of another version, or without an operation the flow needs, is refused. */
static void test_table_version_checked(void **state) {
  (void)state;
  smv_client *cl = NULL;
  assert_int_equal(smv_client_new(&loop, NULL, &cl), 0);
  smv__platform_ops old = fake_ops;
  old.version = SMV__PLATFORM_OPS_VERSION - 1;
  smv__platform p = {&old, NULL};
  assert_int_equal(smv__client_set_platform(cl, &p), SMV_ERR_INVALID_ARG);
  smv__platform_ops partial = fake_ops;
  partial.bind_socket = NULL;
  p.ops = &partial;
  assert_int_equal(smv__client_set_platform(cl, &p), SMV_ERR_INVALID_ARG);
  p.ops = &fake_ops;
  assert_int_equal(smv__client_set_platform(cl, &p), 0);
  smv_client_free(cl);
  uv_run(&loop, UV_RUN_NOWAIT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_chain_on_fake_path),
    cmocka_unit_test(test_path_lost_after_hop_1),
    cmocka_unit_test(test_bind_refused),
    cmocka_unit_test(test_local_address_refused),
    cmocka_unit_test(test_table_version_checked),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
