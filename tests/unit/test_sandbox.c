/* The sandbox's service logic without sockets: every verify validation id, credentials, tokens
 * (single use, expiry), CGNAT port blocks and IPv6 prefixes, header enrichment with its HMAC
 * assertion, and the configuration file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/sb_assert.h"
#include "sandbox/sb_config.h"
#include "sandbox/sb_errors.h"
#include "sandbox/sb_match.h"
#include "sandbox/sb_service.h"
#include "sandbox/sb_tokens.h"
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
                         strlen(body), "127.0.0.1", 40000};
  smv__sb_service_handle(&w->svc, &req, T0, res);
}

static void get(world *w, smv__sb_listener l, const char *target, const char *ip, uint16_t port,
                uint64_t now, smv__sb_response *res) {
  smv__sb_request req = {l, "GET", target, NULL, NULL, "", 0, ip, port};
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

  assert_true(smv__sb_valid_return_url("myapp://verified"));
  assert_true(smv__sb_valid_return_url("https://app.example/done?x=1"));
  assert_false(smv__sb_valid_return_url("no-scheme"));
  assert_false(smv__sb_valid_return_url("myapp://a b"));
  assert_false(smv__sb_valid_return_url("https://"));
  assert_false(smv__sb_valid_return_url("myapp://x\r\nSet-Cookie: a=b"));

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
      {AUTH, "application/json", "[1,2]", 400, 1004},
      {AUTH, "application/json", "", 400, 1004},
      {AUTH, "application/json; charset=utf-8", "{\"phoneNumber\":41793026727," CB "}", 400, 1007},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"consentGranted\":\"true\"}", 400, 1007},
      {AUTH, "application/json", "{\"phoneNumber\":\"41793026727\"," CB ",\"devicePort\":\"1\",\"deviceIp\":\"1.2.3.4\"}", 400, 1007},
      {AUTH, "application/json", "{\"phoneNumber\":null," CB "}", 400, 1007},
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

  verify_req(w, AUTH, "application/json",
             "{\"phoneNumber\":\"41793026727\"," CB
             ",\"consentGranted\":true,\"deviceIp\":\"192.0.2.7\",\"devicePort\":50000}",
             &res);
  assert_non_null(strstr(res.body, "\"status\":\"OK\""));
  assert_string_equal(w->last_result, "INVALID");

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
  assert_string_equal(w->last_result, "INVALID");
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
  assert_string_equal(w->last_result, "ERROR-1021");
  assert_int_equal(w->delivered, 1);
  assert_int_equal(smv__sb_service_sweep(&w->svc, T0 + 999), 0);
  assert_int_equal(smv__sb_service_sweep(&w->svc, T0 + 1000), 1);
  assert_int_equal(w->delivered, 2);
  assert_int_equal(w->svc.tokens.count, 0);
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

int main(void) {
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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
