/* smv_bench_next_flow: flows one after the other on one smv_client, as an app's process would run
 * them, for tests/bench/rtt.sh: the first flow of a client pays for everything; the next one may
 * reuse what the client kept (idle connections, TLS tickets, and cached DNS answers once the client
 * has them). The CLI cannot show that: it is one client per process.
 *
 *   smv_bench_next_flow [--cacert FILE] [--interface IF] [--carrier IF] [--return-url URL]
 *                       [--pause-ms N] URL...
 *
 * --pause-ms waits that long between flows (on the loop, so idle connections see the server close
 * them, as they would between an app's verifications minutes apart).
 *
 * Prints one line per flow: {"flow": N, "wall_ms": M, "result": <smv_result_json>}, where wall_ms
 * runs from smv_flow_start to the done callback (uv_hrtime). Exit 0 when every flow ended at the
 * returnUrl or completed, 1 otherwise, 2 on bad usage. */
#include <smv.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct run {
  uv_loop_t *loop;
  uint64_t start_ns;
  int index, failed;
} run;

static void done(smv_flow *flow, const smv_result *r, void *user) {
  (void)flow;
  run *st = user;
  double ms = (double)(uv_hrtime() - st->start_ns) / 1e6;
  char *j = smv_result_json(r, 0);
  printf("{\"flow\": %d, \"wall_ms\": %.3f, \"result\": %s}\n", st->index, ms, j ? j : "null");
  fflush(stdout);
  free(j);
  if (r->outcome != SMV_OUTCOME_RETURN_URL && r->outcome != SMV_OUTCOME_COMPLETED) st->failed = 1;
  /* the client keeps idle connections (and their handles) for the next flow: stop here rather than
   * wait for the loop to run dry */
  uv_stop(st->loop);
}

static void stop_loop(uv_timer_t *t) { uv_stop(t->loop); }

static void usage(void) {
  fputs("usage: smv_bench_next_flow [--cacert FILE] [--interface IF] [--carrier IF] [--return-url URL]\n"
        "                           [--pause-ms N] URL...\n",
        stderr);
  exit(2);
}

int main(int argc, char **argv) {
  smv_client_options o;
  memset(&o, 0, sizeof(o));
  o.version = SMV_CLIENT_OPTIONS_VERSION;
  smv_config cfg;
  smv_config_init(&cfg);
  unsigned long pause_ms = 0;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i += 2) {
    if (i + 1 >= argc) usage();
    if (!strcmp(argv[i], "--cacert")) o.cacert_file = argv[i + 1];
    else if (!strcmp(argv[i], "--interface")) cfg.interface = argv[i + 1];
    else if (!strcmp(argv[i], "--carrier")) cfg.interface = argv[i + 1], cfg.declared_carrier = 1;
    else if (!strcmp(argv[i], "--return-url")) cfg.return_url = argv[i + 1];
    else if (!strcmp(argv[i], "--pause-ms")) pause_ms = strtoul(argv[i + 1], NULL, 10);
    else usage();
  }
  if (i >= argc) usage();
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) return 1;
  smv_client *client = NULL;
  int rc = smv_client_new(&loop, &o, &client);
  if (rc != 0) {
    fprintf(stderr, "smv_bench_next_flow: client: %s\n", smv_strerror(rc));
    return 1;
  }
  int failed = 0;
  uv_timer_t pause;
  uv_timer_init(&loop, &pause);
  for (int k = 0; i < argc; i++, k++) {
    if (k > 0 && pause_ms) {
      uv_timer_start(&pause, stop_loop, pause_ms, 0);
      uv_run(&loop, UV_RUN_DEFAULT);
    }
    run st = {.loop = &loop, .start_ns = uv_hrtime(), .index = k + 1};
    rc = smv_flow_start(client, argv[i], &cfg, done, &st, NULL);
    if (rc != 0) {
      fprintf(stderr, "smv_bench_next_flow: %s: %s\n", argv[i], smv_strerror(rc));
      failed = 1;
      break;
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    failed |= st.failed;
  }
  uv_close((uv_handle_t *)&pause, NULL);
  smv_client_free(client);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return failed;
}
