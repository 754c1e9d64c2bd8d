/* `smv sandbox`: the verification service and operator simulator as a process. It prints the ready
 * line of the CLI contract on stdout once it listens, narrates on stderr with -v, and drains and
 * exits 0 on SIGTERM or SIGINT.
 *
 * Two tools for an app backend's side of CAMARA, so that a script (curl) can authenticate with
 * private_key_jwt without a JWT library: `smv sandbox keygen` and `smv sandbox assertion`. */
#include <cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include <fcntl.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>
#include <stdlib.h>
#include <unistd.h>

#include "io/readfile.h"
#include <string.h>
#include <uv.h>

#include "core/alloc.h"
#include "io/tls.h"
#include "sandbox/sandbox.h"
#include "sandbox/sb_jwt.h"
#include "sandbox/sb_util.h"
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
        "\"password\":..,\"camara\":{..}}\n"
        "\n"
        "       smv sandbox keygen KEY.pem [--rsa]\n"
        "  a P-256 (or RSA 2048) private key for a CAMARA client, written to KEY.pem (mode 0600);\n"
        "  prints the public key (PEM) for the client's \"public_key\"\n"
        "       smv sandbox assertion --key KEY.pem --client-id ID --audience URL [--lifetime S]\n"
        "  prints a private_key_jwt client assertion (RFC 7523): iss = sub = ID, aud = URL, a fresh\n"
        "  jti, exp in S seconds (default 60), ES256 or RS256 after the key\n",
        f);
}

/* mbedTLS allocates through smv's hook (installed by smv__cli_sandbox): the default allocator. */
static smv__alloc *mbed_enter(void) { return smv__alloc_enter(NULL); }

static int cli_keygen(int argc, char **argv) {
  const char *out = NULL;
  int rsa = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--rsa")) rsa = 1;
    else if (!out && argv[i][0] != '-') out = argv[i];
    else return fprintf(stderr, "smv sandbox keygen: bad argument: %s\n", argv[i]), 2;
  }
  if (!out) return fprintf(stderr, "usage: smv sandbox keygen KEY.pem [--rsa]\n"), 2;
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  int rc = 1;
  static unsigned char priv[8192];
  char pub[4096];
  smv__alloc *prev = mbed_enter();
  int bad = rsa ? mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)) ||
                      mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), smv__sandbox_random, NULL, 2048, 65537)
                : smv__sb_jws_keygen_es256(&pk, smv__sandbox_random, NULL);
  bad = bad || mbedtls_pk_write_key_pem(&pk, priv, sizeof(priv)) ||
        smv__sb_jws_public_pem(&pk, pub, sizeof(pub));
  smv__alloc_leave(prev);
  if (bad) {
    fprintf(stderr, "smv sandbox keygen: key generation failed\n");
  } else {
    FILE *f = NULL;
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) f = fdopen(fd, "w");
    if (!f || fputs((const char *)priv, f) < 0 || fclose(f) != 0) {
      fprintf(stderr, "smv sandbox keygen: cannot write %s\n", out);
    } else {
      fputs(pub, stdout);
      rc = 0;
    }
  }
  memset(priv, 0, sizeof(priv));
  smv__sb_jws_key_free(&pk);
  return rc;
}

static int cli_assertion(int argc, char **argv) {
  const char *key = NULL, *id = NULL, *aud = NULL;
  long lifetime = 60;
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v && !strcmp(argv[i], "--key")) key = v, i++;
    else if (v && !strcmp(argv[i], "--client-id")) id = v, i++;
    else if (v && !strcmp(argv[i], "--audience")) aud = v, i++;
    else if (v && !strcmp(argv[i], "--lifetime")) lifetime = strtol(v, NULL, 10), i++;
    else return fprintf(stderr, "smv sandbox assertion: bad argument: %s\n", argv[i]), 2;
  }
  if (!key || !id || !aud || lifetime < 1 || lifetime > 3600)
    return fprintf(stderr, "usage: smv sandbox assertion --key KEY.pem --client-id ID --audience URL "
                           "[--lifetime 1..3600]\n"),
           2;
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  smv__alloc *prev = mbed_enter();
  int bad = mbedtls_pk_parse_keyfile(&pk, key, NULL, smv__sandbox_random, NULL);
  smv__alloc_leave(prev);
  if (bad || smv__sb_jws_key_alg(&pk) == SMV__SB_JWS_NONE) {
    fprintf(stderr, "smv sandbox assertion: %s is not a P-256 or RSA (2048+) private key\n", key);
    smv__sb_jws_key_free(&pk);
    return 1;
  }
  unsigned char r[16];
  char jti[32], claims[2048], jws[SMV__SB_JWS_MAX + 1];
  smv__sandbox_random(NULL, r, sizeof(r));
  smv__sb_b64url_encode(r, sizeof(r), jti, sizeof(jti));
  long long now = (long long)time(NULL);
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "iss", id);
  cJSON_AddStringToObject(c, "sub", id);
  cJSON_AddStringToObject(c, "aud", aud);
  cJSON_AddNumberToObject(c, "iat", (double)now);
  cJSON_AddNumberToObject(c, "exp", (double)(now + lifetime));
  cJSON_AddStringToObject(c, "jti", jti);
  int ok = cJSON_PrintPreallocated(c, claims, (int)sizeof(claims), 0);
  cJSON_Delete(c);
  size_t n = 0;
  int rc = ok ? smv__sb_jws_sign(&pk, NULL, claims, smv__sandbox_random, NULL, jws, sizeof(jws), &n) : -1;
  smv__sb_jws_key_free(&pk);
  if (rc) {
    fprintf(stderr, "smv sandbox assertion: %s\n", smv__sb_jws_strerror(rc));
    return 1;
  }
  printf("%.*s\n", (int)n, jws);
  return 0;
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
  /* before the configuration's keys are parsed (sb_jwt.h) */
  if (smv__tls_global_init()) {
    fprintf(stderr, "smv sandbox: the crypto library did not start\n");
    return 1;
  }
  if (argc > 1 && !strcmp(argv[1], "keygen")) return cli_keygen(argc - 1, argv + 1);
  if (argc > 1 && !strcmp(argv[1], "assertion")) return cli_assertion(argc - 1, argv + 1);
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
