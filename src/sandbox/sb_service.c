/* The service's decisions. Order of checks on the verify request, so that a client sees the most
 * basic problem first: route, method, credentials, size, media type, JSON, field types, required
 * fields, field formats, consent, subscriber, capacity. Consent comes after the formats because its
 * ERROR-202 goes to the callbackUrl, which must be valid by then. */
#include "sandbox/sb_service.h"

#include <cJSON.h>
#include <mbedtls/base64.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sandbox/sb_assert.h"
#include "sandbox/sb_errors.h"
#include "sandbox/sb_match.h"
#include "smv.h"

#if defined(__GNUC__)
#define SB_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SB_PRINTF(a, b)
#endif

SB_PRINTF(2, 3) static void logf_(smv__sb_service *svc, const char *fmt, ...) {
  if (!svc->fx.log) return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  svc->fx.log(svc->fx.ud, line);
}

int smv__sb_service_init(smv__sb_service *svc, smv__sb_config *cfg, const smv__sb_effects *fx,
                         const char *api_base, const char *operator_base) {
  memset(svc, 0, sizeof(*svc));
  svc->cfg = cfg;
  svc->fx = *fx;
  snprintf(svc->api_base, sizeof(svc->api_base), "%s", api_base);
  snprintf(svc->operator_base, sizeof(svc->operator_base), "%s", operator_base);
  for (size_t i = 0; i < cfg->operator_count; i++) {
    if (cfg->operators[i].hmac_key_len) continue;
    fx->random(fx->ud, cfg->operators[i].hmac_key, sizeof(cfg->operators[i].hmac_key));
    cfg->operators[i].hmac_key_len = sizeof(cfg->operators[i].hmac_key);
  }
  return smv__sb_tokens_init(&svc->tokens);
}

void smv__sb_service_free(smv__sb_service *svc) { smv__sb_tokens_free(&svc->tokens); }

/* ---- validators ---- */

int smv__sb_valid_msisdn(const char *s) {
  size_t n = strlen(s);
  return n >= 7 && n <= 15 && strspn(s, "0123456789") == n && s[0] != '0';
}

/* Bytes no URL we accept may carry: controls, space, non-ASCII, and the characters that are never
 * valid unescaped (they would also break the Location header or a log line). */
static int url_chars_ok(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p <= 0x20 || *p >= 0x7f || strchr("\"<>\\^`|", *p)) return 0;
  return 1;
}

static int valid_authority(const char *a, size_t n) {
  if (n == 0) return 0;
  size_t hostlen = n;
  if (a[0] == '[') {
    const char *close = memchr(a, ']', n);
    if (!close) return 0;
    char tmp[64];
    size_t hl = (size_t)(close - a - 1);
    if (hl >= sizeof(tmp)) return 0;
    memcpy(tmp, a + 1, hl);
    tmp[hl] = 0;
    smv__sb_addr ad;
    if (smv__sb_addr_parse(&ad, tmp) || ad.family != 6) return 0;
    hostlen = (size_t)(close - a + 1);
    if (hostlen < n && a[hostlen] != ':') return 0;
  } else {
    const char *colon = memchr(a, ':', n);
    if (colon) hostlen = (size_t)(colon - a);
    if (hostlen == 0) return 0;
    for (size_t i = 0; i < hostlen; i++) {
      char c = a[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '.' || c == '-' || c == '_'))
        return 0;
    }
  }
  if (hostlen < n) { /* ":port" */
    size_t pl = n - hostlen - 1;
    if (pl == 0 || pl > 5) return 0;
    unsigned long port = 0;
    for (size_t i = hostlen + 1; i < n; i++) {
      if (a[i] < '0' || a[i] > '9') return 0;
      port = port * 10 + (unsigned long)(a[i] - '0');
    }
    if (port == 0 || port > 65535) return 0;
  }
  return 1;
}

/* http(s)://authority[/path][?query][#frag]; returns the query span through qs/qn. */
static int valid_http_url(const char *s, const char **qs, size_t *qn) {
  size_t n = strlen(s);
  if (n == 0 || n > SMV__SB_URL_MAX || !url_chars_ok(s)) return 0;
  size_t off;
  if (strncasecmp(s, "https://", 8) == 0) off = 8;
  else if (strncasecmp(s, "http://", 7) == 0) off = 7;
  else return 0;
  size_t alen = strcspn(s + off, "/?#");
  if (memchr(s + off, '@', alen)) return 0; /* no credentials in URLs we call */
  if (!valid_authority(s + off, alen)) return 0;
  const char *rest = s + off + alen;
  const char *q = strchr(rest, '?');
  const char *h = strchr(rest, '#');
  if (q && h && h < q) q = NULL;
  if (qs) {
    *qs = q ? q + 1 : NULL;
    *qn = q ? (size_t)((h ? h : s + n) - (q + 1)) : 0;
  }
  return 1;
}

static int span_has(const char *s, size_t n, const char *needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(s + i, needle, k) == 0) return 1;
  return 0;
}

int smv__sb_check_callback_url(const char *s) {
  const char *q;
  size_t qn;
  /* The braces of the placeholders are not URL characters; accept exactly these two spellings. */
  char tmp[SMV__SB_URL_MAX + 1];
  size_t n = strlen(s);
  if (n > SMV__SB_URL_MAX) return SMV__SB_EC_INVALID_CALLBACK_URL;
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    if (strncmp(s + i, "{result}", 8) == 0) {
      memcpy(tmp + o, "RESULT__", 8), o += 8, i += 8;
    } else if (strncmp(s + i, "{token}", 7) == 0) {
      memcpy(tmp + o, "TOKEN__", 7), o += 7, i += 7;
    } else if (s[i] == '{' || s[i] == '}') {
      return SMV__SB_EC_INVALID_CALLBACK_URL;
    } else {
      tmp[o++] = s[i++];
    }
  }
  tmp[o] = 0;
  if (!valid_http_url(tmp, &q, &qn)) return SMV__SB_EC_INVALID_CALLBACK_URL;
  /* Both must be in the query (after '?', before '#'); where they were, the copy has the marks. */
  if (!q || !span_has(q, qn, "RESULT__") || !span_has(q, qn, "TOKEN__"))
    return SMV__SB_EC_CALLBACK_PLACEHOLDERS;
  return 0;
}

int smv__sb_valid_return_url(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > SMV__SB_URL_MAX || !url_chars_ok(s)) return 0;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return 0;
  size_t i = 1;
  while (i < n && (strchr("+-.", s[i]) || (s[i] >= 'a' && s[i] <= 'z') ||
                   (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
    i++;
  if (i >= n || s[i] != ':' || i + 1 >= n) return 0;
  if ((i == 4 && strncasecmp(s, "http", 4) == 0) || (i == 5 && strncasecmp(s, "https", 5) == 0))
    return valid_http_url(s, NULL, NULL);
  return 1;
}

int smv__sb_check_basic(const char *header, const char *user, const char *password) {
  if (!header || strncasecmp(header, "Basic ", 6) != 0) return 0;
  const char *b64 = header + 6;
  while (*b64 == ' ') b64++;
  unsigned char dec[256];
  size_t olen = 0;
  if (mbedtls_base64_decode(dec, sizeof(dec) - 1, &olen, (const unsigned char *)b64, strlen(b64)))
    return 0;
  char want[160];
  int wn = snprintf(want, sizeof(want), "%s:%s", user, password);
  if (wn < 0 || (size_t)wn >= sizeof(want)) return 0;
  /* Length leaks, the content does not. */
  if (olen != (size_t)wn) return 0;
  unsigned char diff = 0;
  for (size_t i = 0; i < olen; i++) diff |= (unsigned char)(dec[i] ^ (unsigned char)want[i]);
  return diff == 0;
}

char *smv__sb_callback_expand(const char *tmpl, const char *result, const char *token) {
  size_t rl = strlen(result), tl = strlen(token), n = strlen(tmpl);
  size_t cap = n + 1 + (n / 7 + 1) * (rl > tl ? rl : tl);
  char *out = malloc(cap);
  if (!out) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    if (strncmp(tmpl + i, "{result}", 8) == 0) {
      memcpy(out + o, result, rl), o += rl, i += 8;
    } else if (strncmp(tmpl + i, "{token}", 7) == 0) {
      memcpy(out + o, token, tl), o += tl, i += 7;
    } else {
      out[o++] = tmpl[i++];
    }
  }
  out[o] = 0;
  return out;
}

/* ---- responses ---- */

static void json_escape(char *dst, size_t cap, const char *s) {
  size_t o = 0;
  for (; *s && o + 7 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      dst[o++] = '\\';
      dst[o++] = (char)c;
    } else if (c < 0x20) {
      o += (size_t)snprintf(dst + o, cap - o, "\\u%04x", c);
    } else {
      dst[o++] = (char)c;
    }
  }
  dst[o] = 0;
}

static void set_body(smv__sb_response *res, const char *fmt, ...) SB_PRINTF(2, 3);
static void set_body(smv__sb_response *res, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(res->body, sizeof(res->body), fmt, ap);
  va_end(ap);
  res->body_len = n < 0 ? 0 : ((size_t)n >= sizeof(res->body) ? sizeof(res->body) - 1 : (size_t)n);
}

/* The seed's ERROR object. token NULL writes null. detail (may be NULL) replaces the table's
 * description for the sandbox's own ids, to name the offending field. */
static void error_body(smv__sb_response *res, int id, const char *token, const char *detail) {
  const char *desc = detail ? detail : smv__sb_error_description(id);
  char d[400];
  json_escape(d, sizeof(d), desc ? desc : "");
  char t[64] = "null";
  if (token) snprintf(t, sizeof(t), "\"%s\"", token);
  res->status = smv__sb_error_http_status(id);
  res->error_id = id;
  set_body(res,
           "{\"status\":\"ERROR\",\"token\":%s,\"error\":{\"id\":%d,\"name\":\"%s\","
           "\"description\":\"%s\"}}",
           t, id, smv__sb_error_name(id), d);
}

static void new_token(smv__sb_service *svc, char out[37]) {
  unsigned char r[16];
  svc->fx.random(svc->fx.ud, r, sizeof(r));
  smv__sb_uuid4(r, out);
}

static void deliver(smv__sb_service *svc, const char *tmpl, const char *token, const char *result,
                    unsigned delay_ms) {
  if (strcmp(result, "VALID") == 0) svc->n.valid++;
  else if (strcmp(result, "INVALID") == 0) svc->n.invalid++;
  else svc->n.error_results++;
  char *url = smv__sb_callback_expand(tmpl, result, token);
  if (!url) return; /* no memory: nothing sane left to do; the backend's own timeout covers it */
  logf_(svc, "result %s for %s -> callback %s%s", result, token, url,
        delay_ms ? " (operator latency)" : "");
  svc->fx.deliver(svc->fx.ud, url, token, result, delay_ms);
  free(url);
}

static void deliver_error(smv__sb_service *svc, const char *tmpl, const char *token, int id,
                          unsigned delay_ms) {
  char r[32];
  snprintf(r, sizeof(r), "ERROR-%d", id);
  deliver(svc, tmpl, token, r, delay_ms);
}

/* The operator's answer for an IP/port check. */
static void operator_check(smv__sb_service *svc, const char *token, const char *tmpl, size_t sub,
                           const smv__sb_addr *ip, uint16_t port, int port_known) {
  const smv__sb_config *cfg = svc->cfg;
  const smv__sb_subscriber *s = &cfg->subscribers[sub];
  const smv__sb_operator *op = &cfg->operators[s->op];
  if (op->down) {
    logf_(svc, "operator %s is down", op->name);
    deliver_error(svc, tmpl, token, SMV__SB_EC_OPERATOR_UNREACHABLE, op->latency_ms);
    return;
  }
  int ok = !cfg->always_invalid && smv__sb_match(cfg, s, ip, port, port_known);
  logf_(svc, "operator %s: address %s %s subscriber %s", op->name, port_known ? "and port" : "",
        ok ? "match" : "do not match", s->msisdn);
  deliver(svc, tmpl, token, ok ? "VALID" : "INVALID", op->latency_ms);
}

/* ---- POST /mi/verification/1/verify ---- */

static int media_is_json(const char *ct) {
  if (!ct) return 0;
  size_t n = strcspn(ct, "; \t");
  return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

typedef struct verify_fields {
  const char *phone, *callback, *return_url, *device_ip;
  int consent;                  /* 1 true, 0 false or absent */
  int has_port;
  long port;
} verify_fields;

/* Returns 0, or an error id with detail written. */
static int read_fields(const cJSON *root, verify_fields *f, char *detail, size_t cap) {
  static const struct { const char *key; int type; } spec[] = {
      {"phoneNumber", cJSON_String}, {"callbackUrl", cJSON_String}, {"consentGranted", cJSON_True},
      {"returnUrl", cJSON_String},   {"deviceIp", cJSON_String},    {"devicePort", cJSON_Number}};
  static const char *const tname[] = {"a string", "a string", "a boolean",
                                      "a string", "a string", "a number"};
  memset(f, 0, sizeof(*f));
  for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, spec[i].key);
    if (!it) continue;
    /* null is "absent" for the optional fields; for the others it is a wrong type */
    if (cJSON_IsNull(it) && i >= 3) continue;
    int ok = spec[i].type == cJSON_True ? cJSON_IsBool(it) : (it->type & 0xff) == spec[i].type;
    if (!ok) {
      snprintf(detail, cap, "%s must be %s", spec[i].key, tname[i]);
      return SMV__SB_EC_INVALID_FIELD_TYPE;
    }
  }
  const cJSON *it;
  f->phone = (it = cJSON_GetObjectItemCaseSensitive(root, "phoneNumber")) ? it->valuestring : NULL;
  f->callback = (it = cJSON_GetObjectItemCaseSensitive(root, "callbackUrl")) ? it->valuestring : NULL;
  it = cJSON_GetObjectItemCaseSensitive(root, "consentGranted");
  f->consent = it && cJSON_IsTrue(it);
  it = cJSON_GetObjectItemCaseSensitive(root, "returnUrl");
  f->return_url = it && cJSON_IsString(it) ? it->valuestring : NULL;
  it = cJSON_GetObjectItemCaseSensitive(root, "deviceIp");
  f->device_ip = it && cJSON_IsString(it) ? it->valuestring : NULL;
  it = cJSON_GetObjectItemCaseSensitive(root, "devicePort");
  if (it && cJSON_IsNumber(it)) {
    f->has_port = 1;
    double v = it->valuedouble;
    f->port = (v >= 1 && v <= 65535 && v == (double)(long)v) ? (long)v : -1;
  }
  if (!f->phone) {
    snprintf(detail, cap, "phoneNumber is required");
    return SMV__SB_EC_MISSING_FIELD;
  }
  if (!f->callback) {
    snprintf(detail, cap, "callbackUrl is required");
    return SMV__SB_EC_MISSING_FIELD;
  }
  if (!smv__sb_valid_msisdn(f->phone)) return SMV__SB_EC_INVALID_PHONE_NUMBER;
  int cb = smv__sb_check_callback_url(f->callback);
  if (cb) return cb;
  if (f->return_url && !smv__sb_valid_return_url(f->return_url)) return SMV__SB_EC_INVALID_RETURN_URL;
  if (f->has_port && !f->device_ip) return SMV__SB_EC_DEVICE_PORT_WITHOUT_IP;
  smv__sb_addr a;
  if (f->device_ip && smv__sb_addr_parse(&a, f->device_ip)) return SMV__SB_EC_INVALID_DEVICE_IP;
  if (f->has_port && f->port < 0) return SMV__SB_EC_INVALID_DEVICE_PORT;
  return 0;
}

static void handle_verify(smv__sb_service *svc, const smv__sb_request *req, uint64_t now_ms,
                          smv__sb_response *res) {
  const smv__sb_config *cfg = svc->cfg;
  char token[37];
  new_token(svc, token); /* every ERROR carries one: it names the request in the sandbox's log */
  svc->n.verify_requests++;
  if (strcmp(req->method, "POST") != 0) {
    res->allow = "POST";
    error_body(res, SMV__SB_EC_METHOD_NOT_ALLOWED, token, NULL);
    return;
  }
  if (!smv__sb_check_basic(req->authorization, cfg->user, cfg->password)) {
    res->www_authenticate = 1;
    error_body(res, SMV__SB_EC_UNAUTHORIZED, token, NULL);
    return;
  }
  if (req->body_len > cfg->max_body_bytes) {
    error_body(res, SMV__SB_EC_BODY_TOO_LARGE, token, NULL);
    return;
  }
  if (!media_is_json(req->content_type)) {
    error_body(res, SMV__SB_EC_UNSUPPORTED_MEDIA_TYPE, token, NULL);
    return;
  }
  cJSON *root = cJSON_ParseWithLength(req->body, req->body_len);
  if (!root || !cJSON_IsObject(root)) {
    cJSON_Delete(root);
    error_body(res, SMV__SB_EC_MALFORMED_JSON, token, NULL);
    return;
  }
  verify_fields f;
  char detail[160] = "";
  int id = read_fields(root, &f, detail, sizeof(detail));
  if (id) {
    error_body(res, id, token, detail[0] ? detail : NULL);
    logf_(svc, "verify rejected: %s", res->body);
    cJSON_Delete(root);
    svc->n.errors++;
    return;
  }
  if (!f.consent) {
    error_body(res, SMV__SB_EC_CONSENT_NOT_GRANTED, token, NULL);
    deliver_error(svc, f.callback, token, SMV__SB_EC_CONSENT_NOT_GRANTED, 0);
    cJSON_Delete(root);
    svc->n.errors++;
    return;
  }
  long sub = smv__sb_config_find_subscriber(cfg, f.phone);
  if (sub < 0) {
    error_body(res, SMV__SB_EC_UNKNOWN_SUBSCRIBER, token, NULL);
    deliver_error(svc, f.callback, token, SMV__SB_EC_UNKNOWN_SUBSCRIBER, 0);
    cJSON_Delete(root);
    svc->n.errors++;
    return;
  }
  const smv__sb_operator *op = &cfg->operators[cfg->subscribers[sub].op];
  smv__sb_addr dip = {0};
  if (f.device_ip) smv__sb_addr_parse(&dip, f.device_ip);
  /* A shared public IPv4 needs the port; an IPv6 address or a lab's own address speaks for itself. */
  int ok_path = op->profile == SMV__SB_PROFILE_IP_PORT && f.device_ip &&
                (f.has_port || dip.family == 6);
  if (ok_path) {
    res->status = 200;
    set_body(res, "{\"status\":\"OK\",\"token\":\"%s\"}", token);
    svc->n.ok++;
    logf_(svc, "verify %s for %s: OK, device %s port %ld given", token, f.phone, f.device_ip,
          f.has_port ? f.port : 0L);
    operator_check(svc, token, f.callback, (size_t)sub, &dip, (uint16_t)(f.has_port ? f.port : 0),
                   f.has_port);
    cJSON_Delete(root);
    return;
  }
  if (svc->tokens.count >= cfg->max_pending) {
    error_body(res, SMV__SB_EC_SERVICE_BUSY, token, NULL);
    cJSON_Delete(root);
    return;
  }
  smv__sb_token *tok = smv__sb_tokens_insert(&svc->tokens, token);
  char *cb = strdup(f.callback);
  char *ru = f.return_url ? strdup(f.return_url) : NULL;
  if (!tok || !cb || (f.return_url && !ru)) {
    if (tok) smv__sb_tokens_remove(&svc->tokens, tok);
    free(cb);
    free(ru);
    error_body(res, SMV__SB_EC_INTERNAL, token, "out of memory");
    cJSON_Delete(root);
    return;
  }
  tok->sub = (size_t)sub;
  tok->callback_url = cb;
  tok->return_url = ru;
  tok->expires_ms = now_ms + cfg->token_ttl_ms;
  res->status = 200;
  set_body(res,
           "{\"status\":\"REDIRECT\",\"token\":\"%s\",\"deviceRedirectUrl\":\"%s" SMV__SB_DEVICE_PREFIX
           "%s\"}",
           token, svc->api_base, token);
  svc->n.redirect++;
  logf_(svc, "verify %s for %s: REDIRECT (%s)", token, f.phone,
        op->profile == SMV__SB_PROFILE_HEADER_ENRICHMENT ? "operator uses header enrichment"
                                                          : "device address needed");
  cJSON_Delete(root);
}

/* ---- the device endpoint ---- */

static void finish_device(smv__sb_service *svc, smv__sb_token *tok, smv__sb_response *res) {
  if (tok->return_url) {
    res->status = 302;
    snprintf(res->location, sizeof(res->location), "%s", tok->return_url);
    res->body_len = 0;
  } else {
    res->status = 200;
    set_body(res, "{\"token\":\"%s\",\"returnUrl\":null}", tok->id);
  }
  smv__sb_tokens_remove(&svc->tokens, tok);
}

static void expire(smv__sb_service *svc, smv__sb_token *tok) {
  logf_(svc, "token %s expired", tok->id);
  deliver_error(svc, tok->callback_url, tok->id, SMV__SB_EC_TOKEN_EXPIRED, 0);
  smv__sb_tokens_remove(&svc->tokens, tok);
}

/* The token of a live verification, or NULL (400 EC_INVALID_TOKEN written). */
static smv__sb_token *live_token(smv__sb_service *svc, const char *id, size_t idlen,
                                 smv__sb_tok_state want, uint64_t now_ms, smv__sb_response *res) {
  char tid[37] = "";
  int shaped = smv__sb_is_uuid(id, idlen);
  if (shaped) memcpy(tid, id, 36);
  smv__sb_token *tok = shaped ? smv__sb_tokens_find(&svc->tokens, tid) : NULL;
  if (tok && tok->expires_ms <= now_ms) {
    expire(svc, tok);
    tok = NULL;
  }
  if (!tok || tok->state != want) {
    error_body(res, SMV__SB_EC_INVALID_TOKEN, shaped ? tid : NULL, NULL);
    return NULL;
  }
  return tok;
}

/* The value of key in a query string (first occurrence), copied; 0 found, -1 not. Values we read
 * are digits and hex only, so no percent-decoding is needed; anything else fails the check later. */
static int query_get(const char *q, const char *key, char *out, size_t cap) {
  size_t kl = strlen(key);
  while (q && *q) {
    size_t seg = strcspn(q, "&");
    if (seg > kl && strncmp(q, key, kl) == 0 && q[kl] == '=') {
      size_t vl = seg - kl - 1;
      if (vl >= cap) return -1;
      memcpy(out, q + kl + 1, vl);
      out[vl] = 0;
      return 0;
    }
    q += seg;
    if (*q == '&') q++;
  }
  return -1;
}

static void handle_device(smv__sb_service *svc, const smv__sb_request *req, const char *rest,
                          size_t restlen, const char *query, uint64_t now_ms,
                          smv__sb_response *res) {
  const smv__sb_config *cfg = svc->cfg;
  if (strcmp(req->method, "GET") != 0) {
    res->allow = "GET";
    error_body(res, SMV__SB_EC_METHOD_NOT_ALLOWED, NULL, NULL);
    return;
  }
  svc->n.device_visits++;
  smv__sb_addr peer = {0};
  smv__sb_addr_parse(&peer, req->peer_ip);
  int back = restlen == 36 + 3 && memcmp(rest + 36, "/he", 3) == 0;
  if (!back && restlen != 36) {
    error_body(res, SMV__SB_EC_INVALID_TOKEN, NULL, NULL);
    return;
  }
  smv__sb_token *tok = live_token(svc, rest, 36,
                                  back ? SMV__SB_TOK_AT_OPERATOR : SMV__SB_TOK_PENDING, now_ms, res);
  if (!tok) {
    logf_(svc, "device %s:%u: invalid, used or expired token", req->peer_ip, req->peer_port);
    return;
  }
  const smv__sb_subscriber *s = &cfg->subscribers[tok->sub];
  const smv__sb_operator *op = &cfg->operators[s->op];
  if (!back) {
    tok->seen_ip = peer;
    tok->seen_port = req->peer_port;
    logf_(svc, "device opened deviceRedirectUrl of %s from %s port %u", tok->id, req->peer_ip,
          req->peer_port);
    if (op->profile == SMV__SB_PROFILE_IP_PORT) {
      operator_check(svc, tok->id, tok->callback_url, tok->sub, &peer, req->peer_port, 1);
      finish_device(svc, tok, res);
      return;
    }
    if (op->down) {
      logf_(svc, "operator %s is down", op->name);
      deliver_error(svc, tok->callback_url, tok->id, SMV__SB_EC_OPERATOR_UNREACHABLE, 0);
      finish_device(svc, tok, res);
      return;
    }
    tok->state = SMV__SB_TOK_AT_OPERATOR;
    res->status = 302;
    snprintf(res->location, sizeof(res->location), "%s" SMV__SB_HE_PREFIX "%s/%s",
             svc->operator_base, op->name, tok->id);
    logf_(svc, "sending the device through %s's header enrichment: %s", op->name, res->location);
    return;
  }
  char msisdn[16] = "", ts[24] = "", sig[80] = "";
  int have = !query_get(query, "msisdn", msisdn, sizeof(msisdn)) &&
             !query_get(query, "ts", ts, sizeof(ts)) && !query_get(query, "sig", sig, sizeof(sig));
  char *end = NULL;
  unsigned long long t = have ? strtoull(ts, &end, 10) : 0;
  if (!have || !ts[0] || *end ||
      smv__sb_assert_verify(op->hmac_key, op->hmac_key_len, tok->id, msisdn, t, sig,
                            now_ms / 1000, SMV__SB_ASSERT_MAX_AGE_S)) {
    logf_(svc, "assertion for %s refused", tok->id);
    error_body(res, SMV__SB_EC_ASSERTION_INVALID, tok->id, NULL);
    return;
  }
  int ok = !cfg->always_invalid && strcmp(msisdn, s->msisdn) == 0;
  logf_(svc, "operator %s vouches for %s: %s", op->name, msisdn[0] ? msisdn : "(no number)",
        ok ? "matches" : "does not match");
  deliver(svc, tok->callback_url, tok->id, ok ? "VALID" : "INVALID", 0);
  finish_device(svc, tok, res);
}

/* ---- the operator's header-enrichment endpoint ---- */

static void handle_he(smv__sb_service *svc, const smv__sb_request *req, const char *rest,
                      uint64_t now_ms, smv__sb_response *res) {
  const smv__sb_config *cfg = svc->cfg;
  const char *slash = strchr(rest, '/');
  char name[32];
  size_t nl = slash ? (size_t)(slash - rest) : 0;
  if (!slash || nl == 0 || nl >= sizeof(name)) {
    error_body(res, SMV__SB_EC_NOT_FOUND, NULL, NULL);
    return;
  }
  memcpy(name, rest, nl);
  name[nl] = 0;
  long opi = smv__sb_config_find_operator(cfg, name);
  const char *tk = slash + 1;
  size_t tl = strcspn(tk, "?");
  if (opi < 0 || cfg->operators[opi].profile != SMV__SB_PROFILE_HEADER_ENRICHMENT) {
    error_body(res, SMV__SB_EC_NOT_FOUND, NULL, NULL);
    return;
  }
  if (!smv__sb_is_uuid(tk, tl)) {
    error_body(res, SMV__SB_EC_INVALID_TOKEN, NULL, NULL);
    return;
  }
  if (strcmp(req->method, "GET") != 0) {
    res->allow = "GET";
    error_body(res, SMV__SB_EC_METHOD_NOT_ALLOWED, NULL, NULL);
    return;
  }
  const smv__sb_operator *op = &cfg->operators[opi];
  smv__sb_addr peer = {0};
  smv__sb_addr_parse(&peer, req->peer_ip);
  long sub = smv__sb_lookup_by_addr(cfg, (size_t)opi, &peer, req->peer_port);
  const char *msisdn = sub >= 0 ? cfg->subscribers[sub].msisdn : "";
  char token[37];
  memcpy(token, tk, 36);
  token[36] = 0;
  uint64_t ts = now_ms / 1000;
  char sig[65];
  if (smv__sb_assert_sign(op->hmac_key, op->hmac_key_len, token, msisdn, ts, sig)) {
    error_body(res, SMV__SB_EC_INTERNAL, token, NULL);
    return;
  }
  res->status = 302;
  res->delay_ms = op->latency_ms;
  snprintf(res->location, sizeof(res->location),
           "%s" SMV__SB_DEVICE_PREFIX "%s/he?msisdn=%s&ts=%llu&sig=%s", svc->api_base, token,
           msisdn, (unsigned long long)ts, sig);
  logf_(svc, "operator %s: request from %s port %u is subscriber %s; signed and sent back", op->name,
        req->peer_ip, req->peer_port, msisdn[0] ? msisdn : "(unknown)");
}

void smv__sb_service_handle(smv__sb_service *svc, const smv__sb_request *req, uint64_t now_ms,
                            smv__sb_response *res) {
  memset(res, 0, sizeof(*res));
  size_t plen = strcspn(req->target, "?");
  const char *query = req->target[plen] == '?' ? req->target + plen + 1 : "";
  if (req->listener == SMV__SB_API) {
    if (plen == strlen(SMV__SB_VERIFY_PATH) && strncmp(req->target, SMV__SB_VERIFY_PATH, plen) == 0) {
      handle_verify(svc, req, now_ms, res);
      return;
    }
    size_t dl = strlen(SMV__SB_DEVICE_PREFIX);
    if (plen > dl && strncmp(req->target, SMV__SB_DEVICE_PREFIX, dl) == 0) {
      handle_device(svc, req, req->target + dl, plen - dl, query, now_ms, res);
      return;
    }
  } else {
    size_t hl = strlen(SMV__SB_HE_PREFIX);
    if (plen > hl && strncmp(req->target, SMV__SB_HE_PREFIX, hl) == 0) {
      handle_he(svc, req, req->target + hl, now_ms, res);
      return;
    }
  }
  error_body(res, SMV__SB_EC_NOT_FOUND, NULL, NULL);
}

size_t smv__sb_service_sweep(smv__sb_service *svc, uint64_t now_ms) {
  size_t n = 0;
  for (size_t i = 0; i < svc->tokens.cap; i++) {
    smv__sb_token *tok = &svc->tokens.slots[i];
    if (tok->state >= SMV__SB_TOK_PENDING && tok->expires_ms <= now_ms) {
      expire(svc, tok);
      n++;
    }
  }
  return n;
}
