/* libFuzzer target for the sandbox's service logic (sb_service.c and sb_camara.c, sans I/O): the
 * input is a session of requests, split on 0xFF. Each starts with a flag byte (listener, method,
 * credentials, media type, peer, clock step), then the target up to '\n', then the body. The target
 * may carry extra header lines after it, each after a '\t' ("/x\tAuthorization: Bearer {A}"), and
 * names what earlier answers gave, so that every stage is reached with live values:
 *   {T} the last vendor token       {C} the last authorization code     {A} the last access token
 *   {B} the path and query of the last Location on the sandbox's own listeners (follow a redirect)
 *   {J} a client assertion signed (once) with the key of the configured private_key_jwt client
 * Every answer must be a sane HTTP status with a NUL-terminated Location of at most 4 KiB (what the
 * device client follows), a body that is JSON (or the authorization endpoint's HTML page) when
 * present, a 302 exactly when a Location is set, and an echoed x-correlator within its schema; the
 * session ends with nothing left in either store after the TTLs, and no leak (ASan's leak check). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <mbedtls/pk.h>

#include "sandbox/sb_jwt.h"
#include "sandbox/sb_service.h"

#define AUTH "Basic c2FuZGJveDpzYW5kYm94LXNlY3JldA=="
#define T0 1700000000000ull
#define API "https://127.0.0.1:8443"
#define OPER "http://127.0.0.1:8080"

static const char *const methods[] = {"GET", "POST", "HEAD", "PUT"};
static const char *const ctypes[] = {NULL, "application/json", "application/x-www-form-urlencoded",
                                     "text/plain"};
static const char *const peers[] = {"127.0.0.1", "::1"}; /* ::1 is beta's trusted proxy */

static unsigned rnd;
static void fx_random(void *ud, unsigned char *buf, size_t n) {
  (void)ud;
  for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)(rnd * 131u + i * 17u);
  rnd++;
}
static int key_rng(void *ud, unsigned char *buf, size_t n) {
  fx_random(ud, buf, n);
  return 0;
}
static unsigned delivered;
static void fx_deliver(void *ud, const char *url, const char *token, const char *result, unsigned delay_ms) {
  (void)ud; (void)delay_ms;
  if (!url || !token || !result || strlen(url) > 64 * 1024) abort();
  if (strcmp(result, "VALID") && strcmp(result, "INVALID") && strncmp(result, "ERROR-", 6)) abort();
  delivered++;
}
static void fx_log(void *ud, const char *line) { (void)ud; if (!line) abort(); }

/* The configuration: the default operator, a header-enrichment operator behind a trusted proxy, the
 * default CAMARA client and one with a public key. Made once (the key and its assertion too). */
static char *config_json;
static char assertion[2048];
static mbedtls_pk_context id_key; /* lent to every session as its ID-token key: keygen is slow */

static void setup_once(void) {
  if (config_json) return;
  mbedtls_pk_context pk;
  mbedtls_pk_init(&pk);
  char pem[1024];
  size_t n = 0;
  if (smv__sb_jws_keygen_es256(&pk, key_rng, NULL) || smv__sb_jws_public_pem(&pk, pem, sizeof(pem)))
    abort();
  char claims[300];
  snprintf(claims, sizeof(claims),
           "{\"iss\":\"jwt\",\"sub\":\"jwt\",\"aud\":\"" API "/oauth2/token\",\"exp\":%llu,\"jti\":\"j\"}",
           (unsigned long long)(T0 / 1000 + 3600));
  if (smv__sb_jws_sign(&pk, NULL, claims, key_rng, NULL, assertion, sizeof(assertion) - 1, &n)) abort();
  assertion[n] = 0;
  smv__sb_jws_key_free(&pk);
  mbedtls_pk_init(&id_key);
  if (smv__sb_jws_keygen_es256(&id_key, key_rng, NULL)) abort();
  cJSON *p = cJSON_CreateString(pem);
  char *quoted = cJSON_PrintUnformatted(p);
  cJSON_Delete(p);
  config_json = malloc(4096);
  if (!quoted || !config_json) abort();
  snprintf(config_json, 4096,
           "{\"operators\":[{\"name\":\"sandbox-mobile\",\"profile\":\"ip_port\"},"
           "{\"name\":\"beta\",\"profile\":\"header_enrichment\",\"trusted_proxies\":[\"::1\"]}],"
           "\"subscribers\":[{\"msisdn\":\"41793026727\",\"operator\":\"sandbox-mobile\",\"private_ip\":\"127.0.0.1\"},"
           "{\"msisdn\":\"41780000001\",\"operator\":\"beta\"}],"
           "\"faults\":{\"token_ttl_ms\":60000},"
           "\"camara\":{\"code_ttl_ms\":30000,\"clients\":["
           "{\"client_id\":\"sandbox-client\",\"client_secret\":\"sandbox-client-secret\","
           "\"redirect_uris\":[\"myapp://camara/callback\",\"https://app.example/cb?x=1\"]},"
           "{\"client_id\":\"jwt\",\"public_key\":%s,\"redirect_uris\":[\"myapp://camara/callback\"],"
           "\"require_pkce\":true}]}}",
           quoted);
  free(quoted);
}

typedef struct live {
  char tok[40], code[64], access[64], back[4096];
} live;

/* s with the {X} names replaced, into out (cap bytes, truncating). */
static void expand(char *out, size_t cap, const char *s, size_t n, const live *lv) {
  size_t o = 0;
  for (size_t i = 0; i < n && o + 1 < cap; i++) {
    const char *v = NULL;
    if (i + 3 <= n && s[i] == '{' && s[i + 2] == '}') {
      switch (s[i + 1]) {
      case 'T': v = lv->tok; break;
      case 'C': v = lv->code; break;
      case 'A': v = lv->access; break;
      case 'B': v = lv->back; break;
      case 'J': v = assertion; break;
      default: break;
      }
    }
    if (v && o + strlen(v) + 1 < cap) {
      memcpy(out + o, v, strlen(v));
      o += strlen(v);
      i += 2;
    } else {
      out[o++] = s[i];
    }
  }
  out[o] = '\0';
}

static void check(const smv__sb_response *res) {
  if (res->status < 100 || res->status > 599) abort();
  if (strnlen(res->location, sizeof res->location) == sizeof res->location) abort();
  if (strlen(res->location) > 4096) abort(); /* the device client's Location limit */
  if (res->location[0] && res->status != 302 && res->status != 303 && res->status != 307) abort();
  if (res->body_len >= sizeof res->body || strlen(res->body) != res->body_len) abort();
  if (res->body_len && res->content_type) {
    if (strncmp(res->body, "<!DOCTYPE html>", 15) != 0) abort();
  } else if (res->body_len) {
    cJSON *j = cJSON_ParseWithLength(res->body, res->body_len);
    if (!j) abort();
    cJSON_Delete(j);
  }
  if (res->status == 405 && !res->allow) abort();
  size_t xl = strlen(res->x_correlator);
  if (xl > 256 || strspn(res->x_correlator, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:;./<>{}") != xl)
    abort();
}

static void grab(const char *s, const char *key, char *out, size_t cap, size_t stop_len) {
  const char *p = strstr(s, key);
  if (!p) return;
  p += strlen(key);
  size_t n = strcspn(p, "\"&");
  if (stop_len && n != stop_len) return;
  if (n < cap) {
    memcpy(out, p, n);
    out[n] = '\0';
  }
}

static void learn(const smv__sb_response *res, live *lv) {
  const char *p = strstr(res->body, "\"token\":\"");
  if (p && strlen(p + 9) >= 36 && smv__sb_is_uuid(p + 9, 36)) {
    memcpy(lv->tok, p + 9, 36);
    lv->tok[36] = '\0';
  }
  grab(res->body, "\"access_token\":\"", lv->access, sizeof lv->access, 43);
  grab(res->location, "code=", lv->code, sizeof lv->code, 43);
  const char *base = !strncmp(res->location, API, strlen(API)) ? API
                     : !strncmp(res->location, OPER, strlen(OPER)) ? OPER : NULL;
  if (base) snprintf(lv->back, sizeof lv->back, "%s", res->location + strlen(base));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static smv__sb_config cfg;
  static smv__sb_service svc;
  setup_once();
  char err[256];
  if (smv__sb_config_defaults(&cfg) != 0) return 0;
  if (smv__sb_config_parse(&cfg, config_json, strlen(config_json), err, sizeof err) != 0) abort();
  smv__sb_effects fx = {NULL, fx_random, fx_deliver, fx_log};
  if (smv__sb_service_init(&svc, &cfg, &fx, API, OPER) != 0) {
    smv__sb_config_free(&cfg);
    return 0;
  }
  svc.camara.id_key = &id_key;
  static live lv;
  memset(&lv, 0, sizeof lv);
  strcpy(lv.tok, "00000000-0000-4000-8000-000000000000");
  static char target[8192], hvals[4][2048];
  uint64_t now = T0;
  const uint8_t *p = data, *end = data + size;
  while (p < end) {
    const uint8_t *e = memchr(p, 0xFF, (size_t)(end - p));
    if (!e) e = end;
    if (e > p) {
      unsigned f = p[0];
      const char *rest = (const char *)p + 1;
      size_t rl = (size_t)((const char *)e - rest);
      const char *nl = memchr(rest, '\n', rl);
      size_t tl = nl ? (size_t)(nl - rest) : rl;
      /* the target, then up to four header lines, each after a tab */
      smv__sb_header hdrs[4];
      size_t hn = 0;
      const char *tab = memchr(rest, '\t', tl);
      expand(target, sizeof target, rest, tab ? (size_t)(tab - rest) : tl, &lv);
      const char *authz = (f & 8) ? AUTH : NULL;
      while (tab && hn < 4) {
        const char *h = tab + 1, *next = memchr(h, '\t', (size_t)(rest + tl - h));
        size_t hl = next ? (size_t)(next - h) : (size_t)(rest + tl - h);
        expand(hvals[hn], sizeof hvals[hn], h, hl, &lv);
        char *colon = strchr(hvals[hn], ':');
        if (colon) {
          *colon = '\0';
          const char *v = colon + 1;
          while (*v == ' ') v++;
          if (!strcmp(hvals[hn], "Authorization")) authz = v;
          hdrs[hn].name = hvals[hn];
          hdrs[hn].value = v;
          hn++;
        }
        tab = next;
      }
      /* The body is given exactly (not NUL-terminated), as the server's reader hands it over. */
      size_t bl0 = nl ? rl - tl - 1 : 0;
      char *body0 = malloc(bl0 + 1);
      if (!body0) break;
      if (bl0) memcpy(body0, nl + 1, bl0);
      body0[bl0] = '\0';
      static char bodyx[16384];
      expand(bodyx, sizeof bodyx, body0, bl0, &lv);
      free(body0);
      size_t bl = strlen(bodyx);
      char *body = malloc(bl ? bl : 1);
      if (!body) break;
      if (bl) memcpy(body, bodyx, bl);
      smv__sb_request req = {(f & 1) ? SMV__SB_OPERATOR : SMV__SB_API, methods[(f >> 1) & 3], target,
                             authz, ctypes[(f >> 4) & 3], body, bl, peers[(f >> 6) & 1],
                             (uint16_t)(40000 + f), hdrs, hn};
      static smv__sb_response res;
      memset(&res, 0x5a, sizeof res);
      smv__sb_service_handle(&svc, &req, now, &res);
      check(&res);
      learn(&res, &lv);
      free(body);
      now += (f >> 7) ? 1000 : 1;
    }
    p = e < end ? e + 1 : end;
  }
  smv__sb_service_sweep(&svc, now + 24ull * 3600 * 1000);
  if (svc.tokens.count != 0 || svc.camara.store.count != 0 || svc.camara.jti_count != 0) abort();
  if (svc.camara.id_key != &id_key) abort();
  svc.camara.id_key = NULL; /* lent, not the session's to free */
  smv__sb_service_free(&svc);
  smv__sb_config_free(&cfg);
  return 0;
}
