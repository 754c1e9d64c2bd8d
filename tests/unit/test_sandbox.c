/* The sandbox's service logic without sockets: every verify validation id, credentials, tokens
 * (single use, expiry: ERROR-305 and 1021), CGNAT port blocks and IPv6 prefixes, the operators'
 * address ranges (ERROR-306), header enrichment with its HMAC assertion and through trusted proxies,
 * the zero-rated flow, the URL checks on the client's parser, and the configuration file; then the
 * CAMARA side: JWS (base64url, ES256 and RS256, RFC 7515 A.3), the authorization endpoint, the
 * token endpoint's client authentication and grant checks, the Number Verification API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/psa_util.h>
#include <mbedtls/rsa.h>
#include <mbedtls/sha256.h>

#include "core/alloc.h"
#include "io/tls.h"
#include "sandbox/sb_assert.h"
#include "sandbox/sb_camara.h"
#include "sandbox/sb_jwt.h"
#include "sandbox/sb_util.h"
#include "sandbox/sb_config.h"
#include "sandbox/sb_errors.h"
#include "sandbox/sb_match.h"
#include "sandbox/sb_service.h"
#include "sandbox/sb_tokens.h"
#include "sandbox/sb_urls.h"
#include "smv.h"

/* "sandbox:sandbox-secret" */
#define AUTH "Basic c2FuZGJveDpzYW5kYm94LXNlY3JldA=="
#define CB "\"callbackUrl\":\"http://127.0.0.1:9/r?result={result}&token={token}\""
#define T0 1700000000000ull

typedef struct world {
  smv__sb_config cfg;
  smv__sb_service svc;
  unsigned rnd;
  char last_url[4096];
  char last_result[32];
  unsigned last_delay;
  int delivered;
} world;

static void fx_random(void *ud, unsigned char *buf, size_t n) {
  world *w = ud;
  for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)(w->rnd * 31u + i * 7u);
  w->rnd++;
}

static void fx_deliver(void *ud, const char *url, const char *token, const char *result,
                       unsigned delay_ms) {
  world *w = ud;
  snprintf(w->last_url, sizeof(w->last_url), "%s", url);
  snprintf(w->last_result, sizeof(w->last_result), "%s", result);
  w->last_delay = delay_ms;
  w->delivered++;
  (void)token;
}

static world *world_new(const char *json) {
  world *w = calloc(1, sizeof(*w));
  assert_non_null(w);
  assert_int_equal(smv__sb_config_defaults(&w->cfg), 0);
  if (json) {
    char err[256];
    int rc = smv__sb_config_parse(&w->cfg, json, strlen(json), err, sizeof(err));
    if (rc) fprintf(stderr, "config: %s\n", err);
    assert_int_equal(rc, 0);
  }
  smv__sb_effects fx = {w, fx_random, fx_deliver, NULL};
  assert_int_equal(smv__sb_service_init(&w->svc, &w->cfg, &fx, "https://127.0.0.1:8443",
                                        "http://127.0.0.1:8080"),
                   0);
  return w;
}

static void world_free(world *w) {
  smv__sb_service_free(&w->svc);
  smv__sb_config_free(&w->cfg);
  free(w);
}

static void verify_req(world *w, const char *auth, const char *ct, const char *body,
                       smv__sb_response *res) {
  smv__sb_request req = {SMV__SB_API, "POST", SMV__SB_VERIFY_PATH, auth, ct, body,
                         strlen(body), "127.0.0.1", 40000, NULL, 0};
  smv__sb_service_handle(&w->svc, &req, T0, res);
}

static void get(world *w, smv__sb_listener l, const char *target, const char *ip, uint16_t port,
                uint64_t now, smv__sb_response *res) {
  smv__sb_request req = {l, "GET", target, NULL, NULL, "", 0, ip, port, NULL, 0};
  smv__sb_service_handle(&w->svc, &req, now, res);
}



/* The configuration text is refused with SMV_ERR_INVALID_ARG, the message naming want (NULL: any). */
static void config_refused(const char *json, const char *want) {
  smv__sb_config cfg;
  char err[300];
  assert_int_equal(smv__sb_config_defaults(&cfg), 0);
  int rc = smv__sb_config_parse(&cfg, json, strlen(json), err, sizeof(err));
  if (rc != SMV_ERR_INVALID_ARG || (want && !strstr(err, want)))
    fprintf(stderr, "%s -> %d %s\n", json, rc, err);
  assert_int_equal(rc, SMV_ERR_INVALID_ARG);
  if (want) assert_non_null(strstr(err, want));
  smv__sb_config_free(&cfg);
}

/* Any request, with headers. */
static void request(world *w, smv__sb_listener l, const char *method, const char *target,
                    const char *auth, const char *ct, const char *body, const char *ip, uint16_t port,
                    const smv__sb_header *h, size_t hn, uint64_t now, smv__sb_response *res) {
  smv__sb_request req = {l, method, target, auth, ct, body, strlen(body), ip, port, h, hn};
  smv__sb_service_handle(&w->svc, &req, now, res);
}

/* The token out of a JSON body (the first "token" value). */
static void body_token(const smv__sb_response *res, char out[37]) {
  const char *p = strstr(res->body, "\"token\":\"");
  assert_non_null(p);
  memcpy(out, p + 9, 36);
  out[36] = 0;
  assert_true(smv__sb_is_uuid(out, 36));
}

static void test_error_table(void **state) {
  (void)state;
  assert_string_equal(smv__sb_error_name(201), "EC_INVALID_TOKEN");
  assert_string_equal(smv__sb_error_description(201), "Token is invalid or does not exist");
  assert_string_equal(smv__sb_error_name(202), "EC_CONSENT_NOT_GRANTED");
  assert_string_equal(smv__sb_error_description(202), "User consent not granted");
  assert_int_equal(smv__sb_error_http_status(201), 400);
  assert_int_equal(smv__sb_error_http_status(1001), 401);
  assert_string_equal(smv__sb_error_name(305), "EC_MOBILE_DEVICE_TIMEOUT");
  assert_string_equal(smv__sb_error_name(306), "EC_REJECTED_INVALID_IP_ADDRESS");
  assert_string_equal(smv__sb_error_name(400), "EC_UNPROCESSABLE_CONTENT");
  assert_int_equal(smv__sb_error_http_status(400), 422);
  assert_null(smv__sb_error_name(1007)); /* its cases are EC_UNPROCESSABLE_CONTENT now */
  assert_null(smv__sb_error_name(999));
}

static void test_validators(void **state) {
  (void)state;
  assert_true(smv__sb_valid_msisdn("41793026727"));
  assert_true(smv__sb_valid_msisdn("1234567"));
  assert_false(smv__sb_valid_msisdn("+41793026727"));
  assert_false(smv__sb_valid_msisdn("123456"));
  assert_false(smv__sb_valid_msisdn("1234567890123456"));
  assert_false(smv__sb_valid_msisdn("0793026727"));
  assert_false(smv__sb_valid_msisdn("4179302672a"));

  assert_int_equal(smv__sb_check_callback_url("https://app.example/r?result={result}&token={token}"), 0);
  assert_int_equal(smv__sb_check_callback_url("http://[::1]:8080/r?t={token}&r={result}#x"), 0);
  assert_int_equal(smv__sb_check_callback_url("https://app.example/{result}/{token}"),
                   SMV__SB_EC_CALLBACK_PLACEHOLDERS);
  assert_int_equal(smv__sb_check_callback_url("https://app.example/r?result={result}#{token}"),
                   SMV__SB_EC_CALLBACK_PLACEHOLDERS);
  assert_int_equal(smv__sb_check_callback_url("https://app.example/r?result={result}"),
                   SMV__SB_EC_CALLBACK_PLACEHOLDERS);
  assert_int_equal(smv__sb_check_callback_url("ftp://app.example/r?result={result}&token={token}"),
                   SMV__SB_EC_INVALID_CALLBACK_URL);
  assert_int_equal(smv__sb_check_callback_url("https://u:p@app.example/?a={result}&b={token}"),
                   SMV__SB_EC_INVALID_CALLBACK_URL);
  assert_int_equal(smv__sb_check_callback_url("https://app example/?a={result}&b={token}"),
                   SMV__SB_EC_INVALID_CALLBACK_URL);
  assert_int_equal(smv__sb_check_callback_url("https://a:99999/?a={result}&b={token}"),
                   SMV__SB_EC_INVALID_CALLBACK_URL);
  assert_int_equal(smv__sb_check_callback_url("https://a/?a={res}&b={token}"),
                   SMV__SB_EC_INVALID_CALLBACK_URL);
  /* the device client's parser decides (issue 10): what it refuses, the sandbox refuses */
  assert_int_equal(smv__sb_check_callback_url("https://app..example.com/?a={result}&b={token}"),
                   SMV__SB_EC_INVALID_CALLBACK_URL);
  assert_int_equal(smv__sb_check_callback_url("https://app.example/%zz?a={result}&b={token}"),
                   SMV__SB_EC_INVALID_CALLBACK_URL);
  assert_int_equal(smv__sb_check_callback_url("https://app.example/{x}?a={result}&b={token}"),
                   SMV__SB_EC_INVALID_CALLBACK_URL);
  assert_int_equal(smv__sb_check_callback_url("https://300.1.1.1/?a={result}&b={token}"),
                   SMV__SB_EC_INVALID_CALLBACK_URL);
  assert_int_equal(smv__sb_check_callback_url("HTTPS://App.Example:443/r?a={result}&b={token}"), 0);
  /* a URL that spells a placeholder's mark is refused rather than guessed at */
  assert_int_equal(smv__sb_check_callback_url("https://a/{result}?x=RESULT__&b={token}"),
                   SMV__SB_EC_INVALID_CALLBACK_URL);
  assert_int_equal(smv__sb_check_callback_url("https://a/?x=%52ESULT__&b={token}"),
                   SMV__SB_EC_INVALID_CALLBACK_URL);

  assert_true(smv__sb_valid_return_url("myapp://verified"));
  assert_true(smv__sb_valid_return_url("https://app.example/done?x=1"));
  assert_false(smv__sb_valid_return_url("no-scheme"));
  assert_false(smv__sb_valid_return_url("myapp://a b"));
  assert_false(smv__sb_valid_return_url("https://"));
  assert_false(smv__sb_valid_return_url("myapp://x\r\nSet-Cookie: a=b"));
  assert_false(smv__sb_valid_return_url("myapp://done/{x}"));
  assert_false(smv__sb_valid_return_url("https://app..example.com/"));
  assert_false(smv__sb_valid_return_url("myapp://done/%zz"));
  assert_false(smv__sb_valid_return_url("https://u:p@app.example/"));
  assert_true(smv__sb_valid_return_url("myapp:done"));
  assert_true(smv__sb_valid_return_url("com.example.app:/oauth2redirect"));
  /* redirect_uris: the same rules, and no fragment (RFC 6749 3.1.2) */
  assert_true(smv__sb_valid_redirect_uri("myapp://camara/callback"));
  assert_true(smv__sb_valid_redirect_uri("https://app.example/cb?x=1"));
  assert_false(smv__sb_valid_redirect_uri("myapp://done/{x}"));
  assert_false(smv__sb_valid_redirect_uri("https://app..example.com/"));
  assert_false(smv__sb_valid_redirect_uri("https://app.example/%zz"));
  assert_false(smv__sb_valid_redirect_uri("https://app.example/cb#frag"));
  assert_false(smv__sb_valid_redirect_uri("/relative"));

  assert_true(smv__sb_check_basic(AUTH, "sandbox", "sandbox-secret"));
  assert_true(smv__sb_check_basic("basic c2FuZGJveDpzYW5kYm94LXNlY3JldA==", "sandbox", "sandbox-secret"));
  assert_false(smv__sb_check_basic(AUTH, "sandbox", "other"));
  assert_false(smv__sb_check_basic("Bearer c2FuZGJveDpzYW5kYm94LXNlY3JldA==", "sandbox", "sandbox-secret"));
  assert_false(smv__sb_check_basic("Basic !!!", "sandbox", "sandbox-secret"));
  assert_false(smv__sb_check_basic(NULL, "sandbox", "sandbox-secret"));

  char *u = smv__sb_callback_expand("http://h/r?result={result}&token={token}&again={token}", "VALID",
                                    "tok");
  assert_string_equal(u, "http://h/r?result=VALID&token=tok&again=tok");
  free(u);
}

/* Every verify rejection: HTTP status and error id. */
static void test_verify_table(void **state) {
  (void)state;
  static const struct {
    const char *auth, *ct, *body;
    int status, id;
  } cases[] = {
      {NULL, "application/json", "{}", 401, 1001},
      {"Basic c2FuZGJveDp3cm9uZw==", "application/json", "{}", 401, 1001},
      {AUTH, "text/plain", "{}", 415, 1002},
      {AUTH, NULL, "{}", 415, 1002},
      {AUTH, "application/json", "{", 400, 1004},
      {AUTH, "application/json", "[1,2]", 422, 400},
      {AUTH, "application/json", "\"text\"", 422, 400},
      {AUTH, "application/json", "", 400, 1004},
      {AUTH, "application/json; charset=utf-8", "{\"phoneNumber\":41793026727," CB "}", 422, 400},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":\"true\"}", 422, 400},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"devicePort\":\"1\",\"deviceIp\":\"1.2.3.4\"}", 422, 400},
      {AUTH, "application/json", "{\"phoneNumber\":null," CB "}", 422, 400},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\",\"callbackUrl\":\"https://a..b/?r={result}&t={token}\",\"consentGranted\":true}", 400, 1011},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true,\"returnUrl\":\"myapp://done/{x}\"}", 400, 1014},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true,\"returnUrl\":\"https://app..example.com/\"}", 400, 1014},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true,\"returnUrl\":\"myapp://done/%zz\"}", 400, 1014},
      {AUTH, "application/json", "{" CB ",\"consentGranted\":true}", 400, 1008},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\",\"consentGranted\":true}", 400, 1008},
      {AUTH, "application/json", "{\"phoneNumber\":\"+41793026727\"," CB ",\"consentGranted\":true}", 400, 1010},
      {AUTH, "application/json", "{\"phoneNumber\":\"4179\"," CB ",\"consentGranted\":true}", 400, 1010},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\",\"callbackUrl\":\"mailto:x\",\"consentGranted\":true}", 400, 1011},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\",\"callbackUrl\":\"https://a/r?result={result}\",\"consentGranted\":true}", 400, 1012},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true,\"returnUrl\":\"nope\"}", 400, 1014},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true,\"deviceIp\":\"1.2.3\"}", 400, 1015},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true,\"deviceIp\":\"1.2.3.4\",\"devicePort\":0}", 400, 1016},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true,\"deviceIp\":\"1.2.3.4\",\"devicePort\":70000}", 400, 1016},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true,\"deviceIp\":\"1.2.3.4\",\"devicePort\":1.5}", 400, 1016},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true,\"devicePort\":443}", 400, 1017},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":false}", 200, 202},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB "}", 200, 202},
      {AUTH, "application/json", "{\"phoneNumber\":\"41000000000\"," CB ",\"consentGranted\":true}", 200, 1020},
  };
  world *w = world_new(NULL);
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    smv__sb_response res;
    verify_req(w, cases[i].auth, cases[i].ct, cases[i].body, &res);
    if (res.status != cases[i].status || res.error_id != cases[i].id)
      fprintf(stderr, "case %zu: %d %s\n", i, res.status, res.body);
    assert_int_equal(res.status, cases[i].status);
    assert_int_equal(res.error_id, cases[i].id);
    char want[64];
    snprintf(want, sizeof(want), "\"error\":{\"id\":%d,\"name\":\"", cases[i].id);
    assert_non_null(strstr(res.body, want));
    assert_non_null(strstr(res.body, "\"status\":\"ERROR\""));
    if (cases[i].status == 401) assert_true(res.www_authenticate);
  }
  /* Only the two business errors reach the callback, as ERROR-<id> with the response's token. */
  assert_int_equal(w->delivered, 3);
  assert_string_equal(w->last_result, "ERROR-1020");

  smv__sb_response res;
  verify_req(w, AUTH, "application/json",
             "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":false}", &res);
  char tok[37], want[200];
  body_token(&res, tok);
  snprintf(want, sizeof(want), "http://127.0.0.1:9/r?result=ERROR-202&token=%s", tok);
  assert_string_equal(w->last_url, want);

  /* the body limit, and the wrong method / path */
  w->cfg.max_body_bytes = 10;
  verify_req(w, AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"}", &res);
  assert_int_equal(res.status, 413);
  assert_int_equal(res.error_id, 1003);
  get(w, SMV__SB_API, SMV__SB_VERIFY_PATH, "127.0.0.1", 1, T0, &res);
  assert_int_equal(res.status, 405);
  assert_string_equal(res.allow, "POST");
  get(w, SMV__SB_API, "/nothing", "127.0.0.1", 1, T0, &res);
  assert_int_equal(res.status, 404);
  get(w, SMV__SB_OPERATOR, SMV__SB_VERIFY_PATH, "127.0.0.1", 1, T0, &res);
  assert_int_equal(res.status, 404);
  world_free(w);
}

static void test_ok_path(void **state) {
  (void)state;
  world *w = world_new(NULL);
  smv__sb_response res;
  verify_req(w, AUTH, "application/json",
             "{\"phoneNumber\":\"41793026727\"," CB
             ",\"consentGranted\":true,\"deviceIp\":\"127.0.0.1\",\"devicePort\":50000}",
             &res);
  assert_int_equal(res.status, 200);
  assert_non_null(strstr(res.body, "\"status\":\"OK\""));
  assert_string_equal(w->last_result, "VALID");
  char tok[37];
  body_token(&res, tok);
  /* the OK token is done: the device endpoint does not know it */
  char path[128];
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, "127.0.0.1", 1234, T0, &res);
  assert_int_equal(res.status, 400);
  assert_int_equal(res.error_id, 201);

  /* an address outside the operator's network (derived: its subscribers' addresses) */
  verify_req(w, AUTH, "application/json",
             "{\"phoneNumber\":\"41793026727\"," CB
             ",\"consentGranted\":true,\"deviceIp\":\"192.0.2.7\",\"devicePort\":50000}",
             &res);
  assert_non_null(strstr(res.body, "\"status\":\"OK\""));
  assert_string_equal(w->last_result, "ERROR-306");

  /* an IPv4 without its port cannot be checked against a shared address: REDIRECT */
  verify_req(w, AUTH, "application/json",
             "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true,\"deviceIp\":\"192.0.2.7\"}",
             &res);
  assert_non_null(strstr(res.body, "\"status\":\"REDIRECT\""));
  world_free(w);
}

static void test_redirect_single_use_and_return_url(void **state) {
  (void)state;
  world *w = world_new(NULL);
  smv__sb_response res;
  verify_req(w, AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true}",
             &res);
  assert_int_equal(res.status, 200);
  char tok[37], want[200];
  body_token(&res, tok);
  snprintf(want, sizeof(want), "\"deviceRedirectUrl\":\"https://127.0.0.1:8443/mi/device/%s\"", tok);
  assert_non_null(strstr(res.body, want));
  assert_int_equal(w->delivered, 0);

  char path[128];
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, "127.0.0.1", 40001, T0 + 1000, &res);
  assert_int_equal(res.status, 200);
  snprintf(want, sizeof(want), "{\"token\":\"%s\",\"returnUrl\":null}", tok);
  assert_string_equal(res.body, want);
  assert_string_equal(w->last_result, "VALID");
  assert_int_equal(w->delivered, 1);

  get(w, SMV__SB_API, path, "127.0.0.1", 40001, T0 + 2000, &res);
  assert_int_equal(res.status, 400);
  snprintf(want, sizeof(want),
           "{\"status\":\"ERROR\",\"token\":\"%s\",\"error\":{\"id\":201,\"name\":\"EC_INVALID_TOKEN\","
           "\"description\":\"Token is invalid or does not exist\"}}",
           tok);
  assert_string_equal(res.body, want);
  assert_int_equal(w->delivered, 1);

  get(w, SMV__SB_API, "/mi/device/not-a-token", "127.0.0.1", 1, T0, &res);
  assert_int_equal(res.status, 400);
  assert_non_null(strstr(res.body, "\"token\":null"));
  get(w, SMV__SB_API, "/mi/device/00000000-0000-4000-8000-000000000000", "127.0.0.1", 1, T0, &res);
  assert_int_equal(res.status, 400);
  assert_int_equal(res.error_id, 201);

  verify_req(w, AUTH, "application/json",
             "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true,\"returnUrl\":\"myapp://verified\"}",
             &res);
  body_token(&res, tok);
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, "192.0.2.1", 40001, T0, &res);
  assert_int_equal(res.status, 302);
  assert_string_equal(res.location, "myapp://verified");
  assert_string_equal(w->last_result, "ERROR-306"); /* a WiFi leak, seen from the service */
  world_free(w);
}

static void test_expiry(void **state) {
  (void)state;
  world *w = world_new("{\"faults\":{\"token_ttl_ms\":1000}}");
  smv__sb_response res;
  char tok[37], tok2[37], path[128];
  verify_req(w, AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true}",
             &res);
  body_token(&res, tok);
  verify_req(w, AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true}",
             &res);
  body_token(&res, tok2);
  assert_string_not_equal(tok, tok2);
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, "127.0.0.1", 1, T0 + 1000, &res);
  assert_int_equal(res.status, 400);
  assert_int_equal(res.error_id, 201);
  /* the device never opened it in time */
  assert_string_equal(w->last_result, "ERROR-305");
  assert_int_equal(w->delivered, 1);
  assert_int_equal(smv__sb_service_sweep(&w->svc, T0 + 999), 0);
  assert_int_equal(smv__sb_service_sweep(&w->svc, T0 + 1000), 1);
  assert_int_equal(w->delivered, 2);
  assert_string_equal(w->last_result, "ERROR-305");
  assert_int_equal(w->svc.tokens.count, 0);
  world_free(w);
  /* sent through the operator and never back: ERROR-1021 */
  w = world_new("{\"operators\":[{\"name\":\"beta\",\"profile\":\"header_enrichment\"}],"
                "\"faults\":{\"token_ttl_ms\":1000}}");
  verify_req(w, AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":true}",
             &res);
  body_token(&res, tok);
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, "127.0.0.1", 1, T0 + 10, &res);
  assert_int_equal(res.status, 302);
  assert_int_equal(smv__sb_service_sweep(&w->svc, T0 + 1000), 1);
  assert_string_equal(w->last_result, "ERROR-1021");
  world_free(w);
}

static const char *cgnat_cfg =
    "{\"operators\":[{\"name\":\"alpha\",\"profile\":\"ip_port\",\"public_ipv4\":\"198.51.100.1\"},"
    "{\"name\":\"beta\",\"profile\":\"header_enrichment\",\"hmac_key\":"
    "\"00112233445566778899aabbccddeeff\",\"latency_ms\":30}],"
    "\"subscribers\":["
    "{\"msisdn\":\"41790000001\",\"operator\":\"alpha\",\"ports\":[2048,4095]},"
    "{\"msisdn\":\"41790000002\",\"operator\":\"alpha\",\"ports\":[4096,6143],"
    "\"ipv6_prefix\":\"2001:db8:2::/48\"},"
    "{\"msisdn\":\"41780000001\",\"operator\":\"beta\",\"private_ip\":\"127.0.0.1\"},"
    "{\"msisdn\":\"41780000002\",\"operator\":\"beta\",\"private_ip\":\"127.0.0.2\"}]}";

static void test_cgnat_matching(void **state) {
  (void)state;
  world *w = world_new(cgnat_cfg);
  const smv__sb_config *c = &w->cfg;
  smv__sb_addr pub, other, v6in, v6out, mapped;
  smv__sb_addr_parse(&pub, "198.51.100.1");
  smv__sb_addr_parse(&other, "198.51.100.2");
  smv__sb_addr_parse(&v6in, "2001:db8:2:77::5");
  smv__sb_addr_parse(&v6out, "2001:db8:3::5");
  smv__sb_addr_parse(&mapped, "::ffff:198.51.100.1");
  const smv__sb_subscriber *s1 = &c->subscribers[0], *s2 = &c->subscribers[1];
  assert_true(smv__sb_match(c, s1, &pub, 2048, 1));
  assert_true(smv__sb_match(c, s1, &pub, 4095, 1));
  assert_false(smv__sb_match(c, s1, &pub, 4096, 1));
  assert_false(smv__sb_match(c, s1, &pub, 2047, 1));
  assert_false(smv__sb_match(c, s1, &pub, 3000, 0));
  assert_false(smv__sb_match(c, s1, &other, 3000, 1));
  assert_true(smv__sb_match(c, s1, &mapped, 3000, 1));
  assert_true(smv__sb_match(c, s2, &pub, 5000, 1));
  assert_true(smv__sb_match(c, s2, &v6in, 0, 0));
  assert_false(smv__sb_match(c, s2, &v6out, 0, 0));
  assert_int_equal(smv__sb_lookup_by_addr(c, 0, &pub, 5000), 1);
  assert_int_equal(smv__sb_lookup_by_addr(c, 0, &pub, 100), -1);

  /* the device endpoint applies it to the connection's address */
  smv__sb_response res;
  char tok[37], path[128];
  verify_req(w, AUTH, "application/json", "{\"phoneNumber\":\"41790000001\"," CB ",\"consentGranted\":true}",
             &res);
  body_token(&res, tok);
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, "198.51.100.1", 5000, T0, &res); /* subscriber 2's block */
  assert_int_equal(res.status, 200);
  assert_string_equal(w->last_result, "INVALID");
  verify_req(w, AUTH, "application/json", "{\"phoneNumber\":\"41790000001\"," CB ",\"consentGranted\":true}",
             &res);
  body_token(&res, tok);
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, "198.51.100.1", 3333, T0, &res);
  assert_string_equal(w->last_result, "VALID");
  /* the OK path with an IPv6 deviceIp alone */
  verify_req(w, AUTH, "application/json",
             "{\"phoneNumber\":\"41790000002\"," CB ",\"consentGranted\":true,\"deviceIp\":\"2001:db8:2::9\"}",
             &res);
  assert_non_null(strstr(res.body, "\"status\":\"OK\""));
  assert_string_equal(w->last_result, "VALID");
  world_free(w);
}

static void test_assertion(void **state) {
  (void)state;
  const unsigned char key[16] = "0123456789abcdef";
  char sig[65];
  const char *tok = "6a31ccca-ceba-4998-a3b0-16ae5e182ab0";
  assert_int_equal(smv__sb_assert_sign(key, sizeof(key), tok, "41793026727", 1000, sig), 0);
  assert_int_equal(strlen(sig), 64);
  assert_int_equal(smv__sb_assert_verify(key, sizeof(key), tok, "41793026727", 1000, sig, 1000, 120), 0);
  assert_int_equal(smv__sb_assert_verify(key, sizeof(key), tok, "41793026727", 1000, sig, 1120, 120), 0);
  assert_int_equal(smv__sb_assert_verify(key, sizeof(key), tok, "41793026727", 1000, sig, 1121, 120), -1);
  assert_int_equal(smv__sb_assert_verify(key, sizeof(key), tok, "41793026728", 1000, sig, 1000, 120), -1);
  assert_int_equal(smv__sb_assert_verify(key, sizeof(key), tok, "41793026727", 1001, sig, 1001, 120), -1);
  const unsigned char key2[16] = "0123456789abcdeF";
  assert_int_equal(smv__sb_assert_verify(key2, sizeof(key2), tok, "41793026727", 1000, sig, 1000, 120), -1);
  sig[10] ^= 1;
  assert_int_equal(smv__sb_assert_verify(key, sizeof(key), tok, "41793026727", 1000, sig, 1000, 120), -1);
}

static void he_flow(world *w, const char *msisdn, const char *device_ip, const char *want_result) {
  smv__sb_response res;
  char body[512], tok[37], path[256];
  snprintf(body, sizeof(body), "{\"phoneNumber\":\"%s\"," CB ",\"consentGranted\":true}", msisdn);
  verify_req(w, AUTH, "application/json", body, &res);
  assert_non_null(strstr(res.body, "\"status\":\"REDIRECT\""));
  body_token(&res, tok);
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, device_ip, 41000, T0, &res);
  assert_int_equal(res.status, 302);
  char want[256];
  snprintf(want, sizeof(want), "http://127.0.0.1:8080/he/beta/%s", tok);
  assert_string_equal(res.location, want);
  /* the operator endpoint: sees the device, signs, sends it back */
  get(w, SMV__SB_OPERATOR, want + strlen("http://127.0.0.1:8080"), device_ip, 41001, T0 + 10, &res);
  assert_int_equal(res.status, 302);
  assert_int_equal(res.delay_ms, 30);
  snprintf(want, sizeof(want), "https://127.0.0.1:8443/mi/device/%s/he?", tok);
  assert_memory_equal(res.location, want, strlen(want));
  char back[1024];
  snprintf(back, sizeof(back), "%.*s", (int)sizeof(back) - 1, res.location + strlen("https://127.0.0.1:8443"));
  /* a forged number is refused, and the token survives it */
  char forged[1024];
  snprintf(forged, sizeof(forged), "%s", back);
  char *m = strstr(forged, "msisdn=");
  if (m[7] != '&') m[7] = m[7] == '9' ? '8' : '9';
  else memmove(m + 8, m + 7, strlen(m + 7) + 1), m[7] = '4';
  get(w, SMV__SB_API, forged, device_ip, 41002, T0 + 20, &res);
  assert_int_equal(res.status, 400);
  assert_int_equal(res.error_id, 1032);
  get(w, SMV__SB_API, back, device_ip, 41002, T0 + 20, &res);
  assert_int_equal(res.status, 200);
  assert_string_equal(w->last_result, want_result);
  get(w, SMV__SB_API, back, device_ip, 41002, T0 + 30, &res);
  assert_int_equal(res.status, 400);
  assert_int_equal(res.error_id, 201);
}

static void test_header_enrichment(void **state) {
  (void)state;
  world *w = world_new(cgnat_cfg);
  he_flow(w, "41780000001", "127.0.0.1", "VALID");
  he_flow(w, "41780000001", "127.0.0.2", "INVALID");  /* the device is the other subscriber */
  he_flow(w, "41780000002", "127.0.0.9", "INVALID");  /* no subscriber at that address */
  /* skipping the operator: the /he return without a live AT_OPERATOR state */
  smv__sb_response res;
  char tok[37], path[256];
  verify_req(w, AUTH, "application/json", "{\"phoneNumber\":\"41780000001\"," CB ",\"consentGranted\":true}",
             &res);
  body_token(&res, tok);
  snprintf(path, sizeof(path), "/mi/device/%s/he?msisdn=41780000001&ts=1&sig=00", tok);
  get(w, SMV__SB_API, path, "127.0.0.1", 1, T0, &res);
  assert_int_equal(res.status, 400);
  assert_int_equal(res.error_id, 201);
  world_free(w);
}

static void test_faults(void **state) {
  (void)state;
  world *w = world_new("{\"faults\":{\"operator_down\":true,\"operator_latency_ms\":250}}");
  smv__sb_response res;
  verify_req(w, AUTH, "application/json",
             "{\"phoneNumber\":\"41793026727\"," CB
             ",\"consentGranted\":true,\"deviceIp\":\"127.0.0.1\",\"devicePort\":5}",
             &res);
  assert_non_null(strstr(res.body, "\"status\":\"OK\""));
  assert_string_equal(w->last_result, "ERROR-1030");
  assert_int_equal(w->last_delay, 250);
  world_free(w);
  w = world_new("{\"faults\":{\"always_invalid\":true}}");
  verify_req(w, AUTH, "application/json",
             "{\"phoneNumber\":\"41793026727\"," CB
             ",\"consentGranted\":true,\"deviceIp\":\"127.0.0.1\",\"devicePort\":5}",
             &res);
  assert_string_equal(w->last_result, "INVALID");
  world_free(w);
}

static void test_config(void **state) {
  (void)state;
  smv__sb_config c;
  char err[256];
  assert_int_equal(smv__sb_config_defaults(&c), 0);
  assert_string_equal(c.listen_ip, "127.0.0.1");
  assert_string_equal(c.subscribers[0].msisdn, "41793026727");
  assert_int_equal(smv__sb_config_parse(&c, "{\"bogus\":1}", 11, err, sizeof(err)),
                   SMV_ERR_INVALID_ARG);
  assert_non_null(strstr(err, "bogus"));
  const char *bad[] = {
      "{\"subscribers\":[{\"msisdn\":\"123\",\"private_ip\":\"127.0.0.1\"}]}",
      "{\"subscribers\":[{\"msisdn\":\"41790000001\",\"operator\":\"nope\",\"private_ip\":\"127.0.0.1\"}]}",
      "{\"subscribers\":[{\"msisdn\":\"41790000001\",\"ports\":[10,20]}]}",
      "{\"operators\":[{\"name\":\"a\",\"profile\":\"magic\"}]}",
      "{\"faults\":{\"token_ttl_ms\":-1}}",
      "{\"listeners\":{\"ip\":\"localhost\"}}",
      "{\"credentials\":{\"user\":\"a:b\"}}",
      "not json",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(smv__sb_config_parse(&c, bad[i], strlen(bad[i]), err, sizeof(err)),
                     SMV_ERR_INVALID_ARG);
  smv__sb_config_free(&c);
  assert_int_equal(smv__sb_config_defaults(&c), 0);
  const char *good = "{\"listeners\":{\"ip\":\"::1\",\"api_port\":8443},\"credentials\":{\"user\":\"u\","
                     "\"password\":\"p\"},\"callbacks\":{\"max_attempts\":3},\"faults\":"
                     "{\"operator_down\":[\"sandbox-mobile\"]}}";
  assert_int_equal(smv__sb_config_parse(&c, good, strlen(good), err, sizeof(err)), 0);
  assert_string_equal(c.listen_ip, "::1");
  assert_int_equal(c.api_port, 8443);
  assert_int_equal(c.callback_max_attempts, 3);
  assert_true(c.operators[0].down);
  smv__sb_config_free(&c);
}


/* The zero-rated flow: init, the device's visit, then the backend asks for the result once. */
static void zr_init(world *w, const char *body, smv__sb_response *res) {
  request(w, SMV__SB_API, "POST", SMV__SB_ZR_INIT_PATH, AUTH, "application/json", body, "127.0.0.1",
          40000, NULL, 0, T0, res);
}

static void zr_verify(world *w, const char *tok, uint64_t now, smv__sb_response *res) {
  char body[128];
  snprintf(body, sizeof(body), "{\"token\":\"%s\"}", tok);
  request(w, SMV__SB_API, "POST", SMV__SB_ZR_VERIFY_PATH, AUTH, "application/json", body, "127.0.0.1",
          40000, NULL, 0, now, res);
}

static void test_zero_rated(void **state) {
  (void)state;
  world *w = world_new("{\"subscribers\":[{\"msisdn\":\"41793026727\",\"private_ip\":\"127.0.0.1\"},"
                       "{\"msisdn\":\"41793026728\",\"private_ip\":\"127.0.0.2\"}],"
                       "\"faults\":{\"token_ttl_ms\":5000}}");
  smv__sb_response res;
  char tok[37], path[128], want[256];
  zr_init(w, "{\"phoneNumber\":\"41793026727\",\"consentGranted\":true}", &res);
  assert_int_equal(res.status, 200);
  body_token(&res, tok);
  snprintf(want, sizeof(want), "{\"token\":\"%s\",\"deviceRedirectUrl\":\"https://127.0.0.1:8443/mi/device/%s\"}",
           tok, tok);
  assert_string_equal(res.body, want);
  /* before the device: 409, the token kept */
  zr_verify(w, tok, T0 + 1, &res);
  assert_int_equal(res.status, 409);
  assert_int_equal(res.error_id, 1022);
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, "127.0.0.1", 40001, T0 + 2, &res);
  assert_int_equal(res.status, 200);
  assert_int_equal(w->delivered, 0); /* no callback in this flow */
  get(w, SMV__SB_API, path, "127.0.0.1", 40001, T0 + 3, &res); /* one visit */
  assert_int_equal(res.error_id, 201);
  zr_verify(w, tok, T0 + 4, &res);
  assert_int_equal(res.status, 200);
  snprintf(want, sizeof(want), "{\"result\":\"VALID\",\"token\":\"%s\"}", tok);
  assert_string_equal(res.body, want);
  zr_verify(w, tok, T0 + 5, &res); /* once */
  assert_int_equal(res.status, 400);
  assert_int_equal(res.error_id, 201);
  /* INVALID: the other subscriber's device, with a returnUrl */
  zr_init(w, "{\"phoneNumber\":\"41793026727\",\"consentGranted\":true,\"returnUrl\":\"myapp://zr\"}", &res);
  body_token(&res, tok);
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, "127.0.0.2", 40001, T0 + 2, &res);
  assert_int_equal(res.status, 302);
  assert_string_equal(res.location, "myapp://zr");
  zr_verify(w, tok, T0 + 4, &res);
  assert_non_null(strstr(res.body, "\"result\":\"INVALID\""));
  /* a device from outside the operator's network: ERROR 306 in the answer */
  zr_init(w, "{\"phoneNumber\":\"41793026727\",\"consentGranted\":true}", &res);
  body_token(&res, tok);
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, "192.0.2.8", 40001, T0 + 2, &res);
  zr_verify(w, tok, T0 + 4, &res);
  assert_int_equal(res.status, 200);
  assert_int_equal(res.error_id, 306);
  /* expired: EC_INVALID_TOKEN */
  zr_init(w, "{\"phoneNumber\":\"41793026727\",\"consentGranted\":true}", &res);
  body_token(&res, tok);
  zr_verify(w, tok, T0 + 5000, &res);
  assert_int_equal(res.status, 400);
  assert_int_equal(res.error_id, 201);
  /* the request's own errors */
  zr_verify(w, "not-a-token", T0, &res);
  assert_int_equal(res.error_id, 201);
  assert_non_null(strstr(res.body, "\"token\":null"));
  request(w, SMV__SB_API, "POST", SMV__SB_ZR_VERIFY_PATH, AUTH, "application/json", "{}", "127.0.0.1",
          1, NULL, 0, T0, &res);
  assert_int_equal(res.error_id, 1008);
  request(w, SMV__SB_API, "POST", SMV__SB_ZR_VERIFY_PATH, AUTH, "application/json", "{\"token\":5}",
          "127.0.0.1", 1, NULL, 0, T0, &res);
  assert_int_equal(res.status, 422);
  assert_int_equal(res.error_id, 400);
  request(w, SMV__SB_API, "POST", SMV__SB_ZR_VERIFY_PATH, NULL, "application/json", "{}", "127.0.0.1",
          1, NULL, 0, T0, &res);
  assert_int_equal(res.error_id, 1001);
  request(w, SMV__SB_API, "GET", SMV__SB_ZR_INIT_PATH, AUTH, NULL, "", "127.0.0.1", 1, NULL, 0, T0, &res);
  assert_int_equal(res.status, 405);
  zr_init(w, "{\"phoneNumber\":\"41793026727\",\"consentGranted\":false}", &res);
  assert_int_equal(res.status, 200);
  assert_int_equal(res.error_id, 202);
  zr_init(w, "{\"phoneNumber\":\"41000000000\",\"consentGranted\":true}", &res);
  assert_int_equal(res.error_id, 1020);
  zr_init(w, "{\"consentGranted\":true}", &res);
  assert_int_equal(res.error_id, 1008);
  zr_init(w, "{\"phoneNumber\":\"41793026727\",\"consentGranted\":true,\"returnUrl\":\"myapp://done/{x}\"}", &res);
  assert_int_equal(res.error_id, 1014);
  assert_int_equal(w->delivered, 0);
  world_free(w);
  /* the operator down: the ERROR it caused comes back in the answer */
  w = world_new("{\"faults\":{\"operator_down\":true}}");
  zr_init(w, "{\"phoneNumber\":\"41793026727\",\"consentGranted\":true}", &res);
  body_token(&res, tok);
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, "127.0.0.1", 40001, T0 + 2, &res);
  zr_verify(w, tok, T0 + 4, &res);
  assert_int_equal(res.status, 200);
  assert_int_equal(res.error_id, 1030);
  assert_int_equal(smv__sb_service_sweep(&w->svc, T0 + 600000), 0);
  world_free(w);
}

/* ERROR-306: a device (or a deviceIp) outside the operator's network. */
static void test_ip_ranges(void **state) {
  (void)state;
  world *w = world_new(
      "{\"operators\":[{\"name\":\"alpha\",\"public_ipv4\":\"198.51.100.1\","
      "\"ip_ranges\":[\"198.51.100.0/24\",\"100.64.0.0/10\",\"2001:db8:a::/48\"]},"
      "{\"name\":\"gamma\",\"public_ipv4\":\"203.0.113.1\"}],"
      "\"subscribers\":[{\"msisdn\":\"41790000001\",\"operator\":\"alpha\",\"ports\":[2048,4095]},"
      "{\"msisdn\":\"41790000003\",\"operator\":\"gamma\",\"private_ip\":\"203.0.113.7\","
      "\"ipv6_prefix\":\"2001:db8:c::/48\"}]}");
  const smv__sb_config *c = &w->cfg;
  smv__sb_addr a;
  static const struct { const char *ip; size_t op; int in; } cases[] = {
      {"198.51.100.77", 0, 1}, {"100.127.255.255", 0, 1}, {"100.128.0.0", 0, 0},
      {"2001:db8:a:1::9", 0, 1}, {"2001:db8:b::1", 0, 0}, {"::ffff:198.51.100.2", 0, 1},
      {"192.0.2.1", 0, 0},
      /* derived: public_ipv4, private_ip, ipv6_prefix */
      {"203.0.113.1", 1, 1}, {"203.0.113.7", 1, 1}, {"203.0.113.8", 1, 0},
      {"2001:db8:c:5::1", 1, 1}, {"2001:db8:d::1", 1, 0}};
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    assert_int_equal(smv__sb_addr_parse(&a, cases[i].ip), 0);
    if (smv__sb_in_operator_ranges(c, cases[i].op, &a) != cases[i].in)
      fprintf(stderr, "case %s\n", cases[i].ip);
    assert_int_equal(smv__sb_in_operator_ranges(c, cases[i].op, &a), cases[i].in);
  }
  smv__sb_response res;
  char tok[37], path[128];
  /* inside the range but not the subscriber's port block: INVALID, not 306 */
  verify_req(w, AUTH, "application/json", "{\"phoneNumber\":\"41790000001\"," CB ",\"consentGranted\":true}", &res);
  body_token(&res, tok);
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, "198.51.100.1", 9000, T0, &res);
  assert_string_equal(w->last_result, "INVALID");
  verify_req(w, AUTH, "application/json", "{\"phoneNumber\":\"41790000001\"," CB ",\"consentGranted\":true}", &res);
  body_token(&res, tok);
  snprintf(path, sizeof(path), "/mi/device/%s", tok);
  get(w, SMV__SB_API, path, "192.0.2.50", 3000, T0, &res);
  assert_int_equal(res.status, 200);
  assert_string_equal(w->last_result, "ERROR-306");
  verify_req(w, AUTH, "application/json",
             "{\"phoneNumber\":\"41790000003\"," CB ",\"consentGranted\":true,\"deviceIp\":\"198.51.100.9\",\"devicePort\":5}",
             &res);
  assert_string_equal(w->last_result, "ERROR-306");
  verify_req(w, AUTH, "application/json",
             "{\"phoneNumber\":\"41790000003\"," CB ",\"consentGranted\":true,\"deviceIp\":\"203.0.113.7\",\"devicePort\":5}",
             &res);
  assert_string_equal(w->last_result, "VALID");
  world_free(w);
  /* a header-enrichment operator without ranges: its proxy decides, the service does not check */
  w = world_new("{\"operators\":[{\"name\":\"beta\",\"profile\":\"header_enrichment\"}],"
                "\"subscribers\":[{\"msisdn\":\"41780000001\",\"private_ip\":\"127.0.0.1\"}]}");
  assert_int_equal(smv__sb_addr_parse(&a, "192.0.2.1"), 0);
  assert_true(smv__sb_in_operator_ranges(&w->cfg, 0, &a));
  world_free(w);
  static const char *const bad[] = {
      "{\"operators\":[{\"name\":\"a\",\"ip_ranges\":[\"10.0.0.0\"]}]}",
      "{\"operators\":[{\"name\":\"a\",\"ip_ranges\":[\"10.0.0.0/33\"]}]}",
      "{\"operators\":[{\"name\":\"a\",\"ip_ranges\":[\"2001:db8::/129\"]}]}",
      "{\"operators\":[{\"name\":\"a\",\"ip_ranges\":[\"10.0.0.0/x\"]}]}",
      "{\"operators\":[{\"name\":\"a\",\"ip_ranges\":\"10.0.0.0/8\"}]}",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) config_refused(bad[i], "ip_ranges");
}

/* Header enrichment through a real proxy (issue 13): the MSISDN header is believed from a trusted
 * proxy only. The signed redirect back carries the number the operator vouches for. */
static void he_via(world *w, const char *peer, const smv__sb_header *h, size_t hn, const char *want_msisdn) {
  smv__sb_response res;
  request(w, SMV__SB_OPERATOR, "GET", "/he/beta/6a31ccca-ceba-4998-a3b0-16ae5e182ab0", NULL, NULL, "",
          peer, 41000, h, hn, T0, &res);
  assert_int_equal(res.status, 302);
  char want[64];
  snprintf(want, sizeof(want), "?msisdn=%s&ts=", want_msisdn);
  if (!strstr(res.location, want)) fprintf(stderr, "from %s: %s\n", peer, res.location);
  assert_non_null(strstr(res.location, want));
}

static void test_trusted_proxies(void **state) {
  (void)state;
  world *w = world_new(
      "{\"operators\":[{\"name\":\"beta\",\"profile\":\"header_enrichment\","
      "\"trusted_proxies\":[\"100.64.0.1\",\"2001:db8::1\"]}],"
      "\"subscribers\":[{\"msisdn\":\"41780000001\",\"operator\":\"beta\"},"
      "{\"msisdn\":\"41780000002\",\"operator\":\"beta\",\"private_ip\":\"127.0.0.1\"}]}");
  assert_string_equal(w->cfg.operators[0].msisdn_header, "X-MSISDN");
  const smv__sb_header good[] = {{"Host", "op"}, {"x-msisdn", "41780000001"}};
  const smv__sb_header plus[] = {{"X-MSISDN", "+41780000002"}};
  const smv__sb_header twice[] = {{"X-MSISDN", "41780000001"}, {"X-MSISDN", "41780000002"}};
  const smv__sb_header junk[] = {{"X-MSISDN", "4178000000a"}};
  he_via(w, "100.64.0.1", good, 2, "41780000001");        /* trusted, enriched */
  he_via(w, "::ffff:100.64.0.1", good, 2, "41780000001"); /* as a dual-stack listener reports it */
  he_via(w, "2001:db8::1", plus, 1, "41780000002");       /* E.164's '+' is dropped */
  he_via(w, "100.64.0.2", good, 2, "");                   /* not a trusted proxy: header ignored */
  he_via(w, "127.0.0.1", good, 2, "");                    /* nor is a subscriber's own address */
  he_via(w, "100.64.0.1", NULL, 0, "");                   /* trusted proxy, no header */
  he_via(w, "100.64.0.1", twice, 2, "");                  /* two answers: none believed */
  he_via(w, "100.64.0.1", junk, 1, "");                   /* not an MSISDN */
  /* and the whole flow: the verification ends VALID only through the proxy */
  smv__sb_response res;
  char tok[37], path[256], target[256];
  for (int through_proxy = 0; through_proxy < 2; through_proxy++) {
    verify_req(w, AUTH, "application/json", "{\"phoneNumber\":\"41780000001\"," CB ",\"consentGranted\":true}", &res);
    body_token(&res, tok);
    snprintf(path, sizeof(path), "/mi/device/%s", tok);
    get(w, SMV__SB_API, path, "203.0.113.1", 41000, T0, &res);
    assert_int_equal(res.status, 302);
    snprintf(target, sizeof(target), "/he/beta/%s", tok);
    request(w, SMV__SB_OPERATOR, "GET", target, NULL, NULL, "", through_proxy ? "100.64.0.1" : "203.0.113.1",
            41001, good, 2, T0, &res);
    char back[SMV__SB_LOCATION_MAX];
    snprintf(back, sizeof(back), "%.4000s", res.location + strlen("https://127.0.0.1:8443"));
    get(w, SMV__SB_API, back, "203.0.113.1", 41002, T0, &res);
    assert_int_equal(res.status, 200);
    assert_string_equal(w->last_result, through_proxy ? "VALID" : "INVALID");
  }
  world_free(w);
  /* another header name */
  w = world_new("{\"operators\":[{\"name\":\"beta\",\"profile\":\"header_enrichment\","
                "\"trusted_proxies\":[\"100.64.0.1\"],\"msisdn_header\":\"X-Operator-Subscriber\"}],"
                "\"subscribers\":[{\"msisdn\":\"41780000001\"}]}");
  const smv__sb_header other[] = {{"X-Operator-Subscriber", "41780000001"}};
  he_via(w, "100.64.0.1", other, 1, "41780000001");
  he_via(w, "100.64.0.1", good + 1, 1, "");
  world_free(w);
  /* without trusted_proxies the header is never read: the address decides */
  w = world_new("{\"operators\":[{\"name\":\"beta\",\"profile\":\"header_enrichment\"}],"
                "\"subscribers\":[{\"msisdn\":\"41780000002\",\"private_ip\":\"127.0.0.1\"}]}");
  he_via(w, "127.0.0.1", good, 2, "41780000002");
  he_via(w, "127.0.0.9", good, 2, "");
  world_free(w);
  static const char *const bad[] = {
      "{\"operators\":[{\"name\":\"a\",\"trusted_proxies\":[\"100.64.0.1\"]}]}", /* ip_port */
      "{\"operators\":[{\"name\":\"a\",\"msisdn_header\":\"X-MSISDN\"}]}",
      "{\"operators\":[{\"name\":\"a\",\"profile\":\"header_enrichment\",\"trusted_proxies\":[\"proxy\"]}]}",
      "{\"operators\":[{\"name\":\"a\",\"profile\":\"header_enrichment\",\"trusted_proxies\":[]}]}",
      "{\"operators\":[{\"name\":\"a\",\"profile\":\"header_enrichment\",\"msisdn_header\":\"X MSISDN\"}]}",
      "{\"operators\":[{\"name\":\"a\",\"profile\":\"header_enrichment\",\"msisdn_header\":\"\"}]}",
      /* without trusted proxies a subscriber needs an address */
      "{\"operators\":[{\"name\":\"a\",\"profile\":\"header_enrichment\"}],"
      "\"subscribers\":[{\"msisdn\":\"41780000001\"}]}",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) config_refused(bad[i], NULL);
}

static void test_tokens_table(void **state) {
  (void)state;
  smv__sb_tokens t;
  assert_int_equal(smv__sb_tokens_init(&t), 0);
  char id[37];
  unsigned char r[16];
  /* grow through several rebuilds, removing half as we go */
  for (unsigned i = 0; i < 5000; i++) {
    memset(r, 0, sizeof(r));
    memcpy(r, &i, sizeof(i));
    smv__sb_uuid4(r, id);
    assert_true(smv__sb_is_uuid(id, 36));
    assert_int_equal(id[14], '4');
    assert_non_null(smv__sb_tokens_insert(&t, id));
    if (i % 2) smv__sb_tokens_remove(&t, smv__sb_tokens_find(&t, id));
  }
  assert_int_equal(t.count, 2500);
  for (unsigned i = 0; i < 5000; i++) {
    memset(r, 0, sizeof(r));
    memcpy(r, &i, sizeof(i));
    smv__sb_uuid4(r, id);
    if (i % 2) assert_null(smv__sb_tokens_find(&t, id));
    else assert_non_null(smv__sb_tokens_find(&t, id));
  }
  smv__sb_tokens_free(&t);
}


/* ======================================================================================== CAMARA */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static int test_rng(void *ud, unsigned char *buf, size_t n) {
  (void)ud;
  for (size_t i = 0; i < n; i++) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    buf[i] = (unsigned char)rng_state;
  }
  return 0;
}

static mbedtls_pk_context *new_ec_key(void) {
  mbedtls_pk_context *pk = malloc(sizeof(*pk));
  assert_non_null(pk);
  mbedtls_pk_init(pk);
  assert_int_equal(smv__sb_jws_keygen_es256(pk, test_rng, NULL), 0);
  return pk;
}

static mbedtls_pk_context *new_rsa_key(unsigned bits) {
  mbedtls_pk_context *pk = malloc(sizeof(*pk));
  assert_non_null(pk);
  mbedtls_pk_init(pk);
  smv__alloc *prev = smv__alloc_enter(NULL);
  assert_int_equal(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), 0);
  assert_int_equal(mbedtls_rsa_gen_key(mbedtls_pk_rsa(*pk), test_rng, NULL, bits, 65537), 0);
  smv__alloc_leave(prev);
  return pk;
}

static void key_free(mbedtls_pk_context *pk) {
  smv__sb_jws_key_free(pk);
  free(pk);
}

static char *pem_of(mbedtls_pk_context *pk) {
  static char pem[3][2048];
  static int i;
  char *p = pem[i++ % 3];
  assert_int_equal(smv__sb_jws_public_pem(pk, p, 2048), 0);
  return p;
}

static void test_b64url(void **state) {
  (void)state;
  /* RFC 4648 10's vectors, in the URL alphabet without padding */
  static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
  char out[32];
  unsigned char dec[32];
  for (size_t i = 0; i < 7; i++) {
    assert_int_equal(smv__sb_b64url_encode((const unsigned char *)plain[i], strlen(plain[i]), out,
                                           sizeof(out)),
                     strlen(enc[i]));
    assert_string_equal(out, enc[i]);
    assert_int_equal(smv__sb_b64url_decode(enc[i], strlen(enc[i]), dec, sizeof(dec)), strlen(plain[i]));
    assert_memory_equal(dec, plain[i], strlen(plain[i]));
  }
  const unsigned char fb[] = {0xfb, 0xff, 0xbf};
  smv__sb_b64url_encode(fb, 3, out, sizeof(out));
  assert_string_equal(out, "-_-_"); /* "+/+/" in the standard alphabet */
  assert_int_equal(smv__sb_b64url_decode("Zh", 2, dec, sizeof(dec)), -1);   /* unused bits set */
  assert_int_equal(smv__sb_b64url_decode("Zg==", 4, dec, sizeof(dec)), -1); /* padding */
  assert_int_equal(smv__sb_b64url_decode("Zm9vY", 5, dec, sizeof(dec)), -1); /* 4k+1 */
  assert_int_equal(smv__sb_b64url_decode("Zm+v", 4, dec, sizeof(dec)), -1);  /* standard alphabet */
  assert_int_equal(smv__sb_b64url_decode("Zm9vYmFy", 8, dec, 5), -1);        /* does not fit */
  assert_int_equal(smv__sb_b64url_encode(fb, 3, out, 4), 0);
}

/* RFC 7515 A.3: the published ES256 example verifies, with its raw R || S signature. */
static void test_jws_rfc7515_a3(void **state) {
  (void)state;
  static const char x[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
  static const char y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
  static const char jws[] =
      "eyJhbGciOiJFUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
      ".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
  unsigned char pt[65];
  pt[0] = 4;
  assert_int_equal(smv__sb_b64url_decode(x, strlen(x), pt + 1, 32), 32);
  assert_int_equal(smv__sb_b64url_decode(y, strlen(y), pt + 33, 32), 32);
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  smv__alloc *prev = smv__alloc_enter(NULL);
  mbedtls_ecp_group grp;
  mbedtls_ecp_point q;
  mbedtls_ecp_group_init(&grp);
  mbedtls_ecp_point_init(&q);
  assert_int_equal(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
  assert_int_equal(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP256R1), 0);
  assert_int_equal(mbedtls_ecp_point_read_binary(&grp, &q, pt, sizeof(pt)), 0);
  assert_int_equal(mbedtls_ecp_set_public_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(pk), &q), 0);
  mbedtls_ecp_point_free(&q);
  mbedtls_ecp_group_free(&grp);
  smv__alloc_leave(prev);
  cJSON *claims = NULL;
  assert_int_equal(smv__sb_jws_verify(jws, strlen(jws), &pk, &claims), 0);
  assert_string_equal(cJSON_GetObjectItem(claims, "iss")->valuestring, "joe");
  cJSON_Delete(claims);
  /* one bit off in the payload, or in the signature */
  char bad[sizeof(jws)];
  memcpy(bad, jws, sizeof(jws));
  bad[30] = bad[30] == 'A' ? 'B' : 'A';
  assert_int_equal(smv__sb_jws_verify(bad, strlen(bad), &pk, &claims), SMV__SB_JWS_E_SIGNATURE);
  assert_null(claims);
  memcpy(bad, jws, sizeof(jws));
  bad[sizeof(jws) - 10] = bad[sizeof(jws) - 10] == 'A' ? 'B' : 'A';
  assert_int_equal(smv__sb_jws_verify(bad, strlen(bad), &pk, &claims), SMV__SB_JWS_E_SIGNATURE);
  /* the JWK the sandbox would publish for this key has the RFC's coordinates */
  char jwk[512];
  assert_true(smv__sb_jwk_public(&pk, "k1", jwk, sizeof(jwk)) > 0);
  assert_non_null(strstr(jwk, x));
  assert_non_null(strstr(jwk, y));
  smv__sb_jws_key_free(&pk);
}

/* A JWS with an arbitrary header and payload signed by pk (ES256 raw or RS256), for refusals. */
static void forge(mbedtls_pk_context *pk, const char *header, const char *payload, char *out, size_t cap) {
  size_t o = smv__sb_b64url_encode((const unsigned char *)header, strlen(header), out, cap);
  out[o++] = '.';
  o += smv__sb_b64url_encode((const unsigned char *)payload, strlen(payload), out + o, cap - o);
  unsigned char h[32], sig[600];
  size_t sl = 0;
  mbedtls_sha256((const unsigned char *)out, o, h, 0);
  smv__alloc *prev = smv__alloc_enter(NULL);
  assert_int_equal(mbedtls_pk_sign(pk, MBEDTLS_MD_SHA256, h, 32, sig, sizeof(sig), &sl, test_rng, NULL), 0);
  if (smv__sb_jws_key_alg(pk) == SMV__SB_JWS_ES256)
    assert_int_equal(mbedtls_ecdsa_der_to_raw(256, sig, sl, sig, sizeof(sig), &sl), 0);
  smv__alloc_leave(prev);
  out[o++] = '.';
  smv__sb_b64url_encode(sig, sl, out + o, cap - o);
}

static void test_jws_sign_verify(void **state) {
  (void)state;
  mbedtls_pk_context *ec = new_ec_key(), *ec2 = new_ec_key(), *rsa = new_rsa_key(2048),
                     *weak = new_rsa_key(1024);
  assert_int_equal(smv__sb_jws_key_alg(ec), SMV__SB_JWS_ES256);
  assert_int_equal(smv__sb_jws_key_alg(rsa), SMV__SB_JWS_RS256);
  assert_int_equal(smv__sb_jws_key_alg(weak), SMV__SB_JWS_NONE);
  char jws[SMV__SB_JWS_MAX + 8];
  size_t n = 0;
  cJSON *c = NULL;
  for (int k = 0; k < 2; k++) {
    mbedtls_pk_context *pk = k ? rsa : ec;
    assert_int_equal(smv__sb_jws_sign(pk, "kid-1", "{\"a\":1}", test_rng, NULL, jws, sizeof(jws), &n), 0);
    jws[n] = 0;
    assert_int_equal(smv__sb_jws_verify(jws, n, pk, &c), 0);
    assert_int_equal(cJSON_GetObjectItem(c, "a")->valueint, 1);
    cJSON_Delete(c);
    /* the other kind of key, or another key of the same kind */
    assert_int_equal(smv__sb_jws_verify(jws, n, k ? ec : rsa, &c), SMV__SB_JWS_E_ALG);
    if (!k) assert_int_equal(smv__sb_jws_verify(jws, n, ec2, &c), SMV__SB_JWS_E_SIGNATURE);
  }
  /* ES256 is raw R || S: a DER signature (what mbedtls_pk_sign gives) is refused */
  size_t o = smv__sb_b64url_encode((const unsigned char *)"{\"alg\":\"ES256\"}", 15, jws, sizeof(jws));
  jws[o++] = '.';
  o += smv__sb_b64url_encode((const unsigned char *)"{}", 2, jws + o, sizeof(jws) - o);
  unsigned char h[32], der[80];
  size_t dl = 0;
  mbedtls_sha256((const unsigned char *)jws, o, h, 0);
  smv__alloc *prev = smv__alloc_enter(NULL);
  assert_int_equal(mbedtls_pk_sign(ec, MBEDTLS_MD_SHA256, h, 32, der, sizeof(der), &dl, test_rng, NULL), 0);
  smv__alloc_leave(prev);
  jws[o++] = '.';
  smv__sb_b64url_encode(der, dl, jws + o, sizeof(jws) - o);
  assert_int_equal(smv__sb_jws_verify(jws, strlen(jws), ec, &c), SMV__SB_JWS_E_SIGNATURE);
  /* headers */
  static const struct { const char *hdr; int want; } hdrs[] = {
      {"{\"alg\":\"ES256\"}", 0},
      {"{\"alg\":\"none\"}", SMV__SB_JWS_E_ALG},
      {"{\"alg\":\"HS256\"}", SMV__SB_JWS_E_ALG},
      {"{\"alg\":\"es256\"}", SMV__SB_JWS_E_ALG},
      {"{\"typ\":\"JWT\"}", SMV__SB_JWS_E_ALG},
      {"{\"alg\":\"ES256\",\"crit\":[\"b64\"],\"b64\":false}", SMV__SB_JWS_E_CRIT},
      {"{\"alg\":\"RS256\",\"alg\":\"ES256\"}", SMV__SB_JWS_E_HEADER},
      {"[\"alg\"]", SMV__SB_JWS_E_HEADER},
      {"{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\"}}", 0}, /* ignored: only the given key counts */
  };
  for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
    forge(ec, hdrs[i].hdr, "{\"x\":1}", jws, sizeof(jws));
    int rc = smv__sb_jws_verify(jws, strlen(jws), ec, &c);
    if (rc != hdrs[i].want) fprintf(stderr, "header %s: %d\n", hdrs[i].hdr, rc);
    assert_int_equal(rc, hdrs[i].want);
    cJSON_Delete(c);
  }
  forge(ec, "{\"alg\":\"ES256\"}", "{\"x\":1,\"x\":2}", jws, sizeof(jws));
  assert_int_equal(smv__sb_jws_verify(jws, strlen(jws), ec, &c), SMV__SB_JWS_E_PAYLOAD);
  forge(ec, "{\"alg\":\"ES256\"}", "42", jws, sizeof(jws));
  assert_int_equal(smv__sb_jws_verify(jws, strlen(jws), ec, &c), SMV__SB_JWS_E_PAYLOAD);
  forge(rsa, "{\"alg\":\"RS256\"}", "{}", jws, sizeof(jws));
  assert_int_equal(smv__sb_jws_verify(jws, strlen(jws), rsa, &c), 0);
  cJSON_Delete(c);
  assert_int_equal(smv__sb_jws_verify(jws, strlen(jws), weak, &c), SMV__SB_JWS_E_KEY);
  /* shapes */
  static const char *const shapes[] = {"a.b", "a.b.c.d", ".b.c", "a..c", "a.b.", "e30.e30.*"};
  for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
    assert_true(smv__sb_jws_verify(shapes[i], strlen(shapes[i]), ec, &c) < 0);
  assert_int_equal(smv__sb_jws_verify("", 0, ec, &c), SMV__SB_JWS_E_SIZE);
  memset(jws, 'A', SMV__SB_JWS_MAX + 1);
  assert_int_equal(smv__sb_jws_verify(jws, SMV__SB_JWS_MAX + 1, ec, &c), SMV__SB_JWS_E_SIZE);
  for (int e = 0; e >= -10; e--) assert_non_null(smv__sb_jws_strerror(e));
  key_free(ec);
  key_free(ec2);
  key_free(rsa);
  key_free(weak);
}

/* ---- the authorization server ---- */

typedef struct cam {
  world *w;
  mbedtls_pk_context *ec, *rsa;
} cam;

#define CAMARA_BASE                                                                                \
  "\"operators\":[{\"name\":\"alpha\",\"public_ipv4\":\"198.51.100.1\"},"                          \
  "{\"name\":\"beta\",\"profile\":\"header_enrichment\",\"hmac_key\":"                             \
  "\"00112233445566778899aabbccddeeff\",\"ip_ranges\":[\"100.64.0.0/10\"]}],"                      \
  "\"subscribers\":[{\"msisdn\":\"41793026727\",\"operator\":\"alpha\",\"private_ip\":\"127.0.0.1\"},"\
  "{\"msisdn\":\"41790000002\",\"operator\":\"alpha\",\"ports\":[2048,4095]},"                     \
  "{\"msisdn\":\"41780000001\",\"operator\":\"beta\",\"private_ip\":\"100.64.0.7\"}]"

/* A sandbox with three clients: "app" (secret, PKCE optional), "jwt-ec" and "jwt-rsa"
 * (private_key_jwt, PKCE required), "narrow" (verify scope only). extra goes into "camara". */
static cam *cam_new(const char *extra, const char *faults) {
  cam *c = calloc(1, sizeof(*c));
  assert_non_null(c);
  c->ec = new_ec_key();
  static mbedtls_pk_context *rsa_cached;
  if (!rsa_cached) rsa_cached = new_rsa_key(2048); /* RSA generation is slow: once per run */
  c->rsa = rsa_cached;
  cJSON *ec_pem = cJSON_CreateString(pem_of(c->ec)), *rsa_pem = cJSON_CreateString(pem_of(c->rsa));
  char *e1 = cJSON_PrintUnformatted(ec_pem), *e2 = cJSON_PrintUnformatted(rsa_pem);
  char *json = malloc(16384);
  snprintf(json, 16384,
           "{" CAMARA_BASE ",\"faults\":{%s},\"camara\":{\"clients\":["
           "{\"client_id\":\"app\",\"client_secret\":\"s3cret:x\",\"redirect_uris\":[\"myapp://cb\","
           "\"https://app.example/cb?from=camara\"]},"
           "{\"client_id\":\"jwt-ec\",\"public_key\":%s,\"redirect_uris\":[\"myapp://cb\"],\"require_pkce\":true},"
           "{\"client_id\":\"jwt-rsa\",\"public_key\":%s,\"redirect_uris\":[\"myapp://cb\"],\"require_pkce\":true},"
           "{\"client_id\":\"narrow\",\"client_secret\":\"n\",\"redirect_uris\":[\"myapp://cb\"],"
           "\"scopes\":\"openid number-verification:verify\"}]%s%s}}",
           faults ? faults : "", e1, e2, extra ? "," : "", extra ? extra : "");
  c->w = world_new(json);
  free(json);
  free(e1);
  free(e2);
  cJSON_Delete(ec_pem);
  cJSON_Delete(rsa_pem);
  return c;
}

static void cam_free(cam *c) {
  world_free(c->w);
  key_free(c->ec);
  free(c);
}

static void authorize(cam *c, const char *query, const char *ip, uint16_t port, uint64_t now,
                      smv__sb_response *res) {
  char target[4096];
  snprintf(target, sizeof(target), "/oauth2/authorize?%s", query);
  request(c->w, SMV__SB_API, "GET", target, NULL, NULL, "", ip, port, NULL, 0, now, res);
}

/* A query parameter of the redirect's Location, decoded; "" when absent. */
static const char *loc(const smv__sb_response *res, const char *key) {
  static char v[8][1024];
  static int i;
  char *out = v[i++ % 8];
  const char *q = strchr(res->location, '?');
  out[0] = 0;
  if (q && smv__sb_form_get(q + 1, strlen(q + 1), key, out, 1024) < 0) out[0] = 0;
  return out;
}

#define PKCE_VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define PKCE_CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" /* RFC 7636 appendix B */
#define SCOPES "openid%20number-verification%3Averify%20number-verification%3Adevice-phone-number%3Aread"

/* A code for client through the whole authorize request; returns it (static). */
static const char *get_code(cam *c, const char *client, int pkce, uint64_t now) {
  char q[1024];
  snprintf(q, sizeof(q),
           "response_type=code&client_id=%s&redirect_uri=myapp%%3A%%2F%%2Fcb&scope=%s"
           "&state=st-1&nonce=n-1%s",
           client, strcmp(client, "narrow") ? SCOPES : "openid", pkce ? "&code_challenge=" PKCE_CHALLENGE "&code_challenge_method=S256" : "");
  smv__sb_response res;
  authorize(c, q, "127.0.0.1", 40000, now, &res);
  if (res.status != 302 || !loc(&res, "code")[0]) fprintf(stderr, "authorize: %d %s %s\n", res.status, res.location, res.body);
  assert_int_equal(res.status, 302);
  assert_string_equal(loc(&res, "state"), "st-1");
  static char code[64];
  snprintf(code, sizeof(code), "%s", loc(&res, "code"));
  assert_int_equal(strlen(code), 43);
  return code;
}

static void token(cam *c, const char *authz, const char *form, uint64_t now, smv__sb_response *res) {
  request(c->w, SMV__SB_API, "POST", "/oauth2/token", authz, "application/x-www-form-urlencoded", form,
          "127.0.0.1", 50000, NULL, 0, now, res);
}

/* "Basic base64(app:s3cret%3Ax)": RFC 6749 2.3.1 form-encodes the secret before joining */
#define APP_BASIC "Basic YXBwOnMzY3JldCUzQXg="

static void test_camara_discovery(void **state) {
  (void)state;
  cam *c = cam_new(NULL, NULL);
  smv__sb_response res;
  get(c->w, SMV__SB_API, "/.well-known/openid-configuration", "127.0.0.1", 1, T0, &res);
  assert_int_equal(res.status, 200);
  cJSON *d = cJSON_Parse(res.body);
  assert_non_null(d);
  assert_string_equal(cJSON_GetObjectItem(d, "issuer")->valuestring, "https://127.0.0.1:8443");
  assert_string_equal(cJSON_GetObjectItem(d, "authorization_endpoint")->valuestring,
                      "https://127.0.0.1:8443/oauth2/authorize");
  assert_string_equal(cJSON_GetObjectItem(d, "token_endpoint")->valuestring,
                      "https://127.0.0.1:8443/oauth2/token");
  char *txt = cJSON_PrintUnformatted(d);
  static const char *const must[] = {
      "\"response_types_supported\":[\"code\"]", "\"grant_types_supported\":[\"authorization_code\"]",
      "\"code_challenge_methods_supported\":[\"S256\"]",
      "\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\",\"client_secret_basic\",\"client_secret_post\"]",
      "\"scopes_supported\":[\"openid\",\"number-verification:verify\",\"number-verification:device-phone-number:read\"]",
      "\"token_endpoint_auth_signing_alg_values_supported\":[\"ES256\",\"RS256\"]", "\"jwks_uri\":"};
  for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
    if (!strstr(txt, must[i])) fprintf(stderr, "missing %s in %s\n", must[i], txt);
    assert_non_null(strstr(txt, must[i]));
  }
  free(txt);
  cJSON_Delete(d);
  get(c->w, SMV__SB_API, "/oauth2/jwks", "127.0.0.1", 1, T0, &res);
  assert_int_equal(res.status, 200);
  assert_non_null(strstr(res.body, "\"kty\":\"EC\",\"crv\":\"P-256\""));
  request(c->w, SMV__SB_API, "POST", "/.well-known/openid-configuration", NULL, NULL, "", "127.0.0.1", 1,
          NULL, 0, T0, &res);
  assert_int_equal(res.status, 405);
  cam_free(c);
}

static void test_camara_authorize(void **state) {
  (void)state;
  cam *c = cam_new(NULL, NULL);
  smv__sb_response res;
  /* the code, with the state echoed once encoded (RFC 6749 4.1.2), the redirect_uri's query kept */
  authorize(c, "response_type=code&client_id=app&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Ffrom%3Dcamara"
               "&scope=openid&state=a%20b%26c%2Bd%3D",
            "127.0.0.1", 40000, T0, &res);
  assert_int_equal(res.status, 302);
  assert_memory_equal(res.location, "https://app.example/cb?from=camara&code=", 40);
  assert_non_null(strstr(res.location, "&state=a%20b%26c%2Bd%3D"));
  assert_string_equal(loc(&res, "state"), "a b&c+d=");
  /* CGNAT: the subscriber's port block on the public address */
  authorize(c, "response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s",
            "198.51.100.1", 3000, T0, &res);
  assert_int_equal(res.status, 302);
  assert_int_equal(strlen(loc(&res, "code")), 43);
  /* POST, form-encoded, with prompt=none and a login_hint */
  const char *form = "response_type=code&client_id=app&redirect_uri=myapp%3A%2F%2Fcb&scope=number-verification%3Averify"
                     "&state=s&prompt=none&login_hint=tel%3A%2B41793026727";
  request(c->w, SMV__SB_API, "POST", "/oauth2/authorize", NULL, "application/x-www-form-urlencoded", form,
          "127.0.0.1", 40000, NULL, 0, T0, &res);
  assert_int_equal(res.status, 302);
  assert_int_equal(strlen(loc(&res, "code")), 43);

  /* errors that may not be redirected: 400, a page, no Location (RFC 6749 4.1.2.1) */
  static const char *const no_redirect[] = {
      "response_type=code&redirect_uri=myapp://cb&scope=openid&state=s",
      "response_type=code&client_id=nobody&redirect_uri=myapp://cb&scope=openid&state=s",
      "response_type=code&client_id=app&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s",
      "response_type=code&client_id=app&scope=openid&state=s",
      "response_type=code&client_id=app&redirect_uri=myapp://evil&scope=openid&state=s",
      "response_type=code&client_id=app&redirect_uri=myapp://cb/&scope=openid&state=s",
      "response_type=code&client_id=app&redirect_uri=MYAPP://cb&scope=openid&state=s",
      "response_type=code&client_id=app&redirect_uri=myapp://cb&redirect_uri=myapp://cb&scope=openid&state=s",
      "response_type=code&client_id=app&redirect_uri=myapp%zz&scope=openid&state=s",
  };
  for (size_t i = 0; i < sizeof(no_redirect) / sizeof(no_redirect[0]); i++) {
    authorize(c, no_redirect[i], "127.0.0.1", 40000, T0, &res);
    if (res.status != 400 || res.location[0]) fprintf(stderr, "%s -> %d %s\n", no_redirect[i], res.status, res.location);
    assert_int_equal(res.status, 400);
    assert_string_equal(res.location, "");
    assert_string_equal(res.content_type, "text/html; charset=utf-8");
  }
  /* errors redirected to the client with error= and the state */
  static const struct { const char *q; const char *err; } redirected[] = {
      {"client_id=app&redirect_uri=myapp://cb&scope=openid&state=s", "invalid_request"},
      {"response_type=token&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s", "unsupported_response_type"},
      {"response_type=code%20id_token&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s", "unsupported_response_type"},
      {"response_type=code&client_id=app&redirect_uri=myapp://cb&state=s", "invalid_request"},
      {"response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid%20email&state=s", "invalid_scope"},
      {"response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid%20openid&state=s", "invalid_scope"},
      {"response_type=code&client_id=narrow&redirect_uri=myapp://cb&scope=number-verification%3Adevice-phone-number%3Aread&state=s", "invalid_scope"},
      {"response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid", "invalid_request"},
      {"response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s&code_challenge=" PKCE_CHALLENGE, "invalid_request"},
      {"response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s&code_challenge=" PKCE_CHALLENGE "&code_challenge_method=plain", "invalid_request"},
      {"response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s&code_challenge_method=S256", "invalid_request"},
      {"response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s&code_challenge=short&code_challenge_method=S256", "invalid_request"},
      {"response_type=code&client_id=jwt-ec&redirect_uri=myapp://cb&scope=openid&state=s", "invalid_request"},
      {"response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s&prompt=none%20login", "invalid_request"},
      {"response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s&prompt=magic", "invalid_request"},
      {"response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s&state=t", "invalid_request"},
  };
  for (size_t i = 0; i < sizeof(redirected) / sizeof(redirected[0]); i++) {
    authorize(c, redirected[i].q, "127.0.0.1", 40000, T0, &res);
    if (res.status != 302 || strcmp(loc(&res, "error"), redirected[i].err))
      fprintf(stderr, "%s -> %d %s\n", redirected[i].q, res.status, res.location);
    assert_int_equal(res.status, 302);
    assert_memory_equal(res.location, "myapp://cb?error=", 17);
    assert_string_equal(loc(&res, "error"), redirected[i].err);
    assert_true(loc(&res, "error_description")[0] != 0);
    assert_string_equal(loc(&res, "code"), "");
    /* the state comes back when it was usable */
    if (strstr(redirected[i].q, "state=s") && !strstr(redirected[i].q, "state=t"))
      assert_string_equal(loc(&res, "state"), "s");
  }
  /* a connection no operator knows: access_denied */
  authorize(c, "response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s",
            "192.0.2.9", 40000, T0, &res);
  assert_string_equal(loc(&res, "error"), "access_denied");
  assert_string_equal(loc(&res, "state"), "s");
  /* the port outside the subscriber's block on the shared address */
  authorize(c, "response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s",
            "198.51.100.1", 5000, T0, &res);
  assert_string_equal(loc(&res, "error"), "access_denied");
  /* GET and POST only */
  request(c->w, SMV__SB_API, "PUT", "/oauth2/authorize", NULL, NULL, "", "127.0.0.1", 1, NULL, 0, T0, &res);
  assert_int_equal(res.status, 405);
  request(c->w, SMV__SB_API, "POST", "/oauth2/authorize", NULL, "application/json", "{}", "127.0.0.1", 1,
          NULL, 0, T0, &res);
  assert_int_equal(res.status, 400);
  cam_free(c);
  /* the operator down: temporarily_unavailable */
  c = cam_new(NULL, "\"operator_down\":[\"alpha\"]");
  authorize(c, "response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s",
            "127.0.0.1", 40000, T0, &res);
  assert_string_equal(loc(&res, "error"), "temporarily_unavailable");
  cam_free(c);
  /* the consent fault: a page (200 text/html), or consent_required with prompt=none */
  c = cam_new(NULL, "\"camara_consent_page\":true");
  authorize(c, "response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s",
            "127.0.0.1", 40000, T0, &res);
  assert_int_equal(res.status, 200);
  assert_string_equal(res.content_type, "text/html; charset=utf-8");
  assert_string_equal(res.location, "");
  assert_non_null(strstr(res.body, "<html>"));
  authorize(c, "response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s&prompt=none",
            "127.0.0.1", 40000, T0, &res);
  assert_int_equal(res.status, 302);
  assert_string_equal(loc(&res, "error"), "consent_required");
  cam_free(c);
  /* camara.operator: only that operator's network identifies */
  c = cam_new("\"operator\":\"beta\"", NULL);
  authorize(c, "response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid&state=s",
            "127.0.0.1", 40000, T0, &res);
  assert_string_equal(loc(&res, "error"), "access_denied");
  cam_free(c);
}

/* Through an operator's header enrichment: authorize -> operator -> back -> code. */
static void test_camara_authorize_he(void **state) {
  (void)state;
  cam *c = cam_new(NULL, NULL);
  smv__sb_response res;
  for (int forged = 0; forged < 3; forged++) {
    const char *peer = forged == 2 ? "100.64.0.99" : "100.64.0.7"; /* 2: a device the proxy does not know */
    authorize(c, "response_type=code&client_id=app&redirect_uri=myapp://cb&scope=openid%20"
                 "number-verification%3Averify&state=he",
              peer, 40000, T0, &res);
    assert_int_equal(res.status, 302);
    assert_memory_equal(res.location, "http://127.0.0.1:8080/he/beta/oidc/", 35);
    char target[256];
    snprintf(target, sizeof(target), "%.200s", res.location + strlen("http://127.0.0.1:8080"));
    request(c->w, SMV__SB_OPERATOR, "GET", target, NULL, NULL, "", peer, 40001, NULL, 0, T0 + 5, &res);
    assert_int_equal(res.status, 302);
    assert_memory_equal(res.location, "https://127.0.0.1:8443/oauth2/authorize/he/", 43);
    char back[SMV__SB_LOCATION_MAX];
    snprintf(back, sizeof(back), "%.4000s", res.location + strlen("https://127.0.0.1:8443"));
    if (forged == 1) {
      char *m = strstr(back, "msisdn=4178");
      m[7] = '5'; /* another number */
    }
    get(c->w, SMV__SB_API, back, peer, 40002, T0 + 10, &res);
    assert_int_equal(res.status, 302);
    assert_string_equal(loc(&res, "state"), "he");
    if (forged == 0) {
      assert_int_equal(strlen(loc(&res, "code")), 43);
    } else {
      assert_string_equal(loc(&res, "error"), "access_denied");
    }
    get(c->w, SMV__SB_API, back, peer, 40002, T0 + 10, &res); /* once */
    assert_int_equal(res.status, 400);
  }
  get(c->w, SMV__SB_API, "/oauth2/authorize/he/nope?msisdn=1&ts=1&sig=1", "100.64.0.7", 1, T0, &res);
  assert_int_equal(res.status, 400);
  cam_free(c);
}

static void test_camara_token(void **state) {
  (void)state;
  cam *c = cam_new("\"code_ttl_ms\":1000", NULL);
  smv__sb_response res;
  char form[16384];
  /* client_secret_basic */
  const char *code = get_code(c, "app", 0, T0);
  snprintf(form, sizeof(form), "grant_type=authorization_code&code=%s&redirect_uri=myapp%%3A%%2F%%2Fcb", code);
  token(c, APP_BASIC, form, T0 + 10, &res);
  if (res.status != 200) fprintf(stderr, "%s\n", res.body);
  assert_int_equal(res.status, 200);
  assert_true(res.no_cache);
  cJSON *t = cJSON_Parse(res.body);
  assert_string_equal(cJSON_GetObjectItem(t, "token_type")->valuestring, "Bearer");
  assert_int_equal(cJSON_GetObjectItem(t, "expires_in")->valueint, 300);
  assert_string_equal(cJSON_GetObjectItem(t, "scope")->valuestring,
                      "openid number-verification:verify number-verification:device-phone-number:read");
  assert_null(cJSON_GetObjectItem(t, "refresh_token"));
  /* the ID token: signed by the key of the JWKS, for this client, with the nonce */
  const char *idt = cJSON_GetObjectItem(t, "id_token")->valuestring;
  cJSON *claims = NULL;
  assert_int_equal(smv__sb_jws_verify(idt, strlen(idt), smv__sb_camara_id_key(&c->w->svc), &claims), 0);
  assert_string_equal(cJSON_GetObjectItem(claims, "aud")->valuestring, "app");
  assert_string_equal(cJSON_GetObjectItem(claims, "iss")->valuestring, "https://127.0.0.1:8443");
  assert_string_equal(cJSON_GetObjectItem(claims, "nonce")->valuestring, "n-1");
  assert_int_equal(strlen(cJSON_GetObjectItem(claims, "sub")->valuestring), 32);
  assert_null(strstr(idt, "41793026727"));
  cJSON_Delete(claims);
  char at[64];
  snprintf(at, sizeof(at), "Bearer %s", cJSON_GetObjectItem(t, "access_token")->valuestring);
  cJSON_Delete(t);
  /* the code again: invalid_grant, and the token it gave is revoked (RFC 6749 4.1.2) */
  request(c->w, SMV__SB_API, "GET", SMV__SB_NV_SHARE, at, NULL, "", "127.0.0.1", 1, NULL, 0, T0 + 20, &res);
  assert_int_equal(res.status, 200);
  token(c, APP_BASIC, form, T0 + 30, &res);
  assert_int_equal(res.status, 400);
  assert_string_equal(res.oauth_error, "invalid_grant");
  request(c->w, SMV__SB_API, "GET", SMV__SB_NV_SHARE, at, NULL, "", "127.0.0.1", 1, NULL, 0, T0 + 40, &res);
  assert_int_equal(res.status, 401);

  /* and a replay after the code's own lifetime: still known (as long as its token), still revoked */
  code = get_code(c, "app", 0, T0);
  snprintf(form, sizeof(form), "grant_type=authorization_code&code=%s&redirect_uri=myapp://cb", code);
  token(c, APP_BASIC, form, T0 + 10, &res);
  assert_int_equal(res.status, 200);
  t = cJSON_Parse(res.body);
  snprintf(at, sizeof(at), "Bearer %s", cJSON_GetObjectItem(t, "access_token")->valuestring);
  cJSON_Delete(t);
  token(c, APP_BASIC, form, T0 + 5000, &res);
  assert_string_equal(res.oauth_error, "invalid_grant");
  assert_non_null(strstr(res.body, "used already"));
  request(c->w, SMV__SB_API, "GET", SMV__SB_NV_SHARE, at, NULL, "", "127.0.0.1", 1, NULL, 0, T0 + 5001, &res);
  assert_int_equal(res.status, 401);

  /* client_secret_post */
  code = get_code(c, "app", 0, T0);
  snprintf(form, sizeof(form),
           "grant_type=authorization_code&code=%s&redirect_uri=myapp://cb&client_id=app&client_secret=s3cret%%3Ax", code);
  token(c, NULL, form, T0 + 10, &res);
  assert_int_equal(res.status, 200);

  /* private_key_jwt, ES256 and RS256, with PKCE */
  for (int k = 0; k < 2; k++) {
    const char *id = k ? "jwt-rsa" : "jwt-ec";
    code = get_code(c, id, 1, T0);
    char claims_txt[512], jws[4096], enc[8192];
    snprintf(claims_txt, sizeof(claims_txt),
             "{\"iss\":\"%s\",\"sub\":\"%s\",\"aud\":\"https://127.0.0.1:8443/oauth2/token\",\"exp\":%llu,"
             "\"iat\":%llu,\"jti\":\"j-%d\"}",
             id, id, (unsigned long long)(T0 / 1000 + 60), (unsigned long long)(T0 / 1000), k);
    size_t n = 0;
    assert_int_equal(smv__sb_jws_sign(k ? c->rsa : c->ec, NULL, claims_txt, test_rng, NULL, jws, sizeof(jws), &n), 0);
    jws[n] = 0;
    smv__sb_pct_encode(jws, enc, sizeof(enc));
    snprintf(form, sizeof(form),
             "grant_type=authorization_code&code=%s&redirect_uri=myapp://cb&code_verifier=" PKCE_VERIFIER
             "&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer"
             "&client_assertion=%s",
             code, enc);
    token(c, NULL, form, T0 + 10, &res);
    if (res.status != 200) fprintf(stderr, "%s: %s\n", id, res.body);
    assert_int_equal(res.status, 200);
    /* the same assertion again (a new code): its jti was used */
    code = get_code(c, id, 1, T0);
    char *cp = strstr(form, "code=") + 5;
    memcpy(cp, code, 43);
    token(c, NULL, form, T0 + 20, &res);
    assert_int_equal(res.status, 401);
    assert_string_equal(res.oauth_error, "invalid_client");
    assert_non_null(strstr(res.body, "jti"));
  }

  /* invalid_grant: expiry (1 s), another redirect_uri, PKCE failures, another client's code */
  code = get_code(c, "app", 0, T0);
  snprintf(form, sizeof(form), "grant_type=authorization_code&code=%s&redirect_uri=myapp://cb", code);
  token(c, APP_BASIC, form, T0 + 1000, &res);
  assert_string_equal(res.oauth_error, "invalid_grant");
  assert_non_null(strstr(res.body, "expired"));
  static const char *const bad_tails[] = {
      "&redirect_uri=https://app.example/cb?from=camara",
      "&redirect_uri=myapp://cb&code_verifier=" PKCE_VERIFIER,
  };
  for (size_t i = 0; i < 2; i++) {
    code = get_code(c, "app", 0, T0);
    snprintf(form, sizeof(form), "grant_type=authorization_code&code=%s%s", code, bad_tails[i]);
    token(c, APP_BASIC, form, T0 + 10, &res);
    assert_int_equal(res.status, 400);
    assert_string_equal(res.oauth_error, "invalid_grant");
    /* burnt by the failed attempt */
    snprintf(form, sizeof(form), "grant_type=authorization_code&code=%s&redirect_uri=myapp://cb", code);
    token(c, APP_BASIC, form, T0 + 10, &res);
    assert_string_equal(res.oauth_error, "invalid_grant");
  }
  for (int v = 0; v < 2; v++) {
    code = get_code(c, "app", 1, T0);
    snprintf(form, sizeof(form), "grant_type=authorization_code&code=%s&redirect_uri=myapp://cb%s", code,
             v ? "&code_verifier=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" : "");
    token(c, APP_BASIC, form, T0 + 10, &res);
    assert_string_equal(res.oauth_error, "invalid_grant");
  }
  code = get_code(c, "narrow", 0, T0);
  snprintf(form, sizeof(form), "grant_type=authorization_code&code=%s&redirect_uri=myapp://cb", code);
  token(c, APP_BASIC, form, T0 + 10, &res);
  assert_string_equal(res.oauth_error, "invalid_grant");
  token(c, APP_BASIC, "grant_type=authorization_code&code=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&redirect_uri=myapp://cb",
        T0, &res);
  assert_string_equal(res.oauth_error, "invalid_grant");

  /* the request itself */
  static const struct { const char *auth, *form; int status; const char *err; } reqs[] = {
      {APP_BASIC, "grant_type=client_credentials", 400, "unsupported_grant_type"},
      {APP_BASIC, "code=x&redirect_uri=myapp://cb", 400, "invalid_request"},
      {APP_BASIC, "grant_type=authorization_code&redirect_uri=myapp://cb", 400, "invalid_request"},
      {APP_BASIC, "grant_type=authorization_code&grant_type=authorization_code", 400, "invalid_request"},
      {APP_BASIC, "grant_type=authorization_code&code=%zz", 400, "invalid_request"},
      {APP_BASIC, "grant_type=authorization_code&client_secret=s3cret%3Ax&client_id=app", 400, "invalid_request"},
      {"Basic YXBwOndyb25n", "grant_type=authorization_code", 401, "invalid_client"},
      {"Bearer abc", "grant_type=authorization_code", 401, "invalid_client"},
      {NULL, "grant_type=authorization_code", 401, "invalid_client"},
      {NULL, "grant_type=authorization_code&client_id=app", 401, "invalid_client"},
      {NULL, "grant_type=authorization_code&client_id=app&client_secret=wrong", 401, "invalid_client"},
      {NULL, "grant_type=authorization_code&client_id=jwt-ec&client_secret=", 401, "invalid_client"},
      {NULL, "grant_type=authorization_code&client_assertion=e30.e30.e30", 401, "invalid_client"},
      {NULL, "grant_type=authorization_code&client_assertion_type=x&client_assertion=e30.e30.e30", 401, "invalid_client"},
  };
  for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
    token(c, reqs[i].auth, reqs[i].form, T0, &res);
    if (res.status != reqs[i].status || strcmp(res.oauth_error, reqs[i].err))
      fprintf(stderr, "token %zu: %d %s\n", i, res.status, res.body);
    assert_int_equal(res.status, reqs[i].status);
    assert_string_equal(res.oauth_error, reqs[i].err);
  }
  token(c, "Basic YXBwOndyb25n", "grant_type=authorization_code", T0, &res);
  assert_string_equal(res.www_authenticate, "Basic realm=\"smv-sandbox\""); /* RFC 6749 5.2 */
  request(c->w, SMV__SB_API, "GET", "/oauth2/token", NULL, NULL, "", "127.0.0.1", 1, NULL, 0, T0, &res);
  assert_int_equal(res.status, 405);
  request(c->w, SMV__SB_API, "POST", "/oauth2/token", APP_BASIC, "application/json", "{}", "127.0.0.1", 1,
          NULL, 0, T0, &res);
  assert_string_equal(res.oauth_error, "invalid_request");
  cam_free(c);
}

/* Every way a client assertion is refused (RFC 7523 3). */
static void test_camara_assertions(void **state) {
  (void)state;
  cam *c = cam_new("\"max_jti\":2", NULL);
  smv__sb_response res;
  unsigned long long now = T0 / 1000;
  char claims[600], jws[4096], enc[8192], form[16384];
  /* each is completed with ,"exp":<in a minute>} */
  static const struct { const char *head; const char *why; } cases[] = {
      {"{\"iss\":\"jwt-ec\",\"sub\":\"jwt-ec\",\"aud\":\"https://127.0.0.1:8443/oauth2/token\",\"jti\":\"a1\"", NULL},
      {"{\"iss\":\"jwt-ec\",\"sub\":\"jwt-ec\",\"aud\":[\"x\",\"https://127.0.0.1:8443\"],\"jti\":\"a2\"", NULL},
      {"{\"iss\":\"jwt-ec\",\"sub\":\"other\",\"aud\":\"https://127.0.0.1:8443\",\"jti\":\"b\"", "sub"},
      {"{\"iss\":\"jwt-ec\",\"sub\":\"jwt-ec\",\"aud\":\"https://elsewhere/token\",\"jti\":\"b\"", "aud"},
      {"{\"iss\":\"jwt-ec\",\"sub\":\"jwt-ec\",\"aud\":\"https://127.0.0.1:8443\",\"jti\":\"b\",\"exp\":\"soon\"", "no exp"},
      {"{\"iss\":\"jwt-ec\",\"sub\":\"jwt-ec\",\"aud\":\"https://127.0.0.1:8443\",\"jti\":\"\"", "jti"},
      {"{\"iss\":\"jwt-ec\",\"sub\":\"jwt-ec\",\"aud\":\"https://127.0.0.1:8443\"", "jti"},
      {"{\"iss\":\"nobody\",\"sub\":\"nobody\",\"aud\":\"https://127.0.0.1:8443\",\"jti\":\"b\"", "issuer"},
      {"{\"iss\":\"app\",\"sub\":\"app\",\"aud\":\"https://127.0.0.1:8443\",\"jti\":\"b\"", "public key"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    if (strstr(cases[i].head, "\"exp\"")) snprintf(claims, sizeof(claims), "%s}", cases[i].head);
    else snprintf(claims, sizeof(claims), "%s,\"exp\":%llu}", cases[i].head, now + 60);
    size_t n = 0;
    assert_int_equal(smv__sb_jws_sign(c->ec, NULL, claims, test_rng, NULL, jws, sizeof(jws), &n), 0);
    jws[n] = 0;
    smv__sb_pct_encode(jws, enc, sizeof(enc));
    const char *code = get_code(c, "jwt-ec", 1, T0);
    snprintf(form, sizeof(form),
             "grant_type=authorization_code&code=%s&redirect_uri=myapp://cb&code_verifier=" PKCE_VERIFIER
             "&client_assertion_type=" SMV__SB_JWT_BEARER "&client_assertion=%s", code, enc);
    token(c, NULL, form, T0, &res);
    if ((res.status == 200) != !cases[i].why || (cases[i].why && !strstr(res.body, cases[i].why)))
      fprintf(stderr, "assertion %zu: %d %s\n", i, res.status, res.body);
    assert_int_equal(res.status, cases[i].why ? 401 : 200);
    if (cases[i].why) assert_non_null(strstr(res.body, cases[i].why));
  }
  /* time: expired (beyond the 60 s skew), too far ahead, iat in the future */
  static const struct { long long exp, iat; const char *why; } times[] = {
      {-61, -120, "expired"}, {-30, -90, NULL}, {400, 0, "too far"}, {60, 120, "future"}};
  for (size_t i = 0; i < 4; i++) {
    snprintf(claims, sizeof(claims),
             "{\"iss\":\"jwt-ec\",\"sub\":\"jwt-ec\",\"aud\":\"https://127.0.0.1:8443\",\"exp\":%lld,\"iat\":%lld,\"jti\":\"t%zu\"}",
             (long long)now + times[i].exp, (long long)now + times[i].iat, i);
    size_t n = 0;
    assert_int_equal(smv__sb_jws_sign(c->ec, NULL, claims, test_rng, NULL, jws, sizeof(jws), &n), 0);
    jws[n] = 0;
    const char *code = get_code(c, "jwt-ec", 1, T0);
    snprintf(form, sizeof(form),
             "grant_type=authorization_code&code=%s&redirect_uri=myapp://cb&code_verifier=" PKCE_VERIFIER
             "&client_assertion_type=" SMV__SB_JWT_BEARER "&client_assertion=%s", code, jws);
    token(c, NULL, form, T0, &res);
    if (!times[i].why) {
      /* accepted by the skew; the jti cache (max_jti 2, both taken) now refuses with 503 */
      assert_int_equal(res.status, 503);
      assert_string_equal(res.oauth_error, "temporarily_unavailable");
      continue;
    }
    assert_int_equal(res.status, 401);
    assert_non_null(strstr(res.body, times[i].why));
  }
  /* the cache empties as assertions expire */
  assert_true(smv__sb_service_sweep(&c->w->svc, T0 + 200000) >= 2);
  assert_int_equal(c->w->svc.camara.jti_count, 0);
  /* a key of the wrong kind: an RS256 assertion for the EC client */
  snprintf(claims, sizeof(claims), "{\"iss\":\"jwt-ec\",\"sub\":\"jwt-ec\",\"aud\":\"https://127.0.0.1:8443\",\"exp\":%llu,\"jti\":\"r\"}", now + 60);
  size_t n = 0;
  assert_int_equal(smv__sb_jws_sign(c->rsa, NULL, claims, test_rng, NULL, jws, sizeof(jws), &n), 0);
  jws[n] = 0;
  snprintf(form, sizeof(form), "grant_type=authorization_code&client_id=jwt-ec&client_assertion_type=" SMV__SB_JWT_BEARER
           "&client_assertion=%s", jws);
  token(c, NULL, form, T0, &res);
  assert_int_equal(res.status, 401);
  assert_non_null(strstr(res.body, "alg"));
  /* the client_id of the body must be the assertion's */
  snprintf(form, sizeof(form), "grant_type=authorization_code&client_id=jwt-rsa&client_assertion_type=" SMV__SB_JWT_BEARER
           "&client_assertion=%s", jws);
  token(c, NULL, form, T0, &res);
  assert_int_equal(res.status, 401);
  cam_free(c);
}

/* ---- the Number Verification API ---- */

static void nv(cam *c, const char *method, const char *path, const char *bearer, const char *body,
               const char *corr, uint64_t now, smv__sb_response *res) {
  char auth[128];
  if (bearer) snprintf(auth, sizeof(auth), "Bearer %s", bearer);
  smv__sb_header h[] = {{"x-correlator", corr}};
  request(c->w, SMV__SB_API, method, path, bearer ? auth : NULL, body ? "application/json" : NULL,
          body ? body : "", "127.0.0.1", 1, h, corr ? 1 : 0, now, res);
}

/* A test token from /sandbox/camara/tokens. */
static const char *test_token(cam *c, const char *body) {
  smv__sb_response res;
  request(c->w, SMV__SB_API, "POST", "/sandbox/camara/tokens", AUTH, "application/json", body, "127.0.0.1",
          1, NULL, 0, T0, &res);
  if (res.status != 200) fprintf(stderr, "%s: %s\n", body, res.body);
  assert_int_equal(res.status, 200);
  static char tok[8][64];
  static int i;
  char *t = tok[i++ % 8];
  const char *p = strstr(res.body, "\"access_token\":\"");
  assert_non_null(p);
  memcpy(t, p + 16, 43);
  t[43] = 0;
  return t;
}

static void test_camara_api(void **state) {
  (void)state;
  cam *c = cam_new(NULL, NULL);
  smv__sb_response res;
  const char *good = test_token(c, "{\"phoneNumber\":\"+41793026727\"}");
  char hashed[65];
  smv__sb_sha256_hex("+41793026727", 12, hashed);
  static const struct { const char *body; int status; const char *want; } verify[] = {
      {"{\"phoneNumber\":\"+41793026727\"}", 200, "{\"devicePhoneNumberVerified\":true}"},
      {"{\"phoneNumber\":\"+41793026728\"}", 200, "{\"devicePhoneNumberVerified\":false}"},
      {NULL, 400, "INVALID_ARGUMENT"},                                   /* 400.1 */
      {"{}", 400, "INVALID_ARGUMENT"},                                   /* 400.2 */
      {"{\"additional_property\":\"foo_value\"}", 400, "INVALID_ARGUMENT"}, /* 400.3 */
      {"{\"phoneNumber\":\"+41793026727\",\"hashedPhoneNumber\":\"HASH\"}", 400, "INVALID_ARGUMENT"}, /* 400.4 */
      {"{\"phoneNumber\":\"41793026727\"}", 400, "INVALID_ARGUMENT"},    /* C02.01: no '+' */
      {"{\"phoneNumber\":\"+0793026727\"}", 400, "INVALID_ARGUMENT"},
      {"{\"phoneNumber\":\"+1234\"}", 400, "INVALID_ARGUMENT"},
      {"{\"phoneNumber\":\"+1234567890123456\"}", 400, "INVALID_ARGUMENT"},
      {"{\"phoneNumber\":41793026727}", 400, "INVALID_ARGUMENT"},
      {"{\"hashedPhoneNumber\":\"abc\"}", 400, "INVALID_ARGUMENT"},
      {"{\"phoneNumber\":\"+41793026727\",\"phoneNumber\":\"+41793026727\"}", 400, "INVALID_ARGUMENT"},
      {"[\"+41793026727\"]", 400, "INVALID_ARGUMENT"},
      {"not json", 400, "INVALID_ARGUMENT"},
  };
  for (size_t i = 0; i < sizeof(verify) / sizeof(verify[0]); i++) {
    char body[256] = "";
    if (verify[i].body) {
      const char *h = strstr(verify[i].body, "HASH");
      if (h) snprintf(body, sizeof(body), "%.*s%s%s", (int)(h - verify[i].body), verify[i].body, hashed, h + 4);
      else snprintf(body, sizeof(body), "%s", verify[i].body);
    }
    nv(c, "POST", SMV__SB_NV_VERIFY, good, verify[i].body ? body : NULL, "c-1", T0, &res);
    if (res.status != verify[i].status || !strstr(res.body, verify[i].want))
      fprintf(stderr, "verify %zu: %d %s\n", i, res.status, res.body);
    assert_int_equal(res.status, verify[i].status);
    assert_non_null(strstr(res.body, verify[i].want));
    assert_string_equal(res.x_correlator, "c-1");
    if (res.status == 400) {
      assert_non_null(strstr(res.body, "\"status\":400"));
      assert_non_null(strstr(res.body, "\"message\":\""));
    }
  }
  /* hashed, in either case of hex */
  char body[128];
  snprintf(body, sizeof(body), "{\"hashedPhoneNumber\":\"%s\"}", hashed);
  nv(c, "POST", SMV__SB_NV_VERIFY, good, body, NULL, T0, &res);
  assert_string_equal(res.body, "{\"devicePhoneNumberVerified\":true}");
  assert_string_equal(res.x_correlator, "");
  for (char *p = body; *p; p++) *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
  memcpy(body + 2, "hashedPhoneNumber", 17);
  nv(c, "POST", SMV__SB_NV_VERIFY, good, body, NULL, T0, &res);
  assert_string_equal(res.body, "{\"devicePhoneNumberVerified\":true}");
  smv__sb_sha256_hex("+41793026728", 12, hashed);
  snprintf(body, sizeof(body), "{\"hashedPhoneNumber\":\"%s\"}", hashed);
  nv(c, "POST", SMV__SB_NV_VERIFY, good, body, NULL, T0, &res);
  assert_string_equal(res.body, "{\"devicePhoneNumberVerified\":false}");
  nv(c, "GET", SMV__SB_NV_SHARE, good, NULL, "x:y;z./<>{}-_", T0, &res);
  assert_int_equal(res.status, 200);
  assert_string_equal(res.body, "{\"devicePhoneNumber\":\"+41793026727\"}");
  assert_string_equal(res.x_correlator, "x:y;z./<>{}-_");

  /* 401, 403 */
  const char *expired = test_token(c, "{\"phoneNumber\":\"+41793026727\",\"expired\":true}");
  const char *no_share = test_token(c, "{\"phoneNumber\":\"+41793026727\",\"scope\":\"number-verification:verify\"}");
  const char *no_verify = test_token(c, "{\"phoneNumber\":\"+41793026727\",\"scope\":\"openid number-verification:device-phone-number:read\"}");
  const char *otp = test_token(c, "{\"phoneNumber\":\"+41793026727\",\"network_authenticated\":false}");
  const char *two_legged = test_token(c, "{}");
  static const char *const ok_body = "{\"phoneNumber\":\"+41793026727\"}";
  static const struct { int verify; const char *tok; int status; const char *code; } auth[] = {
      {1, NULL, 401, "UNAUTHENTICATED"}, {0, NULL, 401, "UNAUTHENTICATED"},
      {1, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 401, "UNAUTHENTICATED"},
      {1, "short", 401, "UNAUTHENTICATED"},
      {1, (const char *)1, 401, "UNAUTHENTICATED"}, {0, (const char *)1, 401, "UNAUTHENTICATED"},
      {1, (const char *)3, 403, "PERMISSION_DENIED"}, {0, (const char *)2, 403, "PERMISSION_DENIED"},
      {1, (const char *)4, 403, "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK"},
      {0, (const char *)4, 403, "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK"},
      {1, (const char *)5, 403, "PERMISSION_DENIED"}, {0, (const char *)5, 403, "PERMISSION_DENIED"},
  };
  const char *toks[] = {NULL, expired, no_share, no_verify, otp, two_legged};
  for (size_t i = 0; i < sizeof(auth) / sizeof(auth[0]); i++) {
    const char *tk = (uintptr_t)auth[i].tok < 6 ? toks[(uintptr_t)auth[i].tok] : auth[i].tok;
    nv(c, auth[i].verify ? "POST" : "GET", auth[i].verify ? SMV__SB_NV_VERIFY : SMV__SB_NV_SHARE, tk,
       auth[i].verify ? ok_body : NULL, "c-2", T0, &res);
    if (res.status != auth[i].status || strcmp(res.camara_code, auth[i].code))
      fprintf(stderr, "auth %zu: %d %s\n", i, res.status, res.body);
    assert_int_equal(res.status, auth[i].status);
    assert_string_equal(res.camara_code, auth[i].code);
    assert_string_equal(res.x_correlator, "c-2");
  }
  nv(c, "POST", SMV__SB_NV_VERIFY, expired, ok_body, NULL, T0, &res);
  assert_non_null(strstr(res.body, "expired"));
  assert_non_null(strstr(res.www_authenticate, "invalid_token"));
  nv(c, "POST", SMV__SB_NV_VERIFY, NULL, ok_body, NULL, T0, &res);
  assert_string_equal(res.www_authenticate, "Bearer");
  /* C02.01: a token that identifies no number, a phoneNumber out of schema: 400 before 403 */
  nv(c, "POST", SMV__SB_NV_VERIFY, two_legged, "{\"phoneNumber\":\"0041793026727\"}", NULL, T0, &res);
  assert_int_equal(res.status, 400);
  /* an expired grant token after its lifetime */
  nv(c, "GET", SMV__SB_NV_SHARE, good, NULL, NULL, T0 + 301000, &res);
  assert_int_equal(res.status, 401);
  /* x-correlator out of its schema: refused, not echoed */
  nv(c, "GET", SMV__SB_NV_SHARE, good, NULL, "has space", T0, &res);
  assert_int_equal(res.status, 400);
  assert_string_equal(res.x_correlator, "");
  char longc[300];
  memset(longc, 'a', 257);
  longc[257] = 0;
  nv(c, "GET", SMV__SB_NV_SHARE, good, NULL, longc, T0, &res);
  assert_int_equal(res.status, 400);
  nv(c, "GET", SMV__SB_NV_VERIFY, good, NULL, NULL, T0, &res);
  assert_int_equal(res.status, 405);
  assert_string_equal(res.allow, "POST");
  nv(c, "GET", "/number-verification/v2/nothing", good, NULL, NULL, T0, &res);
  assert_int_equal(res.status, 404);
  assert_string_equal(res.camara_code, "NOT_FOUND");
  request(c->w, SMV__SB_API, "POST", SMV__SB_NV_VERIFY, "Bearer x", "text/plain", ok_body, "127.0.0.1", 1,
          NULL, 0, T0, &res);
  assert_int_equal(res.status, 401);
  char bt[64];
  snprintf(bt, sizeof(bt), "Bearer %s", good);
  request(c->w, SMV__SB_API, "POST", SMV__SB_NV_VERIFY, bt, "text/plain", ok_body, "127.0.0.1", 1, NULL,
          0, T0, &res);
  assert_int_equal(res.status, 400);
  /* the test-token endpoint's own checks */
  static const char *const bad_tt[] = {"{\"phoneNumber\":\"41793026727\"}", "{\"scope\":\"email\"}",
                                       "{\"expired\":\"yes\"}", "{\"other\":1}", "[]"};
  for (size_t i = 0; i < sizeof(bad_tt) / sizeof(bad_tt[0]); i++) {
    request(c->w, SMV__SB_API, "POST", "/sandbox/camara/tokens", AUTH, "application/json", bad_tt[i],
            "127.0.0.1", 1, NULL, 0, T0, &res);
    assert_int_equal(res.status, 400);
  }
  request(c->w, SMV__SB_API, "POST", "/sandbox/camara/tokens", NULL, "application/json", "{}", "127.0.0.1", 1,
          NULL, 0, T0, &res);
  assert_int_equal(res.status, 401);
  /* the sweep forgets tokens a minute after their expiry */
  size_t before = c->w->svc.camara.store.count;
  assert_true(smv__sb_service_sweep(&c->w->svc, T0 + 400000) > 0);
  assert_true(c->w->svc.camara.store.count < before);
  cam_free(c);
}

static void test_camara_config(void **state) {
  (void)state;
  smv__sb_config cfg;
  assert_int_equal(smv__sb_config_defaults(&cfg), 0);
  assert_int_equal(cfg.client_count, 1);
  assert_string_equal(cfg.clients[0].client_id, "sandbox-client");
  assert_string_equal(cfg.clients[0].client_secret, "sandbox-client-secret");
  assert_string_equal(cfg.clients[0].redirect_uris[0], "myapp://camara/callback");
  smv__sb_config_free(&cfg);
  mbedtls_pk_context *weak = new_rsa_key(1024);
  cJSON *wp = cJSON_CreateString(pem_of(weak));
  char *weak_pem = cJSON_PrintUnformatted(wp);
  char weak_cfg[4096];
  snprintf(weak_cfg, sizeof(weak_cfg),
           "{\"camara\":{\"clients\":[{\"client_id\":\"w\",\"public_key\":%s,\"redirect_uris\":[\"myapp://cb\"]}]}}",
           weak_pem);
  const char *bad[] = {
      "{\"camara\":{\"clients\":[{\"client_id\":\"a\",\"client_secret\":\"s\",\"redirect_uris\":[\"myapp://done/{x}\"]}]}}",
      "{\"camara\":{\"clients\":[{\"client_id\":\"a\",\"client_secret\":\"s\",\"redirect_uris\":[\"https://app..example.com/\"]}]}}",
      "{\"camara\":{\"clients\":[{\"client_id\":\"a\",\"client_secret\":\"s\",\"redirect_uris\":[\"myapp://done/%zz\"]}]}}",
      "{\"camara\":{\"clients\":[{\"client_id\":\"a\",\"client_secret\":\"s\",\"redirect_uris\":[\"myapp://cb#f\"]}]}}",
      "{\"camara\":{\"clients\":[{\"client_id\":\"a\",\"client_secret\":\"s\",\"redirect_uris\":[]}]}}",
      "{\"camara\":{\"clients\":[{\"client_id\":\"a\",\"client_secret\":\"s\"}]}}",
      "{\"camara\":{\"clients\":[{\"client_id\":\"a\",\"redirect_uris\":[\"myapp://cb\"]}]}}",
      "{\"camara\":{\"clients\":[{\"client_id\":\"a b\",\"client_secret\":\"s\",\"redirect_uris\":[\"myapp://cb\"]}]}}",
      "{\"camara\":{\"clients\":[{\"client_id\":\"a\",\"client_secret\":\"s p\",\"redirect_uris\":[\"myapp://cb\"]}]}}",
      "{\"camara\":{\"clients\":[{\"client_id\":\"a\",\"public_key\":\"not a key\",\"redirect_uris\":[\"myapp://cb\"]}]}}",
      "{\"camara\":{\"clients\":[{\"client_id\":\"a\",\"client_secret\":\"s\",\"redirect_uris\":[\"myapp://cb\"],\"scopes\":\"email\"}]}}",
      "{\"camara\":{\"clients\":[{\"client_id\":\"a\",\"client_secret\":\"s\",\"redirect_uris\":[\"myapp://cb\"],\"bogus\":1}]}}",
      "{\"camara\":{\"clients\":[{\"client_id\":\"a\",\"client_secret\":\"s\",\"redirect_uris\":[\"myapp://cb\"]},"
      "{\"client_id\":\"a\",\"client_secret\":\"s\",\"redirect_uris\":[\"myapp://cb\"]}]}}",
      "{\"camara\":{\"clients\":[]}}",
      "{\"camara\":{\"access_token_ttl_s\":301}}",
      "{\"camara\":{\"code_ttl_ms\":0}}",
      "{\"camara\":{\"operator\":\"nope\"}}",
      "{\"camara\":{\"bogus\":1}}",
      "{\"faults\":{\"camara_consent_page\":1}}",
      weak_cfg,
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) config_refused(bad[i], NULL);
  free(weak_pem);
  cJSON_Delete(wp);
  key_free(weak);
  unsigned bits;
  assert_int_equal(smv__sb_scope_parse("openid number-verification:verify", &bits), 0);
  assert_int_equal(bits, SMV__SB_SCOPE_OPENID | SMV__SB_SCOPE_VERIFY);
  assert_int_equal(smv__sb_scope_parse("openid ", &bits), -1);
  assert_int_equal(smv__sb_scope_parse(" openid", &bits), -1);
  assert_int_equal(smv__sb_scope_parse("openid  number-verification:verify", &bits), -1);
  assert_int_equal(smv__sb_scope_parse("", &bits), -1);
}

int main(void) {
  smv__tls_global_init(); /* mbedTLS's allocation hook, before the tests make keys */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_error_table),
      cmocka_unit_test(test_validators),
      cmocka_unit_test(test_verify_table),
      cmocka_unit_test(test_ok_path),
      cmocka_unit_test(test_redirect_single_use_and_return_url),
      cmocka_unit_test(test_expiry),
      cmocka_unit_test(test_cgnat_matching),
      cmocka_unit_test(test_assertion),
      cmocka_unit_test(test_header_enrichment),
      cmocka_unit_test(test_faults),
      cmocka_unit_test(test_config),
      cmocka_unit_test(test_tokens_table),
      cmocka_unit_test(test_zero_rated),
      cmocka_unit_test(test_ip_ranges),
      cmocka_unit_test(test_trusted_proxies),
      cmocka_unit_test(test_b64url),
      cmocka_unit_test(test_jws_rfc7515_a3),
      cmocka_unit_test(test_jws_sign_verify),
      cmocka_unit_test(test_camara_discovery),
      cmocka_unit_test(test_camara_authorize),
      cmocka_unit_test(test_camara_authorize_he),
      cmocka_unit_test(test_camara_token),
      cmocka_unit_test(test_camara_assertions),
      cmocka_unit_test(test_camara_api),
      cmocka_unit_test(test_camara_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
