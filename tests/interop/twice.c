/* Two flows to one URL on one smv_client, one after the other: what an app that verifies twice does.
 * The second flow's connection resumes the first one's TLS session when the server allows it (the
 * client's session cache outlives a flow). tests/interop uses it against servers that cannot send a
 * redirect (gnutls-serv answers every request with 200), where a chain cannot come back to them.
 * Usage: smv_interop_twice URL CACERT; prints each result's JSON object on a line; exits with the
 * second flow's exit status (the first one's when it failed). */
#include <stdio.h>
#include <stdlib.h>

#include <smv.h>
#include <uv.h>

typedef struct run {
  uv_loop_t *loop;
  smv_client *client;
  const char *url;
  smv_config cfg;
  int done;
  int status;
} run;

static void on_done(smv_flow *f, const smv_result *r, void *ud) {
  (void)f;
  run *x = ud;
  char *json = smv_result_json(r, 0);
  printf("%s\n", json ? json : "{}");
  free(json);
  x->done++;
  x->status = smv_exit_code(r->error);
  if (x->done == 1 && x->status == 0 &&
      smv_flow_start(x->client, x->url, &x->cfg, on_done, x, NULL) == 0)
    return;
  uv_stop(x->loop); /* idle keep-alive connections would hold the loop */
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: smv_interop_twice URL CACERT\n");
    return 2;
  }
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) return 1;
  smv_client_options o = {0};
  o.version = SMV_CLIENT_OPTIONS_VERSION;
  o.cacert_file = argv[2];
  run x = {0};
  x.loop = &loop;
  x.url = argv[1];
  smv_config_init(&x.cfg);
  x.cfg.interface = "lo";
  x.cfg.declared_carrier = 1;
  x.cfg.max_time_ms = 8000;
  x.cfg.connect_timeout_ms = 5000;
  if (smv_client_new(&loop, &o, &x.client) != 0) return 1;
  if (smv_flow_start(x.client, x.url, &x.cfg, on_done, &x, NULL) != 0) return 1;
  uv_run(&loop, UV_RUN_DEFAULT);
  smv_client_free(x.client);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return x.status;
}
