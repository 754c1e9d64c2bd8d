/* The service's decisions. Order of checks on the verify request, so that a client sees the most
 * basic problem first: route, method, credentials, size, media type, JSON, its shape (field types),
 * required fields, field formats, consent, subscriber, capacity. Consent comes after the formats
 * because its ERROR-202 goes to the callbackUrl, which must be valid by then. */
#include "sandbox/sb_service.h"

#include <cJSON.h>
#include <mbedtls/base64.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sandbox/sb_assert.h"
#include "sandbox/sb_errors.h"
#include "sandbox/sb_match.h"
#include "sandbox/sb_util.h"
#include "smv.h"

/* The vendor table's kinds of entry (smv__sb_token.kind). */
enum { KIND_VERIFY = 0, KIND_ZERO_RATED = 1 };

#define logf_(svc, ...) smv__sb_logf(&(svc)->fx, __VA_ARGS__)

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
  if (smv__sb_tokens_init(&svc->tokens)) return SMV_ERR_NOMEM;
  if (smv__sb_camara_init(&svc->camara, fx)) {
    smv__sb_tokens_free(&svc->tokens);
    return SMV_ERR_NOMEM;
  }
  return 0;
}

void smv__sb_service_free(smv__sb_service *svc) {
  smv__sb_tokens_free(&svc->tokens);
  smv__sb_camara_free(&svc->camara);
}

/* ---- validators ---- */

int smv__sb_valid_msisdn(const char *s) {
  size_t n = strlen(s);
  return n >= 7 && n <= 15 && strspn(s, "0123456789") == n && s[0] != '0';
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

/* The seed's ERROR object. token NULL writes null. detail (may be NULL) replaces the table's
 * description for the sandbox's own ids, to name the offending field. */
static void error_body(smv__sb_response *res, int id, const char *token, const char *detail) {
  const char *desc = detail ? detail : smv__sb_error_description(id);
  char d[400];
  smv__sb_json_escape(d, sizeof(d), desc ? desc : "");
  char t[64] = "null";
  if (token) snprintf(t, sizeof(t), "\"%s\"", token);
  res->status = smv__sb_error_http_status(id);
  res->error_id = id;
  smv__sb_body(res,
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

static void error_result(char out[24], int id) { snprintf(out, 24, "ERROR-%d", id); }

/* A verification of tok has its result: the callback for a verify request; for a zero-rated one the
 * result waits in the token for the backend's verify/zero-rated call (no callback exists). */
static void conclude(smv__sb_service *svc, smv__sb_token *tok, const char *result, unsigned delay_ms) {
  if (tok->kind == KIND_ZERO_RATED) {
    snprintf(tok->result, sizeof(tok->result), "%s", result);
    tok->state = SMV__SB_TOK_DONE;
    logf_(svc, "result %s for %s kept for the backend (zero-rated)", result, tok->id);
    return;
  }
  deliver(svc, tok->callback_url, tok->id, result, delay_ms);
}

/* The operator's answer for an IP/port check: "VALID", "INVALID" or "ERROR-1030" into out, with the
 * operator's latency in *delay. */
static void operator_check(smv__sb_service *svc, size_t sub, const smv__sb_addr *ip, uint16_t port,
                           int port_known, char out[24], unsigned *delay) {
  const smv__sb_config *cfg = svc->cfg;
  const smv__sb_subscriber *s = &cfg->subscribers[sub];
  const smv__sb_operator *op = &cfg->operators[s->op];
  *delay = op->latency_ms;
  if (op->down) {
    logf_(svc, "operator %s is down", op->name);
    error_result(out, SMV__SB_EC_OPERATOR_UNREACHABLE);
    return;
  }
  int ok = !cfg->always_invalid && smv__sb_match(cfg, s, ip, port, port_known);
  logf_(svc, "operator %s: address %s %s subscriber %s", op->name, port_known ? "and port" : "",
        ok ? "match" : "do not match", s->msisdn);
  snprintf(out, 24, "%s", ok ? "VALID" : "INVALID");
}

/* ---- the JSON requests of the app's backend ---- */

/* What every backend request shares: method, credentials, size, media type, a JSON object. Returns
 * the parsed body, or NULL with the ERROR written (token names the request in the log). */
static cJSON *backend_body(smv__sb_service *svc, const smv__sb_request *req, const char *token,
                           smv__sb_response *res) {
  const smv__sb_config *cfg = svc->cfg;
  if (strcmp(req->method, "POST") != 0) {
    res->allow = "POST";
    error_body(res, SMV__SB_EC_METHOD_NOT_ALLOWED, token, NULL);
    return NULL;
  }
  if (!smv__sb_check_basic(req->authorization, cfg->user, cfg->password)) {
    res->www_authenticate = SMV__SB_BASIC_CHALLENGE;
    error_body(res, SMV__SB_EC_UNAUTHORIZED, token, NULL);
    return NULL;
  }
  if (req->body_len > cfg->max_body_bytes) {
    error_body(res, SMV__SB_EC_BODY_TOO_LARGE, token, NULL);
    return NULL;
  }
  if (!smv__sb_media_is(req->content_type, "application/json")) {
    error_body(res, SMV__SB_EC_UNSUPPORTED_MEDIA_TYPE, token, NULL);
    return NULL;
  }
  cJSON *root = cJSON_ParseWithLength(req->body, req->body_len);
  if (!root) {
    error_body(res, SMV__SB_EC_MALFORMED_JSON, token, NULL);
    return NULL;
  }
  /* JSON, but not what any of these requests is: the vendor's 422 (RFC 9110 15.5.21). */
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    error_body(res, SMV__SB_EC_UNPROCESSABLE_CONTENT, token, "The body must be a JSON object");
    return NULL;
  }
  return root;
}

typedef struct field_spec {
  const char *key;
  int type;                     /* cJSON_String, cJSON_Number or cJSON_True (a boolean) */
  int nullable;                 /* null counts as absent */
} field_spec;

/* Every known field present has its type; a wrong one is EC_UNPROCESSABLE_CONTENT naming it. */
static int check_types(const cJSON *root, const field_spec *spec, size_t n, char *detail, size_t cap) {
  for (size_t i = 0; i < n; i++) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, spec[i].key);
    if (!it || (cJSON_IsNull(it) && spec[i].nullable)) continue;
    int ok = spec[i].type == cJSON_True ? cJSON_IsBool(it) : (it->type & 0xff) == spec[i].type;
    if (!ok) {
      snprintf(detail, cap, "%s must be %s", spec[i].key,
               spec[i].type == cJSON_True ? "a boolean"
               : spec[i].type == cJSON_Number ? "a number" : "a string");
      return SMV__SB_EC_UNPROCESSABLE_CONTENT;
    }
  }
  return 0;
}

static const char *str_field(const cJSON *root, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, key);
  return cJSON_IsString(it) ? it->valuestring : NULL;
}

typedef struct verify_fields {
  const char *phone, *callback, *return_url, *device_ip;
  int consent;                  /* 1 true, 0 false or absent */
  int has_port;
  long port;
} verify_fields;

/* Returns 0, or an error id with detail written. zero_rated: the zero-rated init request, which has
 * no callbackUrl and no device address. */
static int read_fields(const cJSON *root, int zero_rated, verify_fields *f, char *detail, size_t cap) {
  static const field_spec spec[] = {
      {"phoneNumber", cJSON_String, 0}, {"consentGranted", cJSON_True, 0},
      {"returnUrl", cJSON_String, 1},   {"callbackUrl", cJSON_String, 0},
      {"deviceIp", cJSON_String, 1},    {"devicePort", cJSON_Number, 1}};
  memset(f, 0, sizeof(*f));
  int id = check_types(root, spec, zero_rated ? 3 : 6, detail, cap);
  if (id) return id;
  f->phone = str_field(root, "phoneNumber");
  f->consent = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "consentGranted"));
  f->return_url = str_field(root, "returnUrl");
  if (!f->phone) {
    snprintf(detail, cap, "phoneNumber is required");
    return SMV__SB_EC_MISSING_FIELD;
  }
  if (!zero_rated) {
    f->callback = str_field(root, "callbackUrl");
    f->device_ip = str_field(root, "deviceIp");
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, "devicePort");
    if (cJSON_IsNumber(it)) {
      f->has_port = 1;
      double v = it->valuedouble;
      f->port = (v >= 1 && v <= 65535 && v == (double)(long)v) ? (long)v : -1;
    }
    if (!f->callback) {
      snprintf(detail, cap, "callbackUrl is required");
      return SMV__SB_EC_MISSING_FIELD;
    }
  }
  if (!smv__sb_valid_msisdn(f->phone)) return SMV__SB_EC_INVALID_PHONE_NUMBER;
  if (f->callback) {
    int cb = smv__sb_check_callback_url(f->callback);
    if (cb) return cb;
  }
  if (f->return_url && !smv__sb_valid_return_url(f->return_url)) return SMV__SB_EC_INVALID_RETURN_URL;
  if (f->has_port && !f->device_ip) return SMV__SB_EC_DEVICE_PORT_WITHOUT_IP;
  smv__sb_addr a;
  if (f->device_ip && smv__sb_addr_parse(&a, f->device_ip)) return SMV__SB_EC_INVALID_DEVICE_IP;
  if (f->has_port && f->port < 0) return SMV__SB_EC_INVALID_DEVICE_PORT;
  return 0;
}

/* A token waiting for the device at deviceRedirectUrl, or NULL (ERROR written). */
static smv__sb_token *pending_token(smv__sb_service *svc, const char *token, size_t sub,
                                    const verify_fields *f, int kind, uint64_t now_ms,
                                    smv__sb_response *res) {
  if (svc->tokens.count >= svc->cfg->max_pending) {
    error_body(res, SMV__SB_EC_SERVICE_BUSY, token, NULL);
    return NULL;
  }
  smv__sb_token *tok = smv__sb_tokens_insert(&svc->tokens, token);
  char *cb = f->callback ? strdup(f->callback) : NULL;
  char *ru = f->return_url ? strdup(f->return_url) : NULL;
  if (!tok || (f->callback && !cb) || (f->return_url && !ru)) {
    if (tok) smv__sb_tokens_remove(&svc->tokens, tok);
    free(cb);
    free(ru);
    error_body(res, SMV__SB_EC_INTERNAL, token, "out of memory");
    return NULL;
  }
  tok->kind = (unsigned char)kind;
  tok->sub = sub;
  tok->callback_url = cb;
  tok->return_url = ru;
  tok->expires_ms = now_ms + svc->cfg->token_ttl_ms;
  return tok;
}

/* POST /mi/verification/1/verify, and with zero_rated the zero-rated init (same checks, no
 * callback: the backend asks for the result with verify/zero-rated). */
static void handle_verify(smv__sb_service *svc, const smv__sb_request *req, int zero_rated,
                          uint64_t now_ms, smv__sb_response *res) {
  const smv__sb_config *cfg = svc->cfg;
  char token[37];
  new_token(svc, token); /* every ERROR carries one: it names the request in the sandbox's log */
  if (zero_rated) svc->n.zero_rated++;
  else svc->n.verify_requests++;
  cJSON *root = backend_body(svc, req, token, res);
  if (!root) return;
  verify_fields f;
  char detail[160] = "";
  int id = read_fields(root, zero_rated, &f, detail, sizeof(detail));
  if (id) {
    error_body(res, id, token, detail[0] ? detail : NULL);
    logf_(svc, "%s rejected: %s", zero_rated ? "zero-rated init" : "verify", res->body);
    cJSON_Delete(root);
    svc->n.errors++;
    return;
  }
  long sub = f.consent ? smv__sb_config_find_subscriber(cfg, f.phone) : -1;
  if (!f.consent || sub < 0) {
    id = f.consent ? SMV__SB_EC_UNKNOWN_SUBSCRIBER : SMV__SB_EC_CONSENT_NOT_GRANTED;
    error_body(res, id, token, NULL);
    if (f.callback) {
      char r[24];
      error_result(r, id);
      deliver(svc, f.callback, token, r, 0);
    }
    cJSON_Delete(root);
    svc->n.errors++;
    return;
  }
  const smv__sb_operator *op = &cfg->operators[cfg->subscribers[sub].op];
  smv__sb_addr dip = {0};
  if (f.device_ip) smv__sb_addr_parse(&dip, f.device_ip);
  /* A shared public IPv4 needs the port; an IPv6 address or a lab's own address speaks for itself. */
  if (!zero_rated && op->profile == SMV__SB_PROFILE_IP_PORT && f.device_ip &&
      (f.has_port || dip.family == 6)) {
    res->status = 200;
    smv__sb_body(res, "{\"status\":\"OK\",\"token\":\"%s\"}", token);
    svc->n.ok++;
    logf_(svc, "verify %s for %s: OK, device %s port %ld given", token, f.phone, f.device_ip,
          f.has_port ? f.port : 0L);
    char r[24];
    unsigned delay;
    if (!smv__sb_in_operator_ranges(cfg, cfg->subscribers[sub].op, &dip)) {
      logf_(svc, "deviceIp %s is outside operator %s's network", f.device_ip, op->name);
      error_result(r, SMV__SB_EC_REJECTED_INVALID_IP_ADDRESS);
      delay = 0;
    } else {
      operator_check(svc, (size_t)sub, &dip, (uint16_t)(f.has_port ? f.port : 0), f.has_port, r,
                     &delay);
    }
    deliver(svc, f.callback, token, r, delay);
    cJSON_Delete(root);
    return;
  }
  smv__sb_token *tok = pending_token(svc, token, (size_t)sub, &f,
                                     zero_rated ? KIND_ZERO_RATED : KIND_VERIFY, now_ms, res);
  cJSON_Delete(root);
  if (!tok) return;
  res->status = 200;
  if (zero_rated)
    smv__sb_body(res, "{\"token\":\"%s\",\"deviceRedirectUrl\":\"%s" SMV__SB_DEVICE_PREFIX "%s\"}",
                 token, svc->api_base, token);
  else
    smv__sb_body(res,
                 "{\"status\":\"REDIRECT\",\"token\":\"%s\",\"deviceRedirectUrl\":\"%s"
                 SMV__SB_DEVICE_PREFIX "%s\"}",
                 token, svc->api_base, token);
  svc->n.redirect++;
  logf_(svc, "%s %s for %s: %s (%s)", zero_rated ? "zero-rated init" : "verify", token,
        cfg->subscribers[sub].msisdn, zero_rated ? "deviceRedirectUrl" : "REDIRECT",
        op->profile == SMV__SB_PROFILE_HEADER_ENRICHMENT ? "operator uses header enrichment"
                                                          : "device address needed");
}

/* POST /mi/verification/1/verify/zero-rated {"token"}: the result the device's visit produced, once. */
static void handle_zr_verify(smv__sb_service *svc, const smv__sb_request *req, uint64_t now_ms,
                             smv__sb_response *res) {
  char rid[37];
  new_token(svc, rid);
  cJSON *root = backend_body(svc, req, rid, res);
  if (!root) return;
  static const field_spec spec[] = {{"token", cJSON_String, 0}};
  char detail[160] = "", tid[37] = "";
  int id = check_types(root, spec, 1, detail, sizeof(detail));
  const char *t = str_field(root, "token");
  if (!id && !t) {
    id = SMV__SB_EC_MISSING_FIELD;
    snprintf(detail, sizeof(detail), "token is required");
  }
  if (id) {
    error_body(res, id, rid, detail);
    cJSON_Delete(root);
    return;
  }
  int shaped = smv__sb_is_uuid(t, strlen(t));
  if (shaped) memcpy(tid, t, 37);
  cJSON_Delete(root);
  smv__sb_token *tok = shaped ? smv__sb_tokens_find(&svc->tokens, tid) : NULL;
  if (tok && (tok->kind != KIND_ZERO_RATED || tok->expires_ms <= now_ms)) {
    if (tok->kind == KIND_ZERO_RATED) smv__sb_tokens_remove(&svc->tokens, tok);
    tok = NULL;
  }
  if (!tok) {
    error_body(res, SMV__SB_EC_INVALID_TOKEN, shaped ? tid : NULL, NULL);
    logf_(svc, "verify/zero-rated: unknown, used or expired token");
    return;
  }
  if (tok->state != SMV__SB_TOK_DONE) {
    /* kept: the device may still come within the TTL */
    error_body(res, SMV__SB_EC_DEVICE_NOT_SEEN, tid, NULL);
    return;
  }
  if (strncmp(tok->result, "ERROR-", 6) == 0) {
    error_body(res, (int)strtol(tok->result + 6, NULL, 10), tid, NULL);
    res->status = 200; /* a business error, as the verify request's are */
  } else {
    res->status = 200;
    smv__sb_body(res, "{\"result\":\"%s\",\"token\":\"%s\"}", tok->result, tid);
  }
  logf_(svc, "verify/zero-rated %s: %s", tid, tok->result);
  smv__sb_tokens_remove(&svc->tokens, tok);
}

/* ---- the device endpoint ---- */

static void finish_device(smv__sb_service *svc, smv__sb_token *tok, smv__sb_response *res) {
  if (tok->return_url) {
    res->status = 302;
    snprintf(res->location, sizeof(res->location), "%s", tok->return_url);
    res->body_len = 0;
  } else {
    res->status = 200;
    smv__sb_body(res, "{\"token\":\"%s\",\"returnUrl\":null}", tok->id);
  }
  /* a zero-rated result stays for the backend */
  if (tok->kind != KIND_ZERO_RATED) smv__sb_tokens_remove(&svc->tokens, tok);
}

static void expire(smv__sb_service *svc, smv__sb_token *tok) {
  logf_(svc, "token %s expired%s", tok->id,
        tok->state == SMV__SB_TOK_PENDING ? ": the device never opened deviceRedirectUrl" : "");
  if (tok->kind == KIND_VERIFY) {
    char r[24];
    error_result(r, tok->state == SMV__SB_TOK_PENDING ? SMV__SB_EC_MOBILE_DEVICE_TIMEOUT
                                                      : SMV__SB_EC_TOKEN_EXPIRED);
    deliver(svc, tok->callback_url, tok->id, r, 0);
  }
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
  char r[24];
  if (!back) {
    tok->seen_ip = peer;
    tok->seen_port = req->peer_port;
    logf_(svc, "device opened deviceRedirectUrl of %s from %s port %u", tok->id, req->peer_ip,
          req->peer_port);
    /* Seen from the service: an address outside the operator's network is a WiFi or VPN leak (or
     * another operator's subscriber); the operator is not asked. */
    if (!smv__sb_in_operator_ranges(cfg, s->op, &peer)) {
      logf_(svc, "%s is outside operator %s's network", req->peer_ip, op->name);
      error_result(r, SMV__SB_EC_REJECTED_INVALID_IP_ADDRESS);
      conclude(svc, tok, r, 0);
      finish_device(svc, tok, res);
      return;
    }
    if (op->profile == SMV__SB_PROFILE_IP_PORT) {
      unsigned delay;
      operator_check(svc, tok->sub, &peer, req->peer_port, 1, r, &delay);
      conclude(svc, tok, r, delay);
      finish_device(svc, tok, res);
      return;
    }
    if (op->down) {
      logf_(svc, "operator %s is down", op->name);
      error_result(r, SMV__SB_EC_OPERATOR_UNREACHABLE);
      conclude(svc, tok, r, 0);
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
  char msisdn[16] = "";
  if (smv__sb_assert_check(op, tok->id, query, now_ms, msisdn)) {
    logf_(svc, "assertion for %s refused", tok->id);
    error_body(res, SMV__SB_EC_ASSERTION_INVALID, tok->id, NULL);
    return;
  }
  int ok = !cfg->always_invalid && strcmp(msisdn, s->msisdn) == 0;
  logf_(svc, "operator %s vouches for %s: %s", op->name, msisdn[0] ? msisdn : "(no number)",
        ok ? "matches" : "does not match");
  conclude(svc, tok, ok ? "VALID" : "INVALID", 0);
  finish_device(svc, tok, res);
}

/* ---- the operator's header-enrichment endpoint ---- */

/* The subscriber the operator's proxy names: by a trusted proxy's MSISDN header, or (without
 * trusted proxies) by the connection's address. "" when unidentified. */
static void he_identify(smv__sb_service *svc, size_t opi, const smv__sb_request *req,
                        char msisdn[16]) {
  const smv__sb_config *cfg = svc->cfg;
  const smv__sb_operator *op = &cfg->operators[opi];
  smv__sb_addr peer = {0};
  smv__sb_addr_parse(&peer, req->peer_ip);
  size_t n = 0;
  const char *v = smv__sb_header_get(req, op->msisdn_header, &n);
  msisdn[0] = 0;
  if (!op->trusted_count) {
    if (v) logf_(svc, "operator %s: %s header ignored (no trusted proxies configured)", op->name,
                 op->msisdn_header);
    long sub = smv__sb_lookup_by_addr(cfg, opi, &peer, req->peer_port);
    if (sub >= 0) snprintf(msisdn, 16, "%s", cfg->subscribers[sub].msisdn);
    return;
  }
  int trusted = 0;
  for (size_t i = 0; i < op->trusted_count; i++)
    if (smv__sb_addr_equal(&peer, &op->trusted_proxies[i])) trusted = 1;
  if (!trusted) {
    logf_(svc, "operator %s: request from %s, not a trusted proxy%s%s%s", op->name, req->peer_ip,
          v ? ": its " : "", v ? op->msisdn_header : "", v ? " header is ignored" : "");
    return;
  }
  if (!v) {
    logf_(svc, "operator %s: trusted proxy %s sent no %s header", op->name, req->peer_ip,
          op->msisdn_header);
    return;
  }
  const char *num = v[0] == '+' ? v + 1 : v; /* some proxies write E.164 with its '+' */
  if (n > 1 || !smv__sb_valid_msisdn(num)) {
    logf_(svc, "operator %s: %s from trusted proxy %s is %s; ignored", op->name, op->msisdn_header,
          req->peer_ip, n > 1 ? "repeated" : "not an MSISDN");
    return;
  }
  snprintf(msisdn, 16, "%s", num);
}

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
  /* /he/<operator>/oidc/<id>: a CAMARA authorization waiting for its subscriber */
  int oidc = strncmp(tk, "oidc/", 5) == 0;
  if (oidc) tk += 5;
  size_t tl = strcspn(tk, "?");
  if (opi < 0 || cfg->operators[opi].profile != SMV__SB_PROFILE_HEADER_ENRICHMENT) {
    error_body(res, SMV__SB_EC_NOT_FOUND, NULL, NULL);
    return;
  }
  if (oidc ? !smv__sb_camara_id_ok(tk, tl) : !smv__sb_is_uuid(tk, tl)) {
    error_body(res, SMV__SB_EC_INVALID_TOKEN, NULL, NULL);
    return;
  }
  if (strcmp(req->method, "GET") != 0) {
    res->allow = "GET";
    error_body(res, SMV__SB_EC_METHOD_NOT_ALLOWED, NULL, NULL);
    return;
  }
  const smv__sb_operator *op = &cfg->operators[opi];
  char msisdn[16];
  he_identify(svc, (size_t)opi, req, msisdn);
  char token[SMV__SB_TOKEN_ID_MAX + 8];
  snprintf(token, sizeof(token), "%s%.*s", oidc ? "oidc/" : "", (int)tl, tk);
  uint64_t ts = now_ms / 1000;
  char sig[65];
  if (smv__sb_assert_sign(op->hmac_key, op->hmac_key_len, token, msisdn, ts, sig)) {
    error_body(res, SMV__SB_EC_INTERNAL, NULL, NULL);
    return;
  }
  res->status = 302;
  res->delay_ms = op->latency_ms;
  snprintf(res->location, sizeof(res->location), "%s%s%.*s%s?msisdn=%s&ts=%llu&sig=%s",
           svc->api_base, oidc ? SMV__SB_OIDC_HE_PREFIX : SMV__SB_DEVICE_PREFIX, (int)tl, tk,
           oidc ? "" : "/he", msisdn, (unsigned long long)ts, sig);
  logf_(svc, "operator %s: request from %s port %u is subscriber %s; signed and sent back", op->name,
        req->peer_ip, req->peer_port, msisdn[0] ? msisdn : "(unknown)");
}

int smv__sb_assert_check(const smv__sb_operator *op, const char *token, const char *query,
                         uint64_t now_ms, char msisdn[16]) {
  char ts[24] = "", sig[80] = "";
  msisdn[0] = 0;
  /* msisdn is digits or empty, ts digits, sig hex: what does not fit fails the MAC */
  if (smv__sb_form_get(query, strlen(query), "msisdn", msisdn, 16) != 1 ||
      smv__sb_form_get(query, strlen(query), "ts", ts, sizeof(ts)) != 1 ||
      smv__sb_form_get(query, strlen(query), "sig", sig, sizeof(sig)) != 1 || !ts[0] ||
      strspn(ts, "0123456789") != strlen(ts))
    return -1;
  unsigned long long t = strtoull(ts, NULL, 10);
  return smv__sb_assert_verify(op->hmac_key, op->hmac_key_len, token, msisdn, t, sig,
                               now_ms / 1000, SMV__SB_ASSERT_MAX_AGE_S);
}

static int path_is(const char *target, size_t plen, const char *path) {
  return plen == strlen(path) && strncmp(target, path, plen) == 0;
}

void smv__sb_service_handle(smv__sb_service *svc, const smv__sb_request *req, uint64_t now_ms,
                            smv__sb_response *res) {
  memset(res, 0, sizeof(*res));
  size_t plen = strcspn(req->target, "?");
  const char *query = req->target[plen] == '?' ? req->target + plen + 1 : "";
  if (req->listener == SMV__SB_API) {
    if (path_is(req->target, plen, SMV__SB_VERIFY_PATH)) {
      handle_verify(svc, req, 0, now_ms, res);
      return;
    }
    if (path_is(req->target, plen, SMV__SB_ZR_INIT_PATH)) {
      handle_verify(svc, req, 1, now_ms, res);
      return;
    }
    if (path_is(req->target, plen, SMV__SB_ZR_VERIFY_PATH)) {
      handle_zr_verify(svc, req, now_ms, res);
      return;
    }
    size_t dl = strlen(SMV__SB_DEVICE_PREFIX);
    if (plen > dl && strncmp(req->target, SMV__SB_DEVICE_PREFIX, dl) == 0) {
      handle_device(svc, req, req->target + dl, plen - dl, query, now_ms, res);
      return;
    }
    if (smv__sb_camara_handle(svc, req, plen, query, now_ms, res)) return;
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
  return n + smv__sb_camara_sweep(svc, now_ms);
}
