/* `smv sandbox`: the verification service and operator simulator as a process. It prints the ready
 * line of the CLI contract on stdout once it listens, narrates on stderr with -v, and drains and
 * exits 0 on SIGTERM or SIGINT. */
#include <signal.h>
#include <stdio.h>

#include "io/readfile.h"
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "sandbox/sandbox.h"
#include "smv.h"

int smv__cli_sandbox(int argc, char **argv);

static void usage(FILE *f) {
  fputs("usage: smv sandbox [--config FILE] [--port N] [--api-port N] [--operator-port N]\n"
        "                   [--listen IP] [--state-dir DIR] [-v]\n"
        "  --config FILE      JSON configuration (see docs/sandbox.md)\n"
        "  --port N           API port N and operator port N+1; 0: free ports (default)\n"
        "  --api-port N       HTTPS port of the service API and the device endpoint\n"
        "  --operator-port N  plain-HTTP port of the operator's header enrichment\n"
        "  --listen IP        address of both listeners (default 127.0.0.1)\n"
        "  --state-dir DIR    keep the CA and the callback journal here (restart-safe);\n"
        "                     default: a fresh temporary directory\n"
        "  -v                 narrate every request and callback on stderr\n"
        "Prints one JSON line when ready: {\"api\":..,\"operator\":..,\"ca\":..,\"user\":..,"
        "\"password\":..}\n",
        f);
}

typedef struct cli {
  uv_loop_t loop;
  uv_signal_t sigterm, sigint;
  smv__sandbox *sb;
  int verbose;
} cli;

static void log_line(void *ud, const char *line) {
  cli *c = ud;
  if (c->verbose) fprintf(stderr, "sandbox: %s\n", line);
}

static void stopped(void *data) {
  cli *c = data;
  uv_close((uv_handle_t *)&c->sigterm, NULL);
  uv_close((uv_handle_t *)&c->sigint, NULL);
}

static void on_signal(uv_signal_t *s, int signum) {
  cli *c = s->data;
  (void)signum;
  uv_signal_stop(&c->sigterm);
  uv_signal_stop(&c->sigint);
  if (c->sb) smv__sandbox_stop(c->sb, stopped, c);
  c->sb = NULL;
}

static int parse_port(const char *s, uint16_t *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < 0 || v > 65535) return -1;
  *out = (uint16_t)v;
  return 0;
}


int smv__cli_sandbox(int argc, char **argv) {
  const char *config = NULL, *listen = NULL, *state = NULL;
  int port_set = 0, api_set = 0, op_set = 0, verbose = 0;
  uint16_t port = 0, api = 0, op = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "-v")) {
      verbose = 1;
    } else if (v && !strcmp(a, "--config")) {
      config = v, i++;
    } else if (v && !strcmp(a, "--listen")) {
      listen = v, i++;
    } else if (v && !strcmp(a, "--state-dir")) {
      state = v, i++;
    } else if (v && !strcmp(a, "--port") && !parse_port(v, &port)) {
      port_set = 1, i++;
    } else if (v && !strcmp(a, "--api-port") && !parse_port(v, &api)) {
      api_set = 1, i++;
    } else if (v && !strcmp(a, "--operator-port") && !parse_port(v, &op)) {
      op_set = 1, i++;
    } else {
      fprintf(stderr, "smv sandbox: bad argument: %s\n", a);
      usage(stderr);
      return 2;
    }
  }
  smv__sb_config cfg;
  if (smv__sb_config_defaults(&cfg)) return 1;
  if (config) {
    size_t len = 0;
    char *text = smv__read_file(config, 16u << 20, &len);
    char err[300];
    if (!text) {
      fprintf(stderr, "smv sandbox: cannot read %s\n", config);
      smv__sb_config_free(&cfg);
      return 2;
    }
    int rc = smv__sb_config_parse(&cfg, text, len, err, sizeof(err));
    free(text);
    if (rc) {
      fprintf(stderr, "smv sandbox: %s: %s\n", config, err);
      smv__sb_config_free(&cfg);
      return 2;
    }
  }
  if (listen) {
    smv__sb_addr a;
    if (smv__sb_addr_parse(&a, listen) || strlen(listen) >= sizeof(cfg.listen_ip)) {
      fprintf(stderr, "smv sandbox: --listen wants an IP address\n");
      smv__sb_config_free(&cfg);
      return 2;
    }
    snprintf(cfg.listen_ip, sizeof(cfg.listen_ip), "%s", listen); /* the length was checked above */
  }
  if (port_set) {
    cfg.api_port = port;
    cfg.operator_port = port ? (uint16_t)(port + 1) : 0;
  }
  if (api_set) cfg.api_port = api;
  if (op_set) cfg.operator_port = op;
  if (state) snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", state);

  signal(SIGPIPE, SIG_IGN);
  cli c;
  memset(&c, 0, sizeof(c));
  c.verbose = verbose;
  uv_loop_init(&c.loop);
  char err[512] = "";
  int rc = smv__sandbox_start(&c.loop, &cfg, log_line, &c, &c.sb, err, sizeof(err));
  if (rc) {
    fprintf(stderr, "smv sandbox: %s\n", err[0] ? err : smv_strerror(rc));
    uv_loop_close(&c.loop);
    smv__sb_config_free(&cfg);
    return 1;
  }
  uv_signal_init(&c.loop, &c.sigterm);
  uv_signal_init(&c.loop, &c.sigint);
  c.sigterm.data = c.sigint.data = &c;
  uv_signal_start(&c.sigterm, on_signal, SIGTERM);
  uv_signal_start(&c.sigint, on_signal, SIGINT);
  char line[2048];
  if (!smv__sandbox_ready_line(c.sb, line, sizeof(line))) {
    fprintf(stderr, "smv sandbox: ready line too long\n");
    return 1;
  }
  printf("%s\n", line);
  fflush(stdout);
  uv_run(&c.loop, UV_RUN_DEFAULT);
  uv_loop_close(&c.loop);
  smv__sb_config_free(&cfg);
  return 0;
}
