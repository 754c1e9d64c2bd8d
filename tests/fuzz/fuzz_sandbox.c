/* libFuzzer target for the sandbox's service logic (sb_service.c, sans I/O): the input is a session of
 * requests, split on 0xFF. Each starts with a flag byte (listener, method, credentials, media type,
 * peer), then the target up to '\n', then the body. "{T}" in a target becomes the last token the
 * service issued, so that the device and operator endpoints are reached with live tokens too.
 * Every answer must be a sane HTTP status with a NUL-terminated Location, a body that is JSON when
 * present, and a 302 exactly when a Location is set; the session ends with no token left after the
 * TTL and no leak (ASan's leak check). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "sandbox/sb_service.h"

#define AUTH "Basic c2FuZGJveDpzYW5kYm94LXNlY3JldA=="
#define T0 1700000000000ull

static const char *const methods[] = {"GET", "POST", "HEAD", "PUT"};
static const char *const ctypes[] = {NULL, "application/json", "application/json; charset=utf-8", "text/plain"};
static const char *const peers[] = {"127.0.0.1", "::1"};

static unsigned rnd;
static void fx_random(void *ud, unsigned char *buf, size_t n) {
  (void)ud;
  for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)(rnd * 131u + i * 17u);
  rnd++;
}
static unsigned delivered;
static void fx_deliver(void *ud, const char *url, const char *token, const char *result, unsigned delay_ms) {
  (void)ud; (void)delay_ms;
  if (!url || !token || !result || strlen(url) > 64 * 1024) abort();
  if (strcmp(result, "VALID") && strcmp(result, "INVALID") && strncmp(result, "ERROR-", 6)) abort();
  delivered++;
}
static void fx_log(void *ud, const char *line) { (void)ud; if (!line) abort(); }

/* target with "{T}" replaced by tok, into out (cap bytes, truncating). */
static void expand(char *out, size_t cap, const char *t, size_t tl, const char *tok) {
  size_t o = 0, tk = strlen(tok);
  for (size_t i = 0; i < tl && o + 1 < cap; i++) {
    if (i + 3 <= tl && memcmp(t + i, "{T}", 3) == 0 && o + tk + 1 < cap) {
      memcpy(out + o, tok, tk);
      o += tk;
      i += 2;
    } else {
      out[o++] = t[i];
    }
  }
  out[o] = '\0';
}

static void check(const smv__sb_response *res) {
  if (res->status < 100 || res->status > 599) abort();
  if (strnlen(res->location, sizeof res->location) == sizeof res->location) abort();
  if ((res->location[0] != '\0') != (res->status == 302 || res->status == 303 || res->status == 307)) {
    if (res->location[0]) abort();  /* a Location on a non-redirect */
  }
  if (res->body_len >= sizeof res->body || strlen(res->body) != res->body_len) abort();
  if (res->body_len) {
    cJSON *j = cJSON_ParseWithLength(res->body, res->body_len);
    if (!j) abort();
    cJSON_Delete(j);
  }
  if (res->status == 405 && !res->allow) abort();
}

static void last_token(const smv__sb_response *res, char tok[37]) {
  const char *p = strstr(res->body, "\"token\":\"");
  if (p && strlen(p + 9) >= 36 && smv__sb_is_uuid(p + 9, 36)) {
    memcpy(tok, p + 9, 36);
    tok[36] = '\0';
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static smv__sb_config cfg;
  static smv__sb_service svc;
  if (smv__sb_config_defaults(&cfg) != 0) return 0;
  smv__sb_effects fx = {NULL, fx_random, fx_deliver, fx_log};
  if (smv__sb_service_init(&svc, &cfg, &fx, "https://127.0.0.1:8443", "http://127.0.0.1:8080") != 0) {
    smv__sb_config_free(&cfg);
    return 0;
  }
  char tok[37] = "00000000-0000-4000-8000-000000000000";
  static char target[4096];
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
      expand(target, sizeof target, rest, tl, tok);
      /* The body is given exactly (not NUL-terminated), as the server's reader hands it over. */
      size_t bl = nl ? rl - tl - 1 : 0;
      char *body = malloc(bl ? bl : 1);
      if (!body) break;
      if (bl) memcpy(body, nl + 1, bl);
      smv__sb_request req = {(f & 1) ? SMV__SB_OPERATOR : SMV__SB_API, methods[(f >> 1) & 3], target,
                             (f & 8) ? AUTH : NULL, ctypes[(f >> 4) & 3], body, bl,
                             peers[(f >> 6) & 1], (uint16_t)(40000 + f)};
      static smv__sb_response res;
      memset(&res, 0x5a, sizeof res);
      smv__sb_service_handle(&svc, &req, now, &res);
      check(&res);
      last_token(&res, tok);
      free(body);
      now += (f >> 7) ? 1000 : 1;
    }
    p = e < end ? e + 1 : end;
  }
  smv__sb_service_sweep(&svc, now + 24ull * 3600 * 1000);
  if (svc.tokens.count != 0) abort();
  smv__sb_service_free(&svc);
  smv__sb_config_free(&cfg);
  return 0;
}
