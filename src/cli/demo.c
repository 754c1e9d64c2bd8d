/* `smv demo`: the whole silent-verification flow on this machine, in one process and one loop. The
 * sandbox plays the verification service and two operators; this file plays the app's backend (it
 * sends the verify requests over HTTPS and receives the callbacks on a plain-HTTP listener of its
 * own); the smv library plays the device, on loopback declared as the carrier path. Three flows:
 * an IP/port-matching operator, a header-enrichment operator, and the deviceIp/devicePort flow where
 * the device first reports to the backend (`smv report`), which passes on the address it saw. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "io/tls.h"
#include "sandbox/sandbox.h"
#include "sandbox/sb_fetch.h"
#include "server/certgen.h"
#include "server/server.h"

#define DEMO_MSISDN_IPPORT "41793026727"
#define DEMO_MSISDN_HE "41780000001"

typedef struct demo {
  uv_loop_t loop;
  uv_timer_t deadline;
  smv__sb_config cfg;
  smv__sandbox *sb;
  smv__alloc alloc;
  smv__server *backend;
  smv__srv_listener *cb_listener, *app_listener;
  smv__certgen_cert *app_cert;
  smv__tls_conf *tls;            /* the backend's client conf (trusts the sandbox CA) */
  smv_client *client;
  int verbose;
  int step;                      /* 1, 2, 3; 4 = done */
  char token[64];                /* the verification in progress */
  char result[32];               /* its callback result, "" while waiting */
  int device_done;
  char results[3][32];
  char auth[320];
  char callback_url[256];
  smv__srv_response *held;       /* step 3: the device's report, answered after the verify */
  int failed;
} demo;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void say(demo *d, const char *fmt, ...) {
  (void)d;
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  fputc('\n', stdout);
  fflush(stdout);
}

static void sandbox_log(void *ud, const char *line) {
  demo *d = ud;
  if (d->verbose) say(d, "      [sandbox] %s", line);
}

static void next_step(demo *d);
static void shutdown_all(demo *d);

/* A step is over when the device has finished and the callback has come, in either order. */
static void maybe_advance(demo *d) {
  if (!d->device_done || !d->result[0] || d->step > 3) return;
  snprintf(d->results[d->step - 1], sizeof(d->results[0]), "%s", d->result);
  say(d, "  => result %s\n", d->result);
  d->step++;
  next_step(d);
}

static void print_result(demo *d, const smv_result *r) {
  for (size_t i = 0; i < r->hop_count; i++)
    say(d, "    device: hop %zu  %s -> %d  (%s, %s%s, %.1f ms)", i + 1, r->hops[i].url, r->hops[i].status,
        r->hops[i].tls, r->hops[i].remote, r->hops[i].reused ? ", reused" : "", r->hops[i].ms);
  if (r->outcome == SMV_OUTCOME_ERROR)
    say(d, "    device: failed: %s (%s)", smv_errname(r->error),
        r->error_message ? r->error_message : smv_strerror(r->error));
  else
    say(d, "    device: done via %s (%s), path %s %s", r->path.interface,
        r->path.declared ? "declared carrier" : smv_path_class_name(r->path.cls),
        r->final_url ? r->final_url : "", r->path.local);
}

static void device_done(smv_flow *flow, const smv_result *r, void *ud) {
  demo *d = ud;
  (void)flow;
  print_result(d, r);
  if (r->outcome == SMV_OUTCOME_ERROR || r->outcome == SMV_OUTCOME_SERVICE_ERROR) {
    d->failed = 1;
    snprintf(d->results[d->step - 1], sizeof(d->results[0]), "device-failed");
    d->step++;
    next_step(d);
    return;
  }
  d->device_done = 1;
  maybe_advance(d);
}

static void trace(void *ud, int hop, smv_trace_phase phase, double ms, const char *url,
                  const char *detail) {
  demo *d = ud;
  (void)url;
  (void)phase;
  if (d->verbose) say(d, "      [device] hop %d %7.1f ms  %s", hop, ms, detail ? detail : "");
}

static void device_config(demo *d, smv_config *c) {
  smv_config_init(c);
  c->trace = trace;
  c->trace_user_data = d;
  c->interface = "lo";
  c->declared_carrier = 1;
  c->max_time_ms = 10000;
}

static void start_device(demo *d, const char *url) {
  smv_config c;
  device_config(d, &c);
  say(d, "    device: opening deviceRedirectUrl on the carrier path (lo, declared)");
  smv_flow *fl;
  int rc = smv_flow_start(d->client, url, &c, device_done, d, &fl);
  if (rc) {
    say(d, "    device: cannot start: %s", smv_strerror(rc));
    d->failed = 1;
    d->step = 4;
    next_step(d);
  }
}

/* ---- the backend's verify request ---- */

static int json_str(const char *body, const char *key, char *out, size_t cap) {
  char pat[64];
  snprintf(pat, sizeof(pat), "\"%s\":\"", key);
  const char *p = strstr(body, pat);
  if (!p) return -1;
  p += strlen(pat);
  size_t n = strcspn(p, "\"");
  if (n >= cap) return -1;
  memcpy(out, p, n);
  out[n] = 0;
  return 0;
}

static void verify_done(smv__sb_fetch *f, int status, const char *body, size_t len, void *ud) {
  demo *d = ud;
  (void)f;
  char text[2048];
  snprintf(text, sizeof(text), "%.*s", (int)(len < sizeof(text) - 1 ? len : sizeof(text) - 1),
           body ? body : "");
  if (status != 200) {
    say(d, "    backend: verify failed: %s %s", status < 0 ? smv_strerror(status) : "HTTP", text);
    d->failed = 1;
    snprintf(d->results[d->step - 1], sizeof(d->results[0]), "verify-failed");
    d->step++;
    next_step(d);
    return;
  }
  say(d, "    sandbox -> backend: %s", text);
  char st[32] = "", url[1024] = "";
  json_str(text, "status", st, sizeof(st));
  json_str(text, "token", d->token, sizeof(d->token));
  if (d->held) {
    /* step 3: the device is waiting for its report's answer */
    char out[256];
    int n = snprintf(out, sizeof(out), "{\"status\":\"%s\",\"token\":\"%s\"}", st, d->token);
    say(d, "    backend -> device: 200 %s", out);
    smv__srv_respond(d->held, 200, "application/json", out, (size_t)n);
    d->held = NULL;
    return;
  }
  if (strcmp(st, "REDIRECT") == 0 && json_str(text, "deviceRedirectUrl", url, sizeof(url)) == 0) {
    say(d, "    backend -> device: please open %s", url);
    start_device(d, url);
    return;
  }
  say(d, "    backend: unexpected answer");
  d->failed = 1;
  d->step = 4;
  next_step(d);
}

static void send_verify(demo *d, const char *msisdn, const char *ip, unsigned port) {
  char body[512], url[400];
  int n = snprintf(body, sizeof(body),
                   "{\"phoneNumber\":\"%s\",\"callbackUrl\":\"%s\",\"consentGranted\":true", msisdn,
                   d->callback_url);
  if (ip) n += snprintf(body + n, sizeof(body) - (size_t)n, ",\"deviceIp\":\"%s\",\"devicePort\":%u", ip, port);
  n += snprintf(body + n, sizeof(body) - (size_t)n, "}");
  snprintf(url, sizeof(url), "%s/mi/verification/1/verify", smv__sandbox_api_url(d->sb));
  say(d, "    backend -> sandbox: POST %s %s", url, body);
  const char *headers[] = {d->auth, "Content-Type: application/json", "Accept: application/json",
                           NULL};
  smv__sb_fetch_req r;
  memset(&r, 0, sizeof(r));
  r.method = "POST";
  r.url = url;
  r.headers = headers;
  r.body = body;
  r.body_len = (size_t)n;
  r.timeout_ms = 10000;
  r.tls = d->tls;
  r.alloc = &d->alloc;
  d->result[0] = 0;
  d->token[0] = 0;
  d->device_done = 0;
  int rc = smv__sb_fetch_start(&d->loop, &r, verify_done, d, NULL);
  if (rc) verify_done(NULL, rc, NULL, 0, d);
}

/* ---- the backend's listeners ---- */

static void on_backend(smv__server *srv, const smv__srv_request *req, smv__srv_response *res,
                       void *ud) {
  demo *d = ud;
  (void)srv;
  if (req->listener == d->cb_listener) {
    const char *q = strchr(req->target, '?');
    char result[32] = "", token[64] = "";
    for (const char *p = q ? q + 1 : ""; *p;) {
      size_t seg = strcspn(p, "&");
      if (!strncmp(p, "result=", 7)) snprintf(result, sizeof(result), "%.*s", (int)seg - 7, p + 7);
      if (!strncmp(p, "token=", 6)) snprintf(token, sizeof(token), "%.*s", (int)seg - 6, p + 6);
      p += seg;
      if (*p) p++;
    }
    say(d, "    sandbox -> backend: callback GET %s", req->target);
    smv__srv_respond(res, 200, "text/plain", "ok\n", 3);
    if (d->token[0] && !strcmp(token, d->token) && !d->result[0]) {
      snprintf(d->result, sizeof(d->result), "%s", result);
      maybe_advance(d);
    } else if (!d->token[0]) {
      /* the callback can overtake the verify response (step 3's OK path): keep it */
      snprintf(d->result, sizeof(d->result), "%s", result);
    }
    return;
  }
  /* the app backend's own API: the device reports here with `smv report` */
  if (strcmp(req->method, "POST") || strncmp(req->target, "/start", 6)) {
    smv__srv_respond(res, 404, "text/plain", "not found\n", 10);
    return;
  }
  say(d, "    device -> backend: POST %s from %s port %u (%s)", req->target, req->peer_ip,
      req->peer_port, req->tls_version);
  d->held = res;
  send_verify(d, DEMO_MSISDN_IPPORT, req->peer_ip, req->peer_port);
}

static void report_done(smv_flow *flow, const smv_result *r, void *ud) {
  demo *d = ud;
  (void)flow;
  print_result(d, r);
  if (r->outcome != SMV_OUTCOME_COMPLETED) {
    d->failed = 1;
    snprintf(d->results[2], sizeof(d->results[0]), "report-failed");
    d->step = 4;
    next_step(d);
    return;
  }
  d->device_done = 1;
  maybe_advance(d);
}

static void next_step(demo *d) {
  if (d->step == 1) {
    say(d, "1) Operator with IP/port matching (carrier-grade NAT records), REDIRECT flow");
    send_verify(d, DEMO_MSISDN_IPPORT, NULL, 0);
  } else if (d->step == 2) {
    say(d, "2) Operator with header enrichment, REDIRECT flow through the operator's HTTP endpoint");
    send_verify(d, DEMO_MSISDN_HE, NULL, 0);
  } else if (d->step == 3) {
    say(d, "3) deviceIp/devicePort flow: the device reports to the backend, status OK, no redirect");
    char url[128];
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/start", smv__srv_listener_port(d->app_listener));
    smv_config c;
    device_config(d, &c);
    c.single_request = 1;
    c.method = "POST";
    c.body = "{\"action\":\"login\"}";
    c.body_len = strlen(c.body);
    d->result[0] = 0;
    d->token[0] = 0;
    d->device_done = 0;
    say(d, "    device: smv report POST %s on the carrier path (lo, declared)", url);
    smv_flow *fl;
    int rc = smv_flow_start(d->client, url, &c, report_done, d, &fl);
    if (rc) {
      say(d, "    device: cannot start: %s", smv_strerror(rc));
      d->failed = 1;
      d->step = 4;
      next_step(d);
    }
  } else {
    shutdown_all(d);
  }
}

static void on_deadline(uv_timer_t *t) {
  demo *d = t->data;
  say(d, "demo: timed out in step %d", d->step);
  d->failed = 1;
  d->step = 4;
  next_step(d);
}

static void backend_drained(smv__server *srv, void *data) {
  (void)data;
  smv__server_free(srv);
}

static void sandbox_stopped(void *data) { (void)data; }

static void shutdown_all(demo *d) {
  static int once;
  if (once++) return;
  uv_timer_stop(&d->deadline);
  uv_close((uv_handle_t *)&d->deadline, NULL);
  if (d->client) smv_client_free(d->client);
  d->client = NULL;
  smv__server_drain(d->backend, 1000, backend_drained, d);
  smv__sandbox_stop(d->sb, sandbox_stopped, d);
}

static int setup(demo *d) {
  char err[512] = "";
  if (smv__sb_config_defaults(&d->cfg)) return -1;
  static const char *cfg_json =
      "{\"operators\":[{\"name\":\"alpha-mobile\",\"profile\":\"ip_port\",\"public_ipv4\":\"127.0.0.1\"},"
      "{\"name\":\"beta-telecom\",\"profile\":\"header_enrichment\"}],"
      "\"subscribers\":[{\"msisdn\":\"" DEMO_MSISDN_IPPORT "\",\"operator\":\"alpha-mobile\",\"private_ip\":\"127.0.0.1\"},"
      "{\"msisdn\":\"" DEMO_MSISDN_HE "\",\"operator\":\"beta-telecom\",\"private_ip\":\"127.0.0.1\"}],"
      "\"callbacks\":{\"backoff_ms\":100,\"max_attempts\":5}}";
  if (smv__sb_config_parse(&d->cfg, cfg_json, strlen(cfg_json), err, sizeof(err))) {
    fprintf(stderr, "smv demo: %s\n", err);
    return -1;
  }
  int rc = smv__sandbox_start(&d->loop, &d->cfg, sandbox_log, d, &d->sb, err, sizeof(err));
  if (rc) {
    fprintf(stderr, "smv demo: sandbox: %s\n", err);
    return -1;
  }
  say(d, "sandbox: service API %s, operator endpoint %s, CA %s", smv__sandbox_api_url(d->sb),
      smv__sandbox_operator_url(d->sb), smv__sandbox_ca_path(d->sb));
  say(d, "         subscribers %s (alpha-mobile, IP/port matching) and %s (beta-telecom, header "
         "enrichment), both on 127.0.0.1", DEMO_MSISDN_IPPORT, DEMO_MSISDN_HE);

  /* the backend: a callback receiver (plain HTTP) and its own HTTPS API for the device's report */
  smv__alloc_init(&d->alloc, NULL);
  const char *ips[] = {"127.0.0.1"};
  const char *dns[] = {"localhost"};
  rc = smv__certgen_server(&d->alloc, smv__sandbox_ca(d->sb), dns, 1, ips, 1, &d->app_cert);
  if (rc) {
    fprintf(stderr, "smv demo: backend certificate: %s\n", smv_strerror(rc));
    return -1;
  }
  smv__srv_config sc;
  memset(&sc, 0, sizeof(sc));
  sc.handler = on_backend;
  sc.user_data = d;
  sc.server_header = "demo-backend";
  if (smv__server_new(&d->loop, &sc, &d->backend) ||
      smv__server_listen(d->backend, "127.0.0.1", 0, NULL, NULL, &d->cb_listener)) {
    fprintf(stderr, "smv demo: backend listener failed\n");
    return -1;
  }
  smv__srv_tls tls = {smv__certgen_cert_pem(d->app_cert), smv__certgen_key_pem(d->app_cert), 0};
  if (smv__server_listen(d->backend, "127.0.0.1", 0, &tls, NULL, &d->app_listener)) {
    fprintf(stderr, "smv demo: backend HTTPS listener failed\n");
    return -1;
  }
  snprintf(d->callback_url, sizeof(d->callback_url),
           "http://127.0.0.1:%u/callback?result={result}&token={token}",
           smv__srv_listener_port(d->cb_listener));
  say(d, "backend: callbacks on http://127.0.0.1:%u/callback, its API on https://127.0.0.1:%u",
      smv__srv_listener_port(d->cb_listener), smv__srv_listener_port(d->app_listener));

  /* credentials: "Authorization: Basic base64(user:password)" */
  static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char up[160];
  int n = snprintf(up, sizeof(up), "%s:%s", d->cfg.user, d->cfg.password);
  char enc[256];
  size_t o = 0;
  for (int i = 0; i < n; i += 3) {
    unsigned v = (unsigned char)up[i] << 16;
    if (i + 1 < n) v |= (unsigned char)up[i + 1] << 8;
    if (i + 2 < n) v |= (unsigned char)up[i + 2];
    enc[o++] = b64[(v >> 18) & 63];
    enc[o++] = b64[(v >> 12) & 63];
    enc[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
    enc[o++] = i + 2 < n ? b64[v & 63] : '=';
  }
  enc[o] = 0;
  snprintf(d->auth, sizeof(d->auth), "Authorization: Basic %s", enc);

  smv__tls_client_opts to;
  memset(&to, 0, sizeof(to));
  to.cacert_file = smv__sandbox_ca_path(d->sb);
  smv__alloc *prev = smv__alloc_enter(&d->alloc);
  rc = smv__tls_conf_client_new(&d->alloc, &to, &d->tls);
  smv__alloc_leave(prev);
  if (rc) {
    fprintf(stderr, "smv demo: backend TLS: %s\n", smv_strerror(rc));
    return -1;
  }
  smv_client_options co;
  memset(&co, 0, sizeof(co));
  co.version = SMV_CLIENT_OPTIONS_VERSION;
  co.cacert_file = smv__sandbox_ca_path(d->sb);
  rc = smv_client_new(&d->loop, &co, &d->client);
  if (rc) {
    fprintf(stderr, "smv demo: device client: %s\n", smv_strerror(rc));
    return -1;
  }
  return 0;
}

int smv__cli_demo(int argc, char **argv) {
  demo *d = calloc(1, sizeof(*d));
  if (!d) return 1;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "-v")) {
      d->verbose = 1;
    } else if (!strcmp(argv[i], "--netns")) {
      free(d);
      return smv__cli_demo_netns(argc, argv);
    } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      puts("usage: smv demo [-v] [--netns]\n  Runs the sandbox, an app backend and the device client on this "
           "machine\n  (loopback) and verifies three times. -v adds the sandbox's own narrative.\n"
           "  --netns (root): the same across network namespaces with a real carrier-grade NAT.");
      free(d);
      return 0;
    } else {
      fprintf(stderr, "smv demo: unknown argument %s\n", argv[i]);
      free(d);
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  uv_loop_init(&d->loop);
  int ok = setup(d) == 0;
  if (ok) {
    uv_timer_init(&d->loop, &d->deadline);
    d->deadline.data = d;
    uv_timer_start(&d->deadline, on_deadline, 60000, 0);
    d->step = 1;
    next_step(d);
    uv_run(&d->loop, UV_RUN_DEFAULT);
  }
  int all = ok && !d->failed;
  if (ok) {
    say(d, "Summary:");
    static const char *const names[] = {"IP/port matching  ", "header enrichment ",
                                        "deviceIp/devicePort"};
    for (int i = 0; i < 3; i++) {
      const char *r = d->results[i][0] ? d->results[i] : "(none)";
      say(d, "  %s %s", names[i], r);
      if (strcmp(r, "VALID")) all = 0;
    }
    say(d, "%s", all ? "demo: all three verifications VALID" : "demo: FAILED");
  }
  if (d->tls) {
    smv__alloc *prev = smv__alloc_enter(&d->alloc);
    smv__tls_conf_free(d->tls);
    smv__alloc_leave(prev);
  }
  if (d->app_cert) smv__certgen_free(d->app_cert);
  uv_loop_close(&d->loop);
  smv__sb_config_free(&d->cfg);
  free(d);
  return all ? 0 : 1;
}
