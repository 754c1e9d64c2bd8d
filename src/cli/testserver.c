/* `smv testserver`: runs the scripted test server (src/server/testserver.h) until SIGINT/SIGTERM,
 * so that integration tests and the README's first command have HTTPS and HTTP chains to follow. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "cli/cli.h"
#include "server/testserver.h"

typedef struct ts_cli {
  smv__testserver *ts;
  uv_signal_t sigint, sigterm;
  int stopping;
} ts_cli;

static void ts_cli_usage(FILE *f) {
  fputs("usage: smv testserver [--script FILE | --scenario NAME] [--log FILE] [--dir DIR]\n"
        "                      [--cert good|expired|wrong-host] [--bind IP]\n"
        "                      [--https-port N] [--http-port N]\n"
        "Serves a route table over HTTPS and HTTP on loopback and prints one JSON line when ready:\n"
        "  {\"https\":\"https://127.0.0.1:P\",\"http\":\"http://127.0.0.1:Q\",\"ca\":\"PATH\"}\n"
        "Built-in scenarios (each also served at its own path; NAME aliases it at /start):\n",
        f);
  for (const char *const *n = smv__testserver_scenarios(); *n; n++)
    fprintf(f, "  %-14s %s\n", *n, smv__testserver_scenario_start(*n));
}

static void ts_cli_stopped(void *data) {
  ts_cli *cli = data;
  uv_close((uv_handle_t *)&cli->sigint, NULL);
  uv_close((uv_handle_t *)&cli->sigterm, NULL);
}

static void ts_cli_signal(uv_signal_t *h, int signum) {
  ts_cli *cli = h->data;
  (void)signum;
  if (cli->stopping) return;
  cli->stopping = 1;
  smv__testserver_stop(cli->ts, ts_cli_stopped, cli);
}

static int ts_cli_port(const char *s, unsigned *out) {
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (!*s || *end || v > 65535) return -1;
  *out = (unsigned)v;
  return 0;
}

int smv__cli_testserver(int argc, char **argv) {
  smv__testserver_opts o;
  memset(&o, 0, sizeof(o));
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      ts_cli_usage(stdout);
      return 0;
    }
    if (!v) {
      fprintf(stderr, "smv testserver: unknown option or missing value: %s\n", a);
      ts_cli_usage(stderr);
      return 2;
    }
    i++;
    if (strcmp(a, "--script") == 0) o.script_path = v;
    else if (strcmp(a, "--scenario") == 0) o.scenario = v;
    else if (strcmp(a, "--log") == 0) o.log_path = v;
    else if (strcmp(a, "--dir") == 0) o.dir = v;
    else if (strcmp(a, "--bind") == 0) o.bind_ip = v;
    else if (strcmp(a, "--https-port") == 0 && ts_cli_port(v, &o.https_port) == 0) continue;
    else if (strcmp(a, "--http-port") == 0 && ts_cli_port(v, &o.http_port) == 0) continue;
    else if (strcmp(a, "--cert") == 0) {
      if (strcmp(v, "good") == 0) o.cert = SMV__TS_CERT_GOOD;
      else if (strcmp(v, "expired") == 0) o.cert = SMV__TS_CERT_EXPIRED;
      else if (strcmp(v, "wrong-host") == 0 || strcmp(v, "wronghost") == 0)
        o.cert = SMV__TS_CERT_WRONG_HOST;
      else {
        fprintf(stderr, "smv testserver: --cert good|expired|wrong-host\n");
        return 2;
      }
    } else {
      fprintf(stderr, "smv testserver: bad option %s %s\n", a, v);
      ts_cli_usage(stderr);
      return 2;
    }
  }

  signal(SIGPIPE, SIG_IGN);
  uv_loop_t loop;
  if (uv_loop_init(&loop) != 0) return 1;
  ts_cli cli;
  memset(&cli, 0, sizeof(cli));
  char err[512] = "";
  int rc = smv__testserver_start(&loop, &o, &cli.ts, err, sizeof(err));
  if (rc != 0) {
    fprintf(stderr, "smv testserver: %s\n", err[0] ? err : smv_strerror(rc));
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return rc == SMV_ERR_INVALID_ARG ? 2 : 1;
  }
  uv_signal_init(&loop, &cli.sigint);
  uv_signal_init(&loop, &cli.sigterm);
  cli.sigint.data = cli.sigterm.data = &cli;
  uv_signal_start(&cli.sigint, ts_cli_signal, SIGINT);
  uv_signal_start(&cli.sigterm, ts_cli_signal, SIGTERM);
  printf("%s\n", smv__testserver_ready_json(cli.ts));
  fflush(stdout);
  uv_run(&loop, UV_RUN_DEFAULT);
  smv__testserver_free(cli.ts);
  uv_loop_close(&loop);
  return 0;
}
