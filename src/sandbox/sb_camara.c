/* The CAMARA authorization server and Number Verification API. Where the standards give the order of
 * checks it is followed: at the authorization endpoint the client and its redirect_uri first, and
 * nothing is redirected until both are known (RFC 6749 4.1.2.1); at the token endpoint the client's
 * authentication before the grant (RFC 6749 3.2.1), so that an unauthenticated caller learns nothing
 * about codes; at the API the token (401), its permissions (403), then the body (400). */
#include "sandbox/sb_camara.h"

#include <cJSON.h>
#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sandbox/sb_jwt.h"
#include "sandbox/sb_match.h"
#include "sandbox/sb_service.h"
#include "sandbox/sb_util.h"
#include "smv.h"

#define logf_(svc, ...) smv__sb_logf(&(svc)->fx, __VA_ARGS__)

#define PENDING_TTL_MS 120000u      /* the device's walk to the operator and back */
#define EXPIRED_KEPT_MS 60000u      /* an expired access token is reported as expired this long */
#define NO_CLIENT ((size_t)-1)      /* test tokens belong to no client */

/* The store's kinds of entry (smv__sb_token.kind). */
enum { K_PENDING = 1, K_CODE, K_ACCESS, K_JTI };

/* A waiting authorization (K_PENDING) or an issued code (K_CODE). */
typedef struct grant {
  size_t client;
  unsigned scopes;
  size_t op;                        /* pending: the operator that was asked */
  char msisdn[16];                  /* code: the subscriber the network named */
  char challenge[SMV__SB_CAMARA_ID_LEN + 1];  /* S256 code_challenge; "" none */
  char access[SMV__SB_CAMARA_ID_LEN + 1];     /* code: the token issued from it, revoked on reuse */
  int used;
  uint64_t auth_time_s;
  char *redirect_uri, *state, *nonce;         /* into data */
  char data[];
} grant;

typedef struct access_rec {
  char msisdn[16];                  /* "": the token identifies no phone number */
  unsigned scopes;
  int network;                      /* obtained by network-based authentication */
  size_t client;                    /* NO_CLIENT for test tokens */
  uint64_t exp_ms;
} access_rec;

/* ---- setup ---- */

int smv__sb_camara_init(smv__sb_camara *c, const smv__sb_effects *fx) {
  memset(c, 0, sizeof(*c));
  fx->random(fx->ud, c->sub_key, sizeof(c->sub_key));
  smv__sb_random_id(fx, 9, c->kid, sizeof(c->kid));
  /* small to start with: most sandboxes never see a CAMARA request */
  return smv__sb_tokens_init_cap(&c->store, 64);
}

void smv__sb_camara_free(smv__sb_camara *c) {
  smv__sb_tokens_free(&c->store);
  if (c->id_key) {
    smv__sb_jws_key_free(c->id_key);
    free(c->id_key);
  }
  c->id_key = NULL;
}

int smv__sb_camara_id_ok(const char *s, size_t n) {
  if (n != SMV__SB_CAMARA_ID_LEN) return 0;
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
          ch == '-' || ch == '_'))
      return 0;
  }
  return 1;
}

static int fx_rng(void *ud, unsigned char *buf, size_t n) {
  const smv__sb_effects *fx = ud;
  fx->random(fx->ud, buf, n);
  return 0;
}

mbedtls_pk_context *smv__sb_camara_id_key(smv__sb_service *svc) {
  smv__sb_camara *c = &svc->camara;
  if (c->id_key) return c->id_key;
  mbedtls_pk_context *pk = malloc(sizeof(*pk));
  if (!pk) return NULL;
  mbedtls_pk_init(pk);
  if (smv__sb_jws_keygen_es256(pk, fx_rng, &svc->fx)) {
    smv__sb_jws_key_free(pk);
    free(pk);
    return NULL;
  }
  return c->id_key = pk;
}

/* ---- the store ---- */

static smv__sb_token *store_find(smv__sb_service *svc, const char *id, int kind) {
  smv__sb_token *t = smv__sb_tokens_find(&svc->camara.store, id);
  return t && t->kind == kind ? t : NULL;
}

static void store_remove(smv__sb_service *svc, smv__sb_token *t) {
  if (t->kind == K_JTI) svc->camara.jti_count--;
  smv__sb_tokens_remove(&svc->camara.store, t);
}

/* A new entry under a fresh random id (written to id), holding ext (taken over, freed with the
 * entry or here on failure). NULL when the store is full or out of memory. */
static smv__sb_token *store_add(smv__sb_service *svc, int kind, void *ext, uint64_t expires_ms,
                                char id[SMV__SB_CAMARA_ID_LEN + 1]) {
  smv__sb_tokens *st = &svc->camara.store;
  if (!ext || st->count >= svc->cfg->max_pending) {
    free(ext);
    return NULL;
  }
  smv__sb_random_id(&svc->fx, 32, id, SMV__SB_CAMARA_ID_LEN + 1);
  smv__sb_token *t = smv__sb_tokens_insert(st, id);
  if (!t) {
    free(ext);
    return NULL;
  }
  t->kind = (unsigned char)kind;
  t->ext = ext;
  t->expires_ms = expires_ms;
  return t;
}

size_t smv__sb_camara_sweep(smv__sb_service *svc, uint64_t now_ms) {
  smv__sb_tokens *st = &svc->camara.store;
  size_t n = 0;
  for (size_t i = 0; i < st->cap; i++) {
    smv__sb_token *t = &st->slots[i];
    if (t->state >= SMV__SB_TOK_PENDING && t->expires_ms <= now_ms) {
      store_remove(svc, t);
      n++;
    }
  }
  return n;
}

/* ---- answers ---- */

static void json_answer(smv__sb_response *res, int status, cJSON *o) {
  res->status = status;
  if (!o || !cJSON_PrintPreallocated(o, res->body, (int)sizeof(res->body), 0)) {
    res->status = 500;
    smv__sb_body(res, "{\"error\":\"server_error\"}");
  } else {
    res->body_len = strlen(res->body);
  }
  cJSON_Delete(o);
}

/* CAMARA's error object (ErrorInfo): {"status","code","message"}. */
static void camara_error(smv__sb_response *res, int status, const char *code, const char *message) {
  char m[400];
  smv__sb_json_escape(m, sizeof(m), message);
  res->status = status;
  res->camara_code = code;
  smv__sb_body(res, "{\"status\":%d,\"code\":\"%s\",\"message\":\"%s\"}", status, code, m);
}

/* An OAuth error from the token endpoint (RFC 6749 5.2). */
static void oauth_error(smv__sb_response *res, int status, const char *error, const char *desc) {
  char d[400];
  smv__sb_json_escape(d, sizeof(d), desc);
  res->status = status;
  res->oauth_error = error;
  res->no_cache = 1;
  smv__sb_body(res, "{\"error\":\"%s\",\"error_description\":\"%s\"}", error, d);
}

static void html_escape(char *dst, size_t cap, const char *s) {
  size_t o = 0;
  for (; *s && o + 7 < cap; s++) {
    const char *e = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;" : *s == '"' ? "&quot;" : NULL;
    if (e) {
      memcpy(dst + o, e, strlen(e));
      o += strlen(e);
    } else {
      dst[o++] = *s;
    }
  }
  dst[o] = 0;
}

/* The authorization endpoint's own page: an error it may not redirect (RFC 6749 4.1.2.1 says to
 * inform the user), or the consent page of the camara_consent_page fault. HTML, because a person
 * reads it in a browser; the device client never submits anything. */
static void page(smv__sb_response *res, int status, const char *title, const char *error,
                 const char *text) {
  char t[256], x[512];
  html_escape(t, sizeof(t), title);
  html_escape(x, sizeof(x), text);
  res->status = status;
  res->oauth_error = error;
  res->content_type = "text/html; charset=utf-8";
  smv__sb_body(res,
               "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n"
               "<body><h1>%s</h1>\n<p id=\"error\">%s</p>\n<p id=\"error_description\">%s</p>\n"
               "</body></html>\n",
               t, t, error ? error : "", x);
}

/* 302 to the redirect_uri with params ("k", "v", ...; NULL values skipped) added to its query. */
static void redirect_params(smv__sb_response *res, const char *uri, const char *const *kv, size_t n) {
  size_t o = (size_t)snprintf(res->location, sizeof(res->location), "%s", uri);
  int first = strchr(uri, '?') == NULL;
  for (size_t i = 0; i + 1 < n; i += 2) {
    if (!kv[i + 1]) continue;
    char enc[SMV__SB_STATE_MAX * 3 + 1];
    if (smv__sb_pct_encode(kv[i + 1], enc, sizeof(enc)) < 0) continue;
    int w = snprintf(res->location + o, sizeof(res->location) - o, "%c%s=%s", first ? '?' : '&',
                     kv[i], enc);
    if (w < 0 || (size_t)w >= sizeof(res->location) - o) break; /* bounded inputs never get here */
    o += (size_t)w;
    first = 0;
  }
  res->status = 302;
  res->body_len = 0;
}

static void redirect_error(smv__sb_response *res, const char *uri, const char *error,
                           const char *desc, const char *state) {
  const char *kv[] = {"error", error, "error_description", desc, "state", state};
  redirect_params(res, uri, kv, 6);
  res->oauth_error = error;
}

/* ---- the request's fields ---- */

/* One parameter: 0 absent, 1 present (decoded into out), -1 repeated or undecodable (RFC 6749 3.1:
 * parameters must not repeat). */
static int param(const char *form, size_t len, const char *key, char *out, size_t cap) {
  int n = smv__sb_form_get(form, len, key, out, cap);
  if (n == 0) out[0] = 0;
  return n < 0 || n > 1 ? -1 : n;
}

/* VSCHAR (RFC 6749 A.5): printable ASCII and space. */
static int vschar(const char *s) {
  for (; *s; s++)
    if (*s < 0x20 || *s > 0x7e) return 0;
  return 1;
}

static int b64url_only(const char *s) {
  size_t n = strlen(s);
  return n && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* E.164 with its '+' (the OpenAPI's phone number pattern ^\+[1-9][0-9]{4,14}$). */
static int e164(const char *s) {
  size_t n = strlen(s);
  return n >= 6 && n <= 16 && s[0] == '+' && s[1] >= '1' && s[1] <= '9' &&
         strspn(s + 1, "0123456789") == n - 1;
}

/* ---- discovery and keys ---- */

static void endpoint(const smv__sb_service *svc, char *out, size_t cap, const char *path) {
  snprintf(out, cap, "%s%s", svc->api_base, path);
}

static void handle_discovery(smv__sb_service *svc, smv__sb_response *res) {
  char u[400];
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "issuer", svc->api_base);
  endpoint(svc, u, sizeof(u), SMV__SB_OIDC_AUTHORIZE);
  cJSON_AddStringToObject(o, "authorization_endpoint", u);
  endpoint(svc, u, sizeof(u), SMV__SB_OIDC_TOKEN);
  cJSON_AddStringToObject(o, "token_endpoint", u);
  endpoint(svc, u, sizeof(u), SMV__SB_OIDC_JWKS);
  cJSON_AddStringToObject(o, "jwks_uri", u);
  static const char *const rt[] = {"code"}, *const rm[] = {"query"},
                           *const gt[] = {"authorization_code"}, *const st[] = {"public"},
                           *const alg[] = {"ES256"}, *const pkce[] = {"S256"},
                           *const sc[] = {"openid", "number-verification:verify",
                                          "number-verification:device-phone-number:read"},
                           *const am[] = {"private_key_jwt", "client_secret_basic",
                                          "client_secret_post"},
                           *const amalg[] = {"ES256", "RS256"},
                           *const pr[] = {"none", "login", "consent", "select_account"},
                           *const cl[] = {"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce"};
  cJSON_AddItemToObject(o, "response_types_supported", cJSON_CreateStringArray(rt, 1));
  cJSON_AddItemToObject(o, "response_modes_supported", cJSON_CreateStringArray(rm, 1));
  cJSON_AddItemToObject(o, "grant_types_supported", cJSON_CreateStringArray(gt, 1));
  cJSON_AddItemToObject(o, "subject_types_supported", cJSON_CreateStringArray(st, 1));
  cJSON_AddItemToObject(o, "id_token_signing_alg_values_supported", cJSON_CreateStringArray(alg, 1));
  cJSON_AddItemToObject(o, "scopes_supported", cJSON_CreateStringArray(sc, 3));
  cJSON_AddItemToObject(o, "token_endpoint_auth_methods_supported", cJSON_CreateStringArray(am, 3));
  cJSON_AddItemToObject(o, "token_endpoint_auth_signing_alg_values_supported",
                        cJSON_CreateStringArray(amalg, 2));
  cJSON_AddItemToObject(o, "code_challenge_methods_supported", cJSON_CreateStringArray(pkce, 1));
  cJSON_AddItemToObject(o, "prompt_values_supported", cJSON_CreateStringArray(pr, 4));
  cJSON_AddItemToObject(o, "claims_supported", cJSON_CreateStringArray(cl, 7));
  json_answer(res, 200, o);
}

static void handle_jwks(smv__sb_service *svc, smv__sb_response *res) {
  mbedtls_pk_context *pk = smv__sb_camara_id_key(svc);
  char jwk[512];
  if (!pk || !smv__sb_jwk_public(pk, svc->camara.kid, jwk, sizeof(jwk))) {
    camara_error(res, 500, "INTERNAL", "The signing key could not be made");
    return;
  }
  res->status = 200;
  smv__sb_body(res, "{\"keys\":[%s]}", jwk);
}

/* ---- the authorization endpoint ---- */

typedef struct authz {
  size_t client;
  const char *redirect_uri;         /* the client's registered string */
  unsigned scopes;
  char state[SMV__SB_STATE_MAX + 1], nonce[SMV__SB_STATE_MAX + 1];
  char challenge[SMV__SB_CAMARA_ID_LEN + 1];
} authz;

/* An authorization code for a, identified as msisdn: 302 to the redirect_uri. */
static void issue_code(smv__sb_service *svc, const authz *a, const char *msisdn, uint64_t now_ms,
                       smv__sb_response *res) {
  size_t ul = strlen(a->redirect_uri) + 1, nl = strlen(a->nonce) + 1;
  grant *g = calloc(1, sizeof(*g) + ul + nl);
  if (g) {
    g->client = a->client;
    g->scopes = a->scopes;
    snprintf(g->msisdn, sizeof(g->msisdn), "%s", msisdn);
    memcpy(g->challenge, a->challenge, sizeof(g->challenge));
    g->auth_time_s = now_ms / 1000;
    g->redirect_uri = g->data;
    memcpy(g->redirect_uri, a->redirect_uri, ul);
    g->nonce = g->data + ul;
    memcpy(g->nonce, a->nonce, nl);
  }
  char code[SMV__SB_CAMARA_ID_LEN + 1];
  if (!store_add(svc, K_CODE, g, now_ms + svc->cfg->camara_code_ttl_ms, code)) {
    redirect_error(res, a->redirect_uri, "temporarily_unavailable",
                   "The authorization server is at capacity", a->state[0] ? a->state : NULL);
    return;
  }
  svc->camara.n.codes++;
  const char *kv[] = {"code", code, "state", a->state[0] ? a->state : NULL};
  redirect_params(res, a->redirect_uri, kv, 4);
  logf_(svc, "authorize: subscriber %s recognised by the network; code issued to %s", msisdn,
        svc->cfg->clients[a->client].client_id);
}

/* The subscriber behind this connection, as the network sees it: an IP/port operator's records
 * name it (returns 1, msisdn written); or a header-enrichment operator must be asked (returns 2,
 * *op set); or nobody knows it (0; *down set when an operator that could have known was down). */
static int identify(smv__sb_service *svc, const smv__sb_request *req, long hint_op, char msisdn[16],
                    size_t *op, int *down) {
  const smv__sb_config *cfg = svc->cfg;
  smv__sb_addr peer = {0};
  smv__sb_addr_parse(&peer, req->peer_ip);
  *down = 0;
  long only = cfg->camara_operator >= 0 ? cfg->camara_operator : hint_op;
  for (size_t i = 0; i < cfg->operator_count; i++) {
    if (only >= 0 && (size_t)only != i) continue;
    const smv__sb_operator *o = &cfg->operators[i];
    if (o->profile != SMV__SB_PROFILE_IP_PORT) continue;
    long sub = smv__sb_lookup_by_addr(cfg, i, &peer, req->peer_port);
    if (sub < 0) continue;
    if (o->down) {
      *down = 1;
      continue;
    }
    snprintf(msisdn, 16, "%s", cfg->subscribers[sub].msisdn);
    return 1;
  }
  for (size_t i = 0; i < cfg->operator_count; i++) {
    if (only >= 0 && (size_t)only != i) continue;
    const smv__sb_operator *o = &cfg->operators[i];
    if (o->profile != SMV__SB_PROFILE_HEADER_ENRICHMENT || !smv__sb_in_operator_ranges(cfg, i, &peer))
      continue;
    if (o->down) {
      *down = 1;
      continue;
    }
    *op = i;
    return 2;
  }
  return 0;
}

/* Reads and checks an authorization request. Returns 0 with a filled; otherwise the answer is
 * written (a page, or a redirect with the error) and -1 returned. */
static int read_authz(smv__sb_service *svc, const char *form, size_t len, authz *a, char *prompt,
                      size_t pcap, char *hint, size_t hcap, smv__sb_response *res) {
  const smv__sb_config *cfg = svc->cfg;
  char client_id[160], ruri[SMV__SB_URL_MAX + 1];
  memset(a, 0, sizeof(*a));
  int c = param(form, len, "client_id", client_id, sizeof(client_id));
  if (c <= 0) {
    page(res, 400, "Authorization request refused", "invalid_request",
         c < 0 ? "client_id is repeated or malformed" : "client_id is missing");
    return -1;
  }
  long ci = smv__sb_config_find_client(cfg, client_id);
  if (ci < 0) {
    page(res, 400, "Authorization request refused", "invalid_client", "Unknown client_id");
    return -1;
  }
  a->client = (size_t)ci;
  const smv__sb_client *cl = &cfg->clients[ci];
  int r = param(form, len, "redirect_uri", ruri, sizeof(ruri));
  if (r <= 0) {
    page(res, 400, "Authorization request refused", "invalid_request",
         r < 0 ? "redirect_uri is repeated, malformed or too long" : "redirect_uri is missing");
    return -1;
  }
  /* exact string comparison with the registered ones (RFC 9700 4.1.3) */
  for (size_t i = 0; i < cl->redirect_count; i++)
    if (strcmp(cl->redirect_uris[i], ruri) == 0) a->redirect_uri = cl->redirect_uris[i];
  if (!a->redirect_uri) {
    page(res, 400, "Authorization request refused", "invalid_request",
         "redirect_uri is not registered for this client");
    return -1;
  }
  /* From here on errors go back to the client's redirect_uri. The state first, so that they carry
   * it when it is usable. */
  const char *uri = a->redirect_uri;
  int s = param(form, len, "state", a->state, sizeof(a->state));
  if (s < 0 || (s && !vschar(a->state))) {
    a->state[0] = 0;
    redirect_error(res, uri, "invalid_request", "state is repeated, malformed or longer than 512 bytes", NULL);
    return -1;
  }
  const char *st = a->state[0] ? a->state : NULL;
  char rt[32], scope[256], method[16];
  int rtn = param(form, len, "response_type", rt, sizeof(rt));
  if (rtn <= 0) {
    redirect_error(res, uri, "invalid_request", "response_type is missing or repeated", st);
    return -1;
  }
  if (strcmp(rt, "code") != 0) {
    redirect_error(res, uri, "unsupported_response_type", "Only response_type=code is supported", st);
    return -1;
  }
  int sc = param(form, len, "scope", scope, sizeof(scope));
  if (sc <= 0) {
    redirect_error(res, uri, sc < 0 ? "invalid_scope" : "invalid_request",
                   sc < 0 ? "scope is repeated or too long" : "scope is missing", st);
    return -1;
  }
  if (smv__sb_scope_parse(scope, &a->scopes) || (a->scopes & ~cl->scopes)) {
    redirect_error(res, uri, "invalid_scope",
                   "Unknown scope, or one that this client may not ask for", st);
    return -1;
  }
  if (!s) {
    redirect_error(res, uri, "invalid_request", "state is missing", NULL);
    return -1;
  }
  int ch = param(form, len, "code_challenge", a->challenge, sizeof(a->challenge));
  int me = param(form, len, "code_challenge_method", method, sizeof(method));
  if (ch < 0 || me < 0 || (ch && (strlen(a->challenge) != SMV__SB_CAMARA_ID_LEN || !b64url_only(a->challenge)))) {
    redirect_error(res, uri, "invalid_request",
                   "code_challenge must be 43 base64url characters (S256), given once", st);
    return -1;
  }
  /* Without a method the challenge would be "plain" (RFC 7636 4.3), which is not offered. */
  if ((ch || me) && (!ch || !me || strcmp(method, "S256") != 0)) {
    redirect_error(res, uri, "invalid_request",
                   "code_challenge_method must be S256, with a code_challenge", st);
    return -1;
  }
  if (!ch && cl->require_pkce) {
    redirect_error(res, uri, "invalid_request", "This client must use PKCE (code_challenge)", st);
    return -1;
  }
  int pn = param(form, len, "prompt", prompt, pcap);
  unsigned seen = 0;
  for (const char *p = prompt; pn > 0 && *p;) {
    static const char *const names[] = {"none", "login", "consent", "select_account"};
    size_t n = strcspn(p, " ");
    unsigned bit = 0;
    for (unsigned i = 0; i < 4; i++)
      if (strlen(names[i]) == n && memcmp(p, names[i], n) == 0) bit = 1u << i;
    if (!bit || (seen & bit)) pn = -1;
    seen |= bit;
    p += n + (p[n] == ' ');
  }
  /* "none" with any other value is an error (OpenID Connect Core 3.1.2.1) */
  if (pn < 0 || ((seen & 1u) && seen != 1u)) {
    redirect_error(res, uri, "invalid_request",
                   "prompt must be none, or a list of login, consent and select_account", st);
    return -1;
  }
  int nn = param(form, len, "nonce", a->nonce, sizeof(a->nonce));
  if (nn < 0 || !vschar(a->nonce)) {
    a->nonce[0] = 0;
    redirect_error(res, uri, "invalid_request", "nonce is repeated, malformed or too long", st);
    return -1;
  }
  if (param(form, len, "login_hint", hint, hcap) < 0) {
    redirect_error(res, uri, "invalid_request", "login_hint is repeated or malformed", st);
    return -1;
  }
  return 0;
}

static void handle_authorize(smv__sb_service *svc, const smv__sb_request *req, const char *query,
                             uint64_t now_ms, smv__sb_response *res) {
  const smv__sb_config *cfg = svc->cfg;
  svc->camara.n.authorize++;
  const char *form = query;
  size_t len = strlen(query);
  if (strcmp(req->method, "POST") == 0) {
    /* OpenID Connect Core 3.1.2.1: GET and POST, the latter form-encoded */
    if (!smv__sb_media_is(req->content_type, "application/x-www-form-urlencoded") ||
        req->body_len > cfg->max_body_bytes) {
      page(res, 400, "Authorization request refused", "invalid_request",
           "A POST must carry a form (application/x-www-form-urlencoded) within the size limit");
      return;
    }
    form = req->body;
    len = req->body_len;
  } else if (strcmp(req->method, "GET") != 0) {
    res->allow = "GET, POST";
    page(res, 405, "Method not allowed", "invalid_request", "Use GET or POST");
    return;
  }
  authz a;
  char prompt[64], hint[256];
  if (read_authz(svc, form, len, &a, prompt, sizeof(prompt), hint, sizeof(hint), res)) {
    logf_(svc, "authorize refused: %s", res->oauth_error ? res->oauth_error : "?");
    return;
  }
  const char *st = a.state;
  int none = strcmp(prompt, "none") == 0;
  if (cfg->camara_consent_page) {
    if (none) { /* no page may be shown (OpenID Connect Core 3.1.2.6) */
      redirect_error(res, a.redirect_uri, "consent_required",
                     "The user's consent is required and prompt=none forbids asking", st);
      return;
    }
    page(res, 200, "Consent required", NULL,
         "The operator asks the subscriber to agree to share their phone number with this "
         "application. (Sandbox fault camara_consent_page: this page is never completed.)");
    logf_(svc, "authorize for %s: consent page (fault camara_consent_page)",
          cfg->clients[a.client].client_id);
    return;
  }
  /* login_hint: "tel:+E164" or "+E164" picks the subscriber's operator; the connection still
   * decides who the subscriber is. Other forms are ignored (a hint, OpenID Connect Core 3.1.2.1). */
  long hint_op = -1;
  const char *h = strncmp(hint, "tel:", 4) == 0 ? hint + 4 : hint;
  if (hint[0] && e164(h)) {
    long sub = smv__sb_config_find_subscriber(cfg, h + 1);
    if (sub >= 0) hint_op = (long)cfg->subscribers[sub].op;
  }
  char msisdn[16] = "";
  size_t op = 0;
  int down = 0;
  int who = identify(svc, req, hint_op, msisdn, &op, &down);
  if (who == 1) {
    issue_code(svc, &a, msisdn, now_ms, res);
    return;
  }
  if (who == 0) {
    logf_(svc, "authorize: %s port %u is no subscriber of a reachable operator", req->peer_ip,
          req->peer_port);
    redirect_error(res, a.redirect_uri, down ? "temporarily_unavailable" : "access_denied",
                   down ? "The operator does not answer"
                        : "The mobile network did not recognise this connection as a subscriber's",
                   st);
    return;
  }
  /* The operator's enrichment proxy names the subscriber: send the device through it. */
  size_t ul = strlen(a.redirect_uri) + 1, sl = strlen(a.state) + 1, nl = strlen(a.nonce) + 1;
  grant *g = calloc(1, sizeof(*g) + ul + sl + nl);
  if (g) {
    g->client = a.client;
    g->scopes = a.scopes;
    g->op = op;
    memcpy(g->challenge, a.challenge, sizeof(g->challenge));
    g->redirect_uri = g->data;
    memcpy(g->redirect_uri, a.redirect_uri, ul);
    g->state = g->data + ul;
    memcpy(g->state, a.state, sl);
    g->nonce = g->state + sl;
    memcpy(g->nonce, a.nonce, nl);
  }
  char id[SMV__SB_CAMARA_ID_LEN + 1];
  if (!store_add(svc, K_PENDING, g, now_ms + PENDING_TTL_MS, id)) {
    redirect_error(res, a.redirect_uri, "temporarily_unavailable",
                   "The authorization server is at capacity", st);
    return;
  }
  res->status = 302;
  snprintf(res->location, sizeof(res->location), "%s" SMV__SB_HE_PREFIX "%s/oidc/%s",
           svc->operator_base, cfg->operators[op].name, id);
  logf_(svc, "authorize: sending the device through %s's header enrichment", cfg->operators[op].name);
}

/* GET /oauth2/authorize/he/<id>?msisdn=&ts=&sig=: the operator's answer for a waiting one. */
static void handle_authorize_he(smv__sb_service *svc, const smv__sb_request *req, const char *id,
                                size_t idlen, const char *query, uint64_t now_ms,
                                smv__sb_response *res) {
  char key[SMV__SB_CAMARA_ID_LEN + 1];
  smv__sb_token *t = NULL;
  if (strcmp(req->method, "GET") != 0) {
    res->allow = "GET";
    page(res, 405, "Method not allowed", "invalid_request", "Use GET");
    return;
  }
  if (smv__sb_camara_id_ok(id, idlen)) {
    memcpy(key, id, idlen);
    key[idlen] = 0;
    t = store_find(svc, key, K_PENDING);
  }
  if (t && t->expires_ms <= now_ms) {
    store_remove(svc, t);
    t = NULL;
  }
  if (!t) {
    page(res, 400, "Authorization request refused", "invalid_request",
         "This authorization is unknown, finished or expired");
    return;
  }
  grant *g = t->ext;
  authz a;
  memset(&a, 0, sizeof(a));
  a.client = g->client;
  a.scopes = g->scopes;
  const smv__sb_client *cl = &svc->cfg->clients[g->client];
  for (size_t i = 0; i < cl->redirect_count; i++)
    if (strcmp(cl->redirect_uris[i], g->redirect_uri) == 0) a.redirect_uri = cl->redirect_uris[i];
  snprintf(a.state, sizeof(a.state), "%s", g->state);
  snprintf(a.nonce, sizeof(a.nonce), "%s", g->nonce);
  memcpy(a.challenge, g->challenge, sizeof(a.challenge));
  char signed_id[SMV__SB_CAMARA_ID_LEN + 8], msisdn[16];
  snprintf(signed_id, sizeof(signed_id), "oidc/%s", key);
  int bad = smv__sb_assert_check(&svc->cfg->operators[g->op], signed_id, query, now_ms, msisdn);
  store_remove(svc, t); /* single use, whatever the answer */
  const char *st = a.state[0] ? a.state : NULL;
  if (bad) {
    logf_(svc, "authorize: the operator's assertion was refused");
    redirect_error(res, a.redirect_uri, "access_denied", "The operator's answer did not verify", st);
    return;
  }
  if (!msisdn[0]) {
    logf_(svc, "authorize: the operator did not recognise %s", req->peer_ip);
    redirect_error(res, a.redirect_uri, "access_denied",
                   "The mobile network did not recognise this connection as a subscriber's", st);
    return;
  }
  issue_code(svc, &a, msisdn, now_ms, res);
}

/* ---- the token endpoint ---- */

/* Pseudonymous subject: the same for one subscriber at every client ("public", OpenID Connect
 * Core 8), and not the phone number. */
static void subject(const smv__sb_service *svc, const char *msisdn, char out[33]) {
  unsigned char m[32];
  static const char hex[] = "0123456789abcdef";
  mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), svc->camara.sub_key,
                  sizeof(svc->camara.sub_key), (const unsigned char *)msisdn, strlen(msisdn), m);
  for (int i = 0; i < 16; i++) {
    out[2 * i] = hex[m[i] >> 4];
    out[2 * i + 1] = hex[m[i] & 15];
  }
  out[32] = 0;
}

/* The numeric claim key, or -1 when absent (-2 when not a number). */
static double num_claim(const cJSON *c, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(c, key);
  if (!it) return -1;
  return cJSON_IsNumber(it) ? it->valuedouble : -2;
}

static int aud_ok(const smv__sb_service *svc, const cJSON *aud) {
  char tok[400];
  endpoint(svc, tok, sizeof(tok), SMV__SB_OIDC_TOKEN);
  if (cJSON_IsString(aud)) return !strcmp(aud->valuestring, tok) || !strcmp(aud->valuestring, svc->api_base);
  if (!cJSON_IsArray(aud)) return 0;
  for (const cJSON *it = aud->child; it; it = it->next)
    if (cJSON_IsString(it) && (!strcmp(it->valuestring, tok) || !strcmp(it->valuestring, svc->api_base)))
      return 1;
  return 0;
}

/* private_key_jwt (RFC 7523 3, OpenID Connect Core 9). Returns the client index, or -1 with
 * *why set. */
static long assertion_client(smv__sb_service *svc, const char *jwt, const char *body_client,
                             uint64_t now_ms, const char **why, int *busy) {
  const smv__sb_config *cfg = svc->cfg;
  size_t len = strlen(jwt);
  cJSON *peek = NULL;
  if (smv__sb_jws_peek(jwt, len, &peek)) {
    *why = "client_assertion is not a JWT";
    return -1;
  }
  const cJSON *iss = cJSON_GetObjectItemCaseSensitive(peek, "iss");
  long ci = cJSON_IsString(iss) ? smv__sb_config_find_client(cfg, iss->valuestring) : -1;
  cJSON_Delete(peek);
  if (ci < 0 || (body_client[0] && strcmp(body_client, cfg->clients[ci].client_id) != 0)) {
    *why = "The assertion's issuer is not a registered client (or not the client_id given)";
    return -1;
  }
  const smv__sb_client *cl = &cfg->clients[ci];
  if (!cl->public_key) {
    *why = "This client has no registered public key";
    return -1;
  }
  cJSON *c = NULL;
  int rc = smv__sb_jws_verify(jwt, len, cl->public_key, &c);
  if (rc) {
    *why = smv__sb_jws_strerror(rc);
    return -1;
  }
  const cJSON *sub = cJSON_GetObjectItemCaseSensitive(c, "sub");
  const cJSON *jti = cJSON_GetObjectItemCaseSensitive(c, "jti");
  double now = (double)(now_ms / 1000), skew = cfg->camara_skew_s;
  double exp = num_claim(c, "exp"), iat = num_claim(c, "iat"), nbf = num_claim(c, "nbf");
  *why = NULL;
  if (!cJSON_IsString(sub) || strcmp(sub->valuestring, cl->client_id) != 0)
    *why = "The assertion's sub must be the client_id";
  else if (!aud_ok(svc, cJSON_GetObjectItemCaseSensitive(c, "aud")))
    *why = "The assertion's aud must name the token endpoint or the issuer";
  else if (exp < 0)
    *why = "The assertion has no exp";
  else if (exp + skew <= now)
    *why = "The assertion has expired";
  else if (exp > now + cfg->camara_assertion_max_s + skew)
    *why = "The assertion's exp is too far ahead";
  else if (iat == -2 || (iat >= 0 && iat > now + skew) || nbf == -2 || (nbf >= 0 && nbf > now + skew))
    *why = "The assertion's iat or nbf is in the future";
  else if (!cJSON_IsString(jti) || !jti->valuestring[0] || strlen(jti->valuestring) > 256)
    *why = "The assertion needs a jti of 1 to 256 characters";
  if (*why) {
    cJSON_Delete(c);
    return -1;
  }
  /* One use per jti and client, remembered until the assertion could no longer be accepted. */
  char text[400], key[SMV__SB_CAMARA_ID_LEN + 1];
  unsigned char h[32];
  int tn = snprintf(text, sizeof(text), "%s\n%s", cl->client_id, jti->valuestring);
  cJSON_Delete(c);
  mbedtls_sha256((const unsigned char *)text, (size_t)tn, h, 0);
  smv__sb_b64url_encode(h, 32, key, sizeof(key));
  smv__sb_token *seen = smv__sb_tokens_find(&svc->camara.store, key);
  if (seen && seen->kind == K_JTI) {
    *why = "This assertion (its jti) was used already";
    return -1;
  }
  smv__sb_tokens *st = &svc->camara.store;
  smv__sb_token *t = NULL;
  if (svc->camara.jti_count < cfg->camara_max_jti && st->count < cfg->max_pending && !seen)
    t = smv__sb_tokens_insert(st, key);
  if (!t) {
    *busy = 1;
    *why = "Too many client assertions to remember; retry later";
    return -1;
  }
  t->kind = K_JTI;
  t->expires_ms = (uint64_t)(exp + skew) * 1000u;
  svc->camara.jti_count++;
  return ci;
}

/* client_secret_basic: the Authorization header; RFC 6749 2.3.1 form-encodes id and secret. */
static long basic_client(const smv__sb_config *cfg, const char *header, char *id, size_t idcap) {
  unsigned char dec[400];
  size_t n = 0;
  const char *b = header + 6;
  while (*b == ' ') b++;
  if (mbedtls_base64_decode(dec, sizeof(dec) - 1, &n, (const unsigned char *)b, strlen(b))) return -1;
  dec[n] = 0;
  char *colon = memchr(dec, ':', n);
  if (!colon) return -1;
  char secret[200];
  /* the two halves are form-encoded values: decode each as the value of a one-field form */
  char tmp[420];
  snprintf(tmp, sizeof(tmp), "i=%.*s", (int)(colon - (char *)dec), (const char *)dec);
  if (smv__sb_form_get(tmp, strlen(tmp), "i", id, idcap) != 1) return -1;
  snprintf(tmp, sizeof(tmp), "s=%s", colon + 1);
  if (smv__sb_form_get(tmp, strlen(tmp), "s", secret, sizeof(secret)) != 1) return -1;
  long ci = smv__sb_config_find_client(cfg, id);
  if (ci < 0 || !cfg->clients[ci].client_secret[0] ||
      !smv__sb_ct_equal(secret, cfg->clients[ci].client_secret))
    return -1;
  return ci;
}

static void issue_token(smv__sb_service *svc, size_t client, const grant *g, uint64_t now_ms,
                        char *access_out, smv__sb_response *res) {
  const smv__sb_config *cfg = svc->cfg;
  access_rec *ar = calloc(1, sizeof(*ar));
  uint64_t exp_ms = now_ms + (uint64_t)cfg->camara_token_ttl_s * 1000u;
  if (ar) {
    snprintf(ar->msisdn, sizeof(ar->msisdn), "%s", g->msisdn);
    ar->scopes = g->scopes;
    ar->network = 1;
    ar->client = client;
    ar->exp_ms = exp_ms;
  }
  char at[SMV__SB_CAMARA_ID_LEN + 1];
  if (!store_add(svc, K_ACCESS, ar, exp_ms + EXPIRED_KEPT_MS, at)) {
    oauth_error(res, 503, "temporarily_unavailable", "The authorization server is at capacity");
    return;
  }
  memcpy(access_out, at, sizeof(at));
  char scope[128];
  smv__sb_scope_format(g->scopes, scope, sizeof(scope));
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "access_token", at);
  cJSON_AddStringToObject(o, "token_type", "Bearer");
  cJSON_AddNumberToObject(o, "expires_in", cfg->camara_token_ttl_s);
  cJSON_AddStringToObject(o, "scope", scope);
  if (g->scopes & SMV__SB_SCOPE_OPENID) {
    /* OpenID Connect Core 3.1.3.3: an ID token when openid was asked for */
    mbedtls_pk_context *pk = smv__sb_camara_id_key(svc);
    char sub[33], claims[1024], jws[2048];
    subject(svc, g->msisdn, sub);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "iss", svc->api_base);
    cJSON_AddStringToObject(c, "sub", sub);
    cJSON_AddStringToObject(c, "aud", cfg->clients[client].client_id);
    cJSON_AddNumberToObject(c, "exp", (double)(exp_ms / 1000));
    cJSON_AddNumberToObject(c, "iat", (double)(now_ms / 1000));
    cJSON_AddNumberToObject(c, "auth_time", (double)g->auth_time_s);
    if (g->nonce && g->nonce[0]) cJSON_AddStringToObject(c, "nonce", g->nonce);
    size_t jl = 0;
    int ok = pk && cJSON_PrintPreallocated(c, claims, (int)sizeof(claims), 0) &&
             smv__sb_jws_sign(pk, svc->camara.kid, claims, fx_rng, &svc->fx, jws, sizeof(jws), &jl) == 0;
    cJSON_Delete(c);
    if (!ok) {
      cJSON_Delete(o);
      oauth_error(res, 500, "server_error", "The ID token could not be signed");
      return;
    }
    jws[jl] = 0;
    cJSON_AddStringToObject(o, "id_token", jws);
  }
  res->no_cache = 1;
  json_answer(res, 200, o);
  svc->camara.n.tokens++;
}

/* RFC 7636 4.6: BASE64URL(SHA256(code_verifier)) == code_challenge. */
static int pkce_ok(const char *verifier, const char *challenge) {
  unsigned char h[32];
  char enc[48];
  if (mbedtls_sha256((const unsigned char *)verifier, strlen(verifier), h, 0)) return 0;
  smv__sb_b64url_encode(h, 32, enc, sizeof(enc));
  return smv__sb_ct_equal(enc, challenge);
}

static void handle_token(smv__sb_service *svc, const smv__sb_request *req, uint64_t now_ms,
                         smv__sb_response *res) {
  const smv__sb_config *cfg = svc->cfg;
  if (strcmp(req->method, "POST") != 0) {
    res->allow = "POST";
    oauth_error(res, 405, "invalid_request", "The token endpoint takes POST");
    return;
  }
  if (!smv__sb_media_is(req->content_type, "application/x-www-form-urlencoded")) {
    oauth_error(res, 400, "invalid_request", "The body must be application/x-www-form-urlencoded");
    return;
  }
  if (req->body_len > cfg->max_body_bytes) {
    oauth_error(res, 400, "invalid_request", "The body is too large");
    return;
  }
  const char *f = req->body;
  size_t fl = req->body_len;
  static char assertion[SMV__SB_JWS_MAX + 1]; /* one thread; too big for a handler's stack */
  char grant_type[64], code[64], ruri[SMV__SB_URL_MAX + 1], verifier[160], client_id[160],
      secret[200], atype[96];
  int n_gt = param(f, fl, "grant_type", grant_type, sizeof(grant_type));
  int n_code = param(f, fl, "code", code, sizeof(code));
  int n_ru = param(f, fl, "redirect_uri", ruri, sizeof(ruri));
  int n_cv = param(f, fl, "code_verifier", verifier, sizeof(verifier));
  int n_ci = param(f, fl, "client_id", client_id, sizeof(client_id));
  int n_cs = param(f, fl, "client_secret", secret, sizeof(secret));
  int n_at = param(f, fl, "client_assertion_type", atype, sizeof(atype));
  int n_ca = param(f, fl, "client_assertion", assertion, sizeof(assertion));
  if (n_gt < 0 || n_code < 0 || n_ru < 0 || n_cv < 0 || n_ci < 0 || n_cs < 0 || n_at < 0 || n_ca < 0) {
    oauth_error(res, 400, "invalid_request", "A parameter is repeated, malformed or too long");
    return;
  }

  /* 1. the client (RFC 6749 2.3: one method per request) */
  int basic = req->authorization && strncasecmp(req->authorization, "Basic ", 6) == 0;
  int methods = basic + (n_cs > 0) + (n_at > 0 || n_ca > 0);
  if (req->authorization && !basic) {
    res->www_authenticate = SMV__SB_BASIC_CHALLENGE;
    oauth_error(res, 401, "invalid_client", "Only Basic client authentication goes in the header");
    return;
  }
  if (methods > 1) {
    oauth_error(res, 400, "invalid_request", "More than one client authentication method");
    return;
  }
  long ci = -1;
  const char *why = "Client authentication failed";
  int busy = 0;
  if (basic) {
    char id[160];
    ci = basic_client(cfg, req->authorization, id, sizeof(id));
    if (ci >= 0 && n_ci && strcmp(client_id, id) != 0) {
      oauth_error(res, 400, "invalid_request", "client_id differs from the authenticated client");
      return;
    }
    if (ci < 0) res->www_authenticate = SMV__SB_BASIC_CHALLENGE; /* RFC 6749 5.2 */
  } else if (n_cs) {
    ci = n_ci ? smv__sb_config_find_client(cfg, client_id) : -1;
    if (ci >= 0 && (!cfg->clients[ci].client_secret[0] ||
                    !smv__sb_ct_equal(secret, cfg->clients[ci].client_secret)))
      ci = -1;
  } else if (n_at || n_ca) {
    if (n_at <= 0 || strcmp(atype, SMV__SB_JWT_BEARER) != 0 || n_ca <= 0)
      why = "client_assertion_type must be " SMV__SB_JWT_BEARER ", with a client_assertion";
    else
      ci = assertion_client(svc, assertion, n_ci ? client_id : "", now_ms, &why, &busy);
  } else {
    why = "The client must authenticate (private_key_jwt, client_secret_basic or _post)";
  }
  if (ci < 0) {
    if (busy) oauth_error(res, 503, "temporarily_unavailable", why);
    else oauth_error(res, 401, "invalid_client", why);
    logf_(svc, "token: client refused: %s", why);
    return;
  }
  const smv__sb_client *cl = &cfg->clients[ci];

  /* 2. the grant */
  if (n_gt <= 0) {
    oauth_error(res, 400, "invalid_request", "grant_type is missing");
    return;
  }
  if (strcmp(grant_type, "authorization_code") != 0) {
    oauth_error(res, 400, "unsupported_grant_type", "Only authorization_code is supported");
    return;
  }
  if (n_code <= 0 || n_ru <= 0) {
    oauth_error(res, 400, "invalid_request", n_code <= 0 ? "code is missing" : "redirect_uri is missing");
    return;
  }
  smv__sb_token *t = smv__sb_camara_id_ok(code, strlen(code)) ? store_find(svc, code, K_CODE) : NULL;
  grant *g = t ? t->ext : NULL;
  if (t && !g->used && t->expires_ms <= now_ms) {
    store_remove(svc, t);
    oauth_error(res, 400, "invalid_grant", "The authorization code has expired");
    logf_(svc, "token: expired code from %s", cl->client_id);
    return;
  }
  if (!t) {
    oauth_error(res, 400, "invalid_grant", "Unknown authorization code");
    return;
  }
  if (g->used) {
    /* RFC 6749 4.1.2: a code used twice revokes what it gave */
    smv__sb_token *a = g->access[0] ? store_find(svc, g->access, K_ACCESS) : NULL;
    if (a) store_remove(svc, a);
    g->access[0] = 0;
    oauth_error(res, 400, "invalid_grant", "The authorization code was used already; its token is revoked");
    logf_(svc, "token: code reused by %s; access token revoked", cl->client_id);
    return;
  }
  const char *bad = NULL;
  if (g->client != (size_t)ci) bad = "The authorization code was issued to another client";
  else if (strcmp(g->redirect_uri, ruri) != 0) bad = "redirect_uri differs from the authorization request's";
  else if (g->challenge[0] && n_cv <= 0) bad = "code_verifier is required (PKCE)";
  else if (!g->challenge[0] && n_cv > 0) bad = "code_verifier given, but the authorization request had no code_challenge";
  else if (g->challenge[0] && !pkce_ok(verifier, g->challenge)) bad = "code_verifier does not match code_challenge";
  g->used = 1; /* whatever happens next: one attempt per code */
  if (bad) {
    oauth_error(res, 400, "invalid_grant", bad);
    logf_(svc, "token: %s (%s)", bad, cl->client_id);
    return;
  }
  issue_token(svc, (size_t)ci, g, now_ms, g->access, res);
  if (res->status == 200) {
    /* a used code is remembered as long as its token lives, so that a replay revokes it */
    uint64_t token_end = now_ms + (uint64_t)cfg->camara_token_ttl_s * 1000u;
    if (t->expires_ms < token_end) t->expires_ms = token_end;
    logf_(svc, "token: access token for subscriber %s issued to %s", g->msisdn, cl->client_id);
  }
}

/* ---- the Number Verification API ---- */

/* The access token of the request: the record, or NULL with the 401 written. */
static access_rec *bearer(smv__sb_service *svc, const smv__sb_request *req, uint64_t now_ms,
                          smv__sb_response *res) {
  const char *h = req->authorization;
  if (!h) {
    res->www_authenticate = "Bearer";
    camara_error(res, 401, "UNAUTHENTICATED", "No access token: send Authorization: Bearer <token>");
    return NULL;
  }
  res->www_authenticate = "Bearer error=\"invalid_token\"";
  if (strncasecmp(h, "Bearer ", 7) != 0) {
    camara_error(res, 401, "UNAUTHENTICATED", "The Authorization header is not a Bearer token");
    return NULL;
  }
  const char *v = h + 7;
  while (*v == ' ') v++;
  smv__sb_token *t = smv__sb_camara_id_ok(v, strlen(v)) ? store_find(svc, v, K_ACCESS) : NULL;
  if (!t) {
    camara_error(res, 401, "UNAUTHENTICATED", "The access token is invalid or was revoked");
    return NULL;
  }
  access_rec *a = t->ext;
  if (a->exp_ms <= now_ms) {
    camara_error(res, 401, "UNAUTHENTICATED", "The access token has expired; authenticate again");
    return NULL;
  }
  res->www_authenticate = NULL;
  return a;
}

/* The x-correlator of the request, checked against the OpenAPI's XCorrelator pattern
 * ^[a-zA-Z0-9-_:;.\/<>{}]{0,256}$ and echoed; -1 (400 written) when it does not comply. */
static int correlator(const smv__sb_request *req, smv__sb_response *res) {
  size_t n = 0;
  const char *x = smv__sb_header_get(req, "x-correlator", &n);
  if (!x) return 0;
  size_t l = strlen(x);
  if (n > 1 || l > 256 ||
      strspn(x, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:;./<>{}") != l) {
    camara_error(res, 400, "INVALID_ARGUMENT", "x-correlator does not comply with its schema");
    return -1;
  }
  memcpy(res->x_correlator, x, l + 1);
  return 0;
}

static void handle_nv(smv__sb_service *svc, const smv__sb_request *req, int verify, uint64_t now_ms,
                      smv__sb_response *res) {
  svc->camara.n.api++;
  const char *want = verify ? "POST" : "GET";
  if (strcmp(req->method, want) != 0) {
    res->allow = want;
    camara_error(res, 405, "METHOD_NOT_ALLOWED", verify ? "Use POST" : "Use GET");
    return;
  }
  access_rec *a = bearer(svc, req, now_ms, res);
  if (!a) return;
  unsigned need = verify ? SMV__SB_SCOPE_VERIFY : SMV__SB_SCOPE_SHARE;
  if (!(a->scopes & need)) {
    res->www_authenticate = verify ? "Bearer error=\"insufficient_scope\", scope=\"number-verification:verify\""
                                   : "Bearer error=\"insufficient_scope\", "
                                     "scope=\"number-verification:device-phone-number:read\"";
    camara_error(res, 403, "PERMISSION_DENIED", "The access token does not carry the scope this operation needs");
    return;
  }
  if (!a->network) {
    camara_error(res, 403, "NUMBER_VERIFICATION.USER_NOT_AUTHENTICATED_BY_MOBILE_NETWORK",
                 "The user was not authenticated by the mobile network; this service needs it");
    return;
  }
  const char *given = NULL;
  int hashed = 0;
  cJSON *root = NULL;
  if (verify) {
    /* NumberVerificationRequestBody: an object with exactly one property (minProperties and
     * maxProperties 1), phoneNumber or hashedPhoneNumber. The schema would let an unknown property
     * stand alone; the Verify plan's scenario 400.3 refuses it, and wins. */
    const char *why = NULL;
    if (!req->body_len) why = "A request body is required";
    else if (!smv__sb_media_is(req->content_type, "application/json")) why = "The body must be application/json";
    else if (req->body_len > svc->cfg->max_body_bytes) why = "The request body is too large";
    else if (!(root = cJSON_ParseWithLength(req->body, req->body_len)) || !cJSON_IsObject(root))
      why = "The body is not a JSON object";
    else if (cJSON_GetArraySize(root) != 1)
      why = "Give exactly one of phoneNumber and hashedPhoneNumber";
    else if (!strcmp(root->child->string, "phoneNumber")) {
      if (!cJSON_IsString(root->child) || !e164(root->child->valuestring))
        why = "phoneNumber must be E.164 with its '+' (^\\+[1-9][0-9]{4,14}$)";
    } else if (!strcmp(root->child->string, "hashedPhoneNumber")) {
      hashed = 1;
      if (!cJSON_IsString(root->child) || strlen(root->child->valuestring) != 64 ||
          strspn(root->child->valuestring, "0123456789abcdefABCDEF") != 64)
        why = "hashedPhoneNumber must be 64 hexadecimal digits (SHA-256)";
    } else {
      why = "The only properties are phoneNumber and hashedPhoneNumber";
    }
    if (why) {
      cJSON_Delete(root);
      camara_error(res, 400, "INVALID_ARGUMENT", why);
      return;
    }
    given = root->child->valuestring;
  }
  if (!a->msisdn[0]) {
    cJSON_Delete(root);
    camara_error(res, 403, "PERMISSION_DENIED",
                 "The access token identifies no phone number (a three-legged token is needed)");
    return;
  }
  char e[20];
  snprintf(e, sizeof(e), "+%s", a->msisdn);
  if (!verify) {
    res->status = 200;
    smv__sb_body(res, "{\"devicePhoneNumber\":\"%s\"}", e);
    logf_(svc, "device-phone-number: %s", e);
    return;
  }
  int match;
  if (hashed) {
    char hx[65];
    smv__sb_sha256_hex(e, strlen(e), hx);
    match = strcasecmp(hx, given) == 0;
  } else {
    match = strcmp(e, given) == 0;
  }
  cJSON_Delete(root);
  res->status = 200;
  smv__sb_body(res, "{\"devicePhoneNumberVerified\":%s}", match ? "true" : "false");
  logf_(svc, "verify (%s): %s", hashed ? "hashed" : "plain", match ? "true" : "false");
}

/* POST /sandbox/camara/tokens: a token of any kind the test plans name, without a device. */
static void handle_test_token(smv__sb_service *svc, const smv__sb_request *req, uint64_t now_ms,
                              smv__sb_response *res) {
  const smv__sb_config *cfg = svc->cfg;
  if (strcmp(req->method, "POST") != 0) {
    res->allow = "POST";
    camara_error(res, 405, "METHOD_NOT_ALLOWED", "Use POST");
    return;
  }
  if (!smv__sb_check_basic(req->authorization, cfg->user, cfg->password)) {
    res->www_authenticate = SMV__SB_BASIC_CHALLENGE;
    camara_error(res, 401, "UNAUTHENTICATED", "The sandbox's own credentials (Basic) are required");
    return;
  }
  cJSON *root = NULL;
  const char *why = NULL;
  unsigned scopes = SMV__SB_SCOPE_VERIFY | SMV__SB_SCOPE_SHARE;
  const cJSON *ph = NULL, *sc = NULL, *ex = NULL, *na = NULL;
  if (!smv__sb_media_is(req->content_type, "application/json") || req->body_len > cfg->max_body_bytes ||
      !(root = cJSON_ParseWithLength(req->body, req->body_len)) || !cJSON_IsObject(root)) {
    why = "The body must be a JSON object (application/json)";
  } else {
    for (const cJSON *it = root->child; it && !why; it = it->next)
      if (strcmp(it->string, "phoneNumber") && strcmp(it->string, "scope") &&
          strcmp(it->string, "expired") && strcmp(it->string, "network_authenticated"))
        why = "Unknown property (phoneNumber, scope, expired, network_authenticated)";
    ph = cJSON_GetObjectItemCaseSensitive(root, "phoneNumber");
    sc = cJSON_GetObjectItemCaseSensitive(root, "scope");
    ex = cJSON_GetObjectItemCaseSensitive(root, "expired");
    na = cJSON_GetObjectItemCaseSensitive(root, "network_authenticated");
    if (why) {
    } else if (ph && (!cJSON_IsString(ph) || !e164(ph->valuestring))) {
      why = "phoneNumber must be E.164 with its '+'";
    } else if (sc && (!cJSON_IsString(sc) ||
                      (sc->valuestring[0] && smv__sb_scope_parse(sc->valuestring, &scopes)))) {
      why = "scope must be a space-separated list of known scopes";
    } else if ((ex && !cJSON_IsBool(ex)) || (na && !cJSON_IsBool(na))) {
      why = "expired and network_authenticated are booleans";
    }
  }
  if (why) {
    cJSON_Delete(root);
    camara_error(res, 400, "INVALID_ARGUMENT", why);
    return;
  }
  if (sc && !sc->valuestring[0]) scopes = 0;
  access_rec *ar = calloc(1, sizeof(*ar));
  int expired = cJSON_IsTrue(ex);
  uint64_t exp_ms = expired ? now_ms - 1000 : now_ms + (uint64_t)cfg->camara_token_ttl_s * 1000u;
  if (ar) {
    if (ph) snprintf(ar->msisdn, sizeof(ar->msisdn), "%s", ph->valuestring + 1);
    ar->scopes = scopes;
    ar->network = !na || cJSON_IsTrue(na);
    ar->client = NO_CLIENT;
    ar->exp_ms = exp_ms;
  }
  cJSON_Delete(root);
  char at[SMV__SB_CAMARA_ID_LEN + 1];
  /* an expired one stays known for a while, so that it is reported as expired */
  if (!store_add(svc, K_ACCESS, ar, (expired ? now_ms : exp_ms) + EXPIRED_KEPT_MS, at)) {
    camara_error(res, 503, "UNAVAILABLE", "The sandbox holds too many tokens");
    return;
  }
  char scope[128];
  smv__sb_scope_format(scopes, scope, sizeof(scope));
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "access_token", at);
  cJSON_AddStringToObject(o, "token_type", "Bearer");
  cJSON_AddNumberToObject(o, "expires_in", expired ? 0 : cfg->camara_token_ttl_s);
  cJSON_AddStringToObject(o, "scope", scope);
  res->no_cache = 1;
  json_answer(res, 200, o);
}

static int is(const char *target, size_t plen, const char *path) {
  return plen == strlen(path) && strncmp(target, path, plen) == 0;
}

int smv__sb_camara_handle(smv__sb_service *svc, const smv__sb_request *req, size_t plen,
                          const char *query, uint64_t now_ms, smv__sb_response *res) {
  const char *p = req->target;
  size_t hl = strlen(SMV__SB_OIDC_HE_PREFIX);
  int nv = is(p, plen, SMV__SB_NV_VERIFY) || is(p, plen, SMV__SB_NV_SHARE);
  int known = nv || is(p, plen, SMV__SB_OIDC_DISCOVERY) || is(p, plen, SMV__SB_OIDC_JWKS) ||
              is(p, plen, SMV__SB_OIDC_AUTHORIZE) || is(p, plen, SMV__SB_OIDC_TOKEN) ||
              is(p, plen, SMV__SB_TEST_TOKENS) || (plen > hl && !strncmp(p, SMV__SB_OIDC_HE_PREFIX, hl));
  if (!known) {
    /* an unknown operation of the API gets CAMARA's shape too */
    if (plen >= 23 && !strncmp(p, "/number-verification/v2", 23) && (plen == 23 || p[23] == '/')) {
      camara_error(res, 404, "NOT_FOUND", "No such operation");
      return 1;
    }
    return 0;
  }
  if (correlator(req, res)) return 1;
  if (nv) {
    handle_nv(svc, req, is(p, plen, SMV__SB_NV_VERIFY), now_ms, res);
  } else if (is(p, plen, SMV__SB_OIDC_DISCOVERY) || is(p, plen, SMV__SB_OIDC_JWKS)) {
    if (strcmp(req->method, "GET") != 0) {
      res->allow = "GET";
      camara_error(res, 405, "METHOD_NOT_ALLOWED", "Use GET");
    } else if (is(p, plen, SMV__SB_OIDC_DISCOVERY)) {
      handle_discovery(svc, res);
    } else {
      handle_jwks(svc, res);
    }
  } else if (is(p, plen, SMV__SB_OIDC_AUTHORIZE)) {
    handle_authorize(svc, req, query, now_ms, res);
  } else if (is(p, plen, SMV__SB_OIDC_TOKEN)) {
    handle_token(svc, req, now_ms, res);
  } else if (is(p, plen, SMV__SB_TEST_TOKENS)) {
    handle_test_token(svc, req, now_ms, res);
  } else {
    handle_authorize_he(svc, req, p + hl, plen - hl, query, now_ms, res);
  }
  return 1;
}
