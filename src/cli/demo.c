/* `smv demo`: the whole silent-verification flow on this machine, in one process and one loop. The
 * sandbox plays the verification service and two operators; this file plays the app's backend (it
 * sends the verify requests over HTTPS and receives the callbacks on a plain-HTTP listener of its
 * own); the smv library plays the device, on loopback declared as the carrier path. Four flows:
 * an IP/port-matching operator, a header-enrichment operator, the deviceIp/devicePort flow where
 * the device first reports to the backend (`smv report`), which passes on the address it saw, and
 * CAMARA Number Verification: the device follows the backend's OpenID Connect authorize URL (PKCE,
 * state), the backend exchanges the code (private_key_jwt, signed here with mbedTLS) and calls
 * /verify and /device-phone-number. */
#include <cJSON.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "core/attr.h"
#include "cli/cli.h"
#include "core/alloc.h"
#include "io/tls.h"
#include "sandbox/sandbox.h"
#include "sandbox/sb_camara.h"
#include "sandbox/sb_fetch.h"
#include "sandbox/sb_jwt.h"
#include "sandbox/sb_util.h"
#include "server/certgen.h"
#include "server/server.h"

#define DEMO_MSISDN_IPPORT "41793026727"
#define DEMO_MSISDN_HE "41780000001"
#define DEMO_CLIENT_ID "demo-backend"
#define DEMO_REDIRECT_URI "myapp://camara/callback"
#define DEMO_SCOPE "openid number-verification:verify number-verification:device-phone-number:read"
#define FLOWS 4

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
  int step;                      /* 1 to 4; 5 = done */
  char token[64];                /* the verification in progress */
  char result[32];               /* its callback result, "" while waiting */
  int device_done;
  char results[FLOWS][32];
  /* step 4, CAMARA: the backend's client key, the flow's secrets, what the sandbox answered */
  mbedtls_pk_context client_key;
  char authorize_endpoint[400], token_endpoint[400];
  char state[48], verifier[48], nonce[48];
  char code[64];
  char access_token[64];
  int camara_verified;
  char auth[320];
  char callback_url[256];
  smv__srv_response *held;       /* step 3: the device's report, answered after the verify */
  int failed;
} demo;

SMV__PRINTF(2, 3)
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
  if (!d->device_done || !d->result[0] || d->step > FLOWS) return;
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

static void camara_device_done(demo *d, const smv_result *r);

static void device_done(smv_flow *flow, const smv_result *r, void *ud) {
  demo *d = ud;
  (void)flow;
  print_result(d, r);
  if (d->step == 4) {
    camara_device_done(d, r);
    return;
  }
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
  if (d->step == 4) {
    c.return_url = DEMO_REDIRECT_URI; /* the redirect_uri: stop there, never fetch it */
    c.state = d->state;               /* and it must carry this flow's state */
    say(d, "    device: smv follow AUTHORIZE_URL --return-url %s on the carrier path (lo, declared)",
        DEMO_REDIRECT_URI);
  } else {
    say(d, "    device: opening deviceRedirectUrl on the carrier path (lo, declared)");
  }
  smv_flow *fl;
  int rc = smv_flow_start(d->client, url, &c, device_done, d, &fl);
  if (rc) {
    say(d, "    device: cannot start: %s", smv_strerror(rc));
    d->failed = 1;
    d->step = FLOWS + 1;
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
  d->step = FLOWS + 1;
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
    d->step = FLOWS + 1;
    next_step(d);
    return;
  }
  d->device_done = 1;
  maybe_advance(d);
}


/* ---- step 4: CAMARA Number Verification ---- */

/* n random bytes in base64url: state, nonce, PKCE verifier (RFC 7636 4.1: 32 bytes, 43 chars). */
static void random_b64(char *out, size_t cap, size_t n) {
  unsigned char r[32];
  if (n > sizeof(r) || smv__sandbox_random(NULL, r, n)) n = 0;
  smv__sb_b64url_encode(r, n, out, cap);
}

static void camara_fail(demo *d, const char *what) {
  say(d, "    backend: %s", what);
  d->failed = 1;
  snprintf(d->results[3], sizeof(d->results[0]), "failed");
  d->step = FLOWS + 1;
  next_step(d);
}

/* A backend request to the sandbox; body NULL for a GET. */
static void backend_call(demo *d, const char *method, const char *url, const char *const *headers,
                         const char *body, smv__sb_fetch_cb cb) {
  smv__sb_fetch_req r;
  memset(&r, 0, sizeof(r));
  r.method = method;
  r.url = url;
  r.headers = headers;
  r.body = body;
  r.body_len = body ? strlen(body) : 0;
  r.timeout_ms = 10000;
  r.tls = d->tls;
  r.alloc = &d->alloc;
  int rc = smv__sb_fetch_start(&d->loop, &r, cb, d, NULL);
  if (rc) cb(NULL, rc, NULL, 0, d);
}

/* The JSON object of a 200 answer, or NULL (the step failed, with the reason said). */
static cJSON *answer_json(demo *d, const char *what, int status, const char *body, size_t len) {
  cJSON *o = status == 200 && body ? cJSON_ParseWithLength(body, len) : NULL;
  if (!cJSON_IsObject(o)) {
    char msg[700];
    snprintf(msg, sizeof(msg), "%s failed: %s %.*s", what, status < 0 ? smv_strerror(status) : "HTTP",
             body ? (int)(len < 400 ? len : 400) : 0, body ? body : "");
    cJSON_Delete(o);
    camara_fail(d, msg);
    return NULL;
  }
  return o;
}

static const char *str_of(const cJSON *o, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(it) ? it->valuestring : NULL;
}

static void share_done(smv__sb_fetch *f, int status, const char *body, size_t len, void *ud) {
  demo *d = ud;
  (void)f;
  cJSON *o = answer_json(d, "device-phone-number", status, body, len);
  if (!o) return;
  const char *num = str_of(o, "devicePhoneNumber");
  say(d, "    sandbox -> backend: 200 {\"devicePhoneNumber\":\"%s\"}", num ? num : "?");
  int same = num && strcmp(num, "+" DEMO_MSISDN_IPPORT) == 0;
  cJSON_Delete(o);
  snprintf(d->results[3], sizeof(d->results[0]), "%s",
           d->camara_verified && same ? "VALID" : "INVALID");
  say(d, "  => result %s (verify %s, device-phone-number %s)\n", d->results[3],
      d->camara_verified ? "true" : "false", same ? "matches" : "differs");
  d->step++;
  next_step(d);
}

static void verify_nv_done(smv__sb_fetch *f, int status, const char *body, size_t len, void *ud) {
  demo *d = ud;
  (void)f;
  cJSON *o = answer_json(d, "verify", status, body, len);
  if (!o) return;
  d->camara_verified = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "devicePhoneNumberVerified"));
  cJSON_Delete(o);
  say(d, "    sandbox -> backend: 200 {\"devicePhoneNumberVerified\":%s}",
      d->camara_verified ? "true" : "false");
  char url[400], auth[128];
  snprintf(url, sizeof(url), "%s" SMV__SB_NV_SHARE, smv__sandbox_api_url(d->sb));
  snprintf(auth, sizeof(auth), "Authorization: Bearer %s", d->access_token);
  const char *h[] = {auth, "Accept: application/json", "x-correlator: demo-camara-2", NULL};
  say(d, "    backend -> sandbox: GET %s (Bearer)", url);
  backend_call(d, "GET", url, h, NULL, share_done);
}

static void token_done(smv__sb_fetch *f, int status, const char *body, size_t len, void *ud) {
  demo *d = ud;
  (void)f;
  cJSON *o = answer_json(d, "token request", status, body, len);
  if (!o) return;
  const char *at = str_of(o, "access_token"), *scope = str_of(o, "scope");
  const cJSON *exp = cJSON_GetObjectItemCaseSensitive(o, "expires_in");
  if (!at || strlen(at) >= sizeof(d->access_token)) {
    cJSON_Delete(o);
    camara_fail(d, "the token answer has no access_token");
    return;
  }
  snprintf(d->access_token, sizeof(d->access_token), "%s", at);
  say(d, "    sandbox -> backend: 200 access token (Bearer, %d s, scope \"%s\")%s",
      cJSON_IsNumber(exp) ? exp->valueint : 0, scope ? scope : "", str_of(o, "id_token") ? " and an ID token" : "");
  cJSON_Delete(o);
  char url[400], auth[128];
  snprintf(url, sizeof(url), "%s" SMV__SB_NV_VERIFY, smv__sandbox_api_url(d->sb));
  snprintf(auth, sizeof(auth), "Authorization: Bearer %s", d->access_token);
  const char *h[] = {auth, "Content-Type: application/json", "Accept: application/json",
                     "x-correlator: demo-camara-1", NULL};
  static const char body_v[] = "{\"phoneNumber\":\"+" DEMO_MSISDN_IPPORT "\"}";
  say(d, "    backend -> sandbox: POST %s %s (Bearer)", url, body_v);
  backend_call(d, "POST", url, h, body_v, verify_nv_done);
}

/* The backend's client assertion (RFC 7523 3): iss = sub = client_id, aud = the token endpoint, a
 * minute of life, a fresh jti; signed ES256 with the key whose public half the sandbox has. */
static int client_assertion(demo *d, char *out, size_t cap) {
  char jti[48], claims[800];
  random_b64(jti, sizeof(jti), 16);
  long long now = (long long)time(NULL);
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "iss", DEMO_CLIENT_ID);
  cJSON_AddStringToObject(c, "sub", DEMO_CLIENT_ID);
  cJSON_AddStringToObject(c, "aud", d->token_endpoint);
  cJSON_AddNumberToObject(c, "iat", (double)now);
  cJSON_AddNumberToObject(c, "exp", (double)(now + 60));
  cJSON_AddStringToObject(c, "jti", jti);
  int ok = cJSON_PrintPreallocated(c, claims, (int)sizeof(claims), 0);
  cJSON_Delete(c);
  size_t n = 0;
  if (!ok || smv__sb_jws_sign(&d->client_key, NULL, claims, smv__sandbox_random, NULL, out, cap, &n)) return -1;
  out[n] = 0;
  return 0;
}

static void camara_device_done(demo *d, const smv_result *r) {
  const char *why = NULL;
  /* The library checked the state (RFC 6749 10.12) and decoded the code (smv_result.authorization). */
  const char *code = r->authorization.code;
  if (r->outcome != SMV_OUTCOME_RETURN_URL || !code || !code[0] || strlen(code) >= sizeof(d->code)) {
    why = r->outcome == SMV_OUTCOME_ERROR ? smv_errname(r->error)
          : r->authorization.error ? r->authorization.error : NULL;
    camara_fail(d, why ? why : "the device did not reach the redirect_uri with a code");
    return;
  }
  snprintf(d->code, sizeof(d->code), "%s", code);
  say(d, "    device -> backend: the redirect_uri's code (state checked)");
  char assertion[2048], form[4096], enc_code[200], enc_ru[200], enc_as[3000];
  if (client_assertion(d, assertion, sizeof(assertion)) ||
      smv__sb_pct_encode(d->code, enc_code, sizeof(enc_code)) < 0 ||
      smv__sb_pct_encode(DEMO_REDIRECT_URI, enc_ru, sizeof(enc_ru)) < 0 ||
      smv__sb_pct_encode(assertion, enc_as, sizeof(enc_as)) < 0) {
    camara_fail(d, "cannot sign the client assertion");
    return;
  }
  snprintf(form, sizeof(form),
           "grant_type=authorization_code&code=%s&redirect_uri=%s&code_verifier=%s"
           "&client_assertion_type=%s&client_assertion=%s",
           enc_code, enc_ru, d->verifier, "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer",
           enc_as);
  say(d, "    backend -> sandbox: POST %s (code, PKCE verifier, private_key_jwt ES256)",
      d->token_endpoint);
  const char *h[] = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/json",
                     NULL};
  backend_call(d, "POST", d->token_endpoint, h, form, token_done);
}

static void discovery_done(smv__sb_fetch *f, int status, const char *body, size_t len, void *ud) {
  demo *d = ud;
  (void)f;
  cJSON *o = answer_json(d, "discovery", status, body, len);
  if (!o) return;
  const char *az = str_of(o, "authorization_endpoint"), *tk = str_of(o, "token_endpoint");
  if (!az || !tk || strlen(az) >= sizeof(d->authorize_endpoint) || strlen(tk) >= sizeof(d->token_endpoint)) {
    cJSON_Delete(o);
    camara_fail(d, "discovery without endpoints");
    return;
  }
  snprintf(d->authorize_endpoint, sizeof(d->authorize_endpoint), "%s", az);
  snprintf(d->token_endpoint, sizeof(d->token_endpoint), "%s", tk);
  cJSON_Delete(o);
  /* PKCE (RFC 7636): the challenge is BASE64URL(SHA-256(verifier)) */
  unsigned char h[32];
  char challenge[48], ru[200], scope[200], url[1200];
  random_b64(d->verifier, sizeof(d->verifier), 32);
  random_b64(d->state, sizeof(d->state), 16);
  random_b64(d->nonce, sizeof(d->nonce), 16);
  mbedtls_sha256((const unsigned char *)d->verifier, strlen(d->verifier), h, 0);
  smv__sb_b64url_encode(h, 32, challenge, sizeof(challenge));
  smv__sb_pct_encode(DEMO_REDIRECT_URI, ru, sizeof(ru));
  smv__sb_pct_encode(DEMO_SCOPE, scope, sizeof(scope));
  snprintf(url, sizeof(url),
           "%s?response_type=code&client_id=" DEMO_CLIENT_ID "&redirect_uri=%s&scope=%s&state=%s"
           "&nonce=%s&code_challenge=%s&code_challenge_method=S256&prompt=none",
           d->authorize_endpoint, ru, scope, d->state, d->nonce, challenge);
  say(d, "    backend -> device: please open the authorize URL (PKCE S256, state, prompt=none)");
  start_device(d, url);
}

static void camara_start(demo *d) {
  char url[400];
  snprintf(url, sizeof(url), "%s" SMV__SB_OIDC_DISCOVERY, smv__sandbox_api_url(d->sb));
  say(d, "    backend -> sandbox: GET %s", url);
  const char *h[] = {"Accept: application/json", NULL};
  backend_call(d, "GET", url, h, NULL, discovery_done);
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
      d->step = FLOWS + 1;
      next_step(d);
    }
  } else if (d->step == 4) {
    say(d, "4) CAMARA Number Verification: OpenID Connect authorization code flow on the carrier path,");
    say(d, "   then /verify and /device-phone-number with the access token");
    camara_start(d);
  } else {
    shutdown_all(d);
  }
}

static void on_deadline(uv_timer_t *t) {
  demo *d = t->data;
  say(d, "demo: timed out in step %d", d->step);
  d->failed = 1;
  d->step = FLOWS + 1;
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
  /* The backend's CAMARA client: its key is made here, the sandbox is given the public half (the
   * registration an operator's onboarding does), PKCE required. */
  unsigned char pem[1024];
  mbedtls_pk_init(&d->client_key);
  if (smv__sb_jws_keygen_es256(&d->client_key, smv__sandbox_random, NULL) ||
      smv__sb_jws_public_pem(&d->client_key, (char *)pem, sizeof(pem))) {
    fprintf(stderr, "smv demo: cannot make the backend's client key\n");
    return -1;
  }
  cJSON *root = cJSON_Parse(cfg_json), *cam = cJSON_AddObjectToObject(root, "camara");
  cJSON *cl = cJSON_CreateObject(), *uris = cJSON_CreateArray();
  cJSON_AddItemToArray(uris, cJSON_CreateString(DEMO_REDIRECT_URI));
  cJSON_AddStringToObject(cl, "client_id", DEMO_CLIENT_ID);
  cJSON_AddItemToObject(cl, "redirect_uris", uris);
  cJSON_AddStringToObject(cl, "public_key", (const char *)pem);
  cJSON_AddBoolToObject(cl, "require_pkce", 1);
  cJSON *cls = cJSON_AddArrayToObject(cam, "clients");
  cJSON_AddItemToArray(cls, cl);
  char *text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (!text || smv__sb_config_parse(&d->cfg, text, strlen(text), err, sizeof(err))) {
    fprintf(stderr, "smv demo: %s\n", text ? err : "out of memory");
    free(text);
    return -1;
  }
  free(text);
  int rc = smv__sandbox_start(&d->loop, &d->cfg, sandbox_log, d, &d->sb, err, sizeof(err));
  if (rc) {
    fprintf(stderr, "smv demo: sandbox: %s\n", err);
    return -1;
  }
  say(d, "sandbox: service API %s, operator endpoint %s, CA %s", smv__sandbox_api_url(d->sb),
      smv__sandbox_operator_url(d->sb), smv__sandbox_ca_path(d->sb));
  say(d, "         subscribers %s (alpha-mobile, IP/port matching) and %s (beta-telecom, header "
         "enrichment), both on 127.0.0.1", DEMO_MSISDN_IPPORT, DEMO_MSISDN_HE);
  say(d, "         CAMARA: discovery %s" SMV__SB_OIDC_DISCOVERY ", client %s (private_key_jwt, ES256)",
      smv__sandbox_api_url(d->sb), DEMO_CLIENT_ID);

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
           "machine\n  (loopback) and verifies four times: IP/port matching, header enrichment,\n"
           "  deviceIp/devicePort, CAMARA Number Verification. -v adds the sandbox's own narrative.\n"
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
  /* mbedTLS's allocation hook before the first key is made (sb_jwt.h) */
  int ok = smv__tls_global_init() == 0 && setup(d) == 0;
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
    static const char *const names[FLOWS] = {"IP/port matching    ", "header enrichment   ",
                                             "deviceIp/devicePort ", "CAMARA Number Verif."};
    for (int i = 0; i < FLOWS; i++) {
      const char *r = d->results[i][0] ? d->results[i] : "(none)";
      say(d, "  %s %s", names[i], r);
      if (strcmp(r, "VALID")) all = 0;
    }
    say(d, "%s", all ? "demo: all four verifications VALID" : "demo: FAILED");
  }
  if (d->tls) {
    smv__alloc *prev = smv__alloc_enter(&d->alloc);
    smv__tls_conf_free(d->tls);
    smv__alloc_leave(prev);
  }
  if (d->app_cert) smv__certgen_free(d->app_cert);
  smv__sb_jws_key_free(&d->client_key);
  uv_loop_close(&d->loop);
  smv__sb_config_free(&d->cfg);
  free(d);
  return all ? 0 : 1;
}
