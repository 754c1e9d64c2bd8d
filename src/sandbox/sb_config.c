/* Sandbox configuration: defaults and the JSON overlay. Unknown keys are refused so that a typo in a
 * fault name does not silently run the happy path. */
#include "sandbox/sb_config.h"
#include "core/attr.h"

#include <arpa/inet.h>
#include <cJSON.h>
#include <mbedtls/pk.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/sb_jwt.h"
#include "sandbox/sb_urls.h"
#include "smv.h"

int smv__sb_addr_parse(smv__sb_addr *out, const char *s) {
  memset(out, 0, sizeof(*out));
  if (inet_pton(AF_INET, s, out->b) == 1) {
    out->family = 4;
    return 0;
  }
  if (inet_pton(AF_INET6, s, out->b) == 1) {
    out->family = 6;
    return 0;
  }
  return -1;
}

int smv__sb_config_defaults(smv__sb_config *cfg) {
  memset(cfg, 0, sizeof(*cfg));
  snprintf(cfg->listen_ip, sizeof(cfg->listen_ip), "%s", "127.0.0.1");
  snprintf(cfg->user, sizeof(cfg->user), "%s", SMV__SB_DEFAULT_USER);
  snprintf(cfg->password, sizeof(cfg->password), "%s", SMV__SB_DEFAULT_PASSWORD);
  cfg->token_ttl_ms = 300000;
  cfg->max_pending = 100000;
  cfg->max_body_bytes = 8192;
  cfg->max_connections = 1024;
  cfg->callback_max_attempts = 10;
  cfg->callback_backoff_ms = 250;
  cfg->callback_backoff_max_ms = 5000;
  cfg->callback_timeout_ms = 5000;
  cfg->camara_code_ttl_ms = 60000;
  cfg->camara_token_ttl_s = 300;
  cfg->camara_skew_s = 60;
  cfg->camara_assertion_max_s = 300;
  cfg->camara_max_jti = 10000;
  cfg->camara_operator = -1;
  cfg->operators = calloc(1, sizeof(*cfg->operators));
  cfg->subscribers = calloc(1, sizeof(*cfg->subscribers));
  cfg->clients = calloc(1, sizeof(*cfg->clients));
  if (!cfg->operators || !cfg->subscribers || !cfg->clients ||
      !(cfg->clients[0].redirect_uris[0] = strdup(SMV__SB_DEFAULT_REDIRECT_URI))) {
    smv__sb_config_free(cfg);
    return SMV_ERR_NOMEM;
  }
  cfg->operator_count = 1;
  snprintf(cfg->operators[0].name, sizeof(cfg->operators[0].name), "%s", "sandbox-mobile");
  cfg->operators[0].profile = SMV__SB_PROFILE_IP_PORT;
  snprintf(cfg->operators[0].msisdn_header, sizeof(cfg->operators[0].msisdn_header), "%s", SMV__SB_DEFAULT_MSISDN_HEADER);
  cfg->client_count = 1;
  snprintf(cfg->clients[0].client_id, sizeof(cfg->clients[0].client_id), "%s", SMV__SB_DEFAULT_CLIENT_ID);
  snprintf(cfg->clients[0].client_secret, sizeof(cfg->clients[0].client_secret), "%s", SMV__SB_DEFAULT_CLIENT_SECRET);
  cfg->clients[0].redirect_count = 1;
  cfg->clients[0].scopes = SMV__SB_SCOPE_ALL;
  cfg->subscriber_count = 1;
  snprintf(cfg->subscribers[0].msisdn, sizeof(cfg->subscribers[0].msisdn), "%s", SMV__SB_DEFAULT_MSISDN);
  cfg->subscribers[0].op = 0;
  smv__sb_addr_parse(&cfg->subscribers[0].private_addr, "127.0.0.1");
  return 0;
}

static void free_clients(smv__sb_client *c, size_t n) {
  for (size_t i = 0; c && i < n; i++) {
    for (size_t j = 0; j < SMV__SB_MAX_REDIRECT_URIS; j++) free(c[i].redirect_uris[j]);
    if (c[i].public_key) {
      smv__sb_jws_key_free(c[i].public_key);
      free(c[i].public_key);
    }
  }
  free(c);
}

void smv__sb_config_free(smv__sb_config *cfg) {
  free(cfg->operators);
  free(cfg->subscribers);
  /* the default client may have been allocated without being counted yet */
  free_clients(cfg->clients, cfg->clients ? (cfg->client_count ? cfg->client_count : 1) : 0);
  cfg->operators = NULL;
  cfg->subscribers = NULL;
  cfg->clients = NULL;
  cfg->operator_count = cfg->subscriber_count = cfg->client_count = 0;
}

long smv__sb_config_find_client(const smv__sb_config *cfg, const char *client_id) {
  for (size_t i = 0; i < cfg->client_count; i++)
    if (strcmp(cfg->clients[i].client_id, client_id) == 0) return (long)i;
  return -1;
}

static const char *const scope_names[] = {"openid", "number-verification:verify",
                                          "number-verification:device-phone-number:read"};

int smv__sb_scope_parse(const char *s, unsigned *bits) {
  *bits = 0;
  if (!*s) return -1;
  while (*s) {
    size_t n = strcspn(s, " ");
    if (n == 0) return -1; /* a leading, trailing or doubled space */
    unsigned bit = 0;
    for (unsigned i = 0; i < 3; i++)
      if (strlen(scope_names[i]) == n && memcmp(scope_names[i], s, n) == 0) bit = 1u << i;
    if (!bit || (*bits & bit)) return -1;
    *bits |= bit;
    s += n;
    if (*s == ' ' && !*++s) return -1;
  }
  return 0;
}

void smv__sb_scope_format(unsigned bits, char *out, size_t cap) {
  size_t o = 0;
  if (cap) out[0] = 0;
  for (unsigned i = 0; i < 3; i++) {
    if (!(bits & (1u << i))) continue;
    int w = snprintf(out + o, cap - o, "%s%s", o ? " " : "", scope_names[i]);
    if (w < 0 || (size_t)w >= cap - o) return;
    o += (size_t)w;
  }
}

long smv__sb_config_find_subscriber(const smv__sb_config *cfg, const char *msisdn) {
  for (size_t i = 0; i < cfg->subscriber_count; i++)
    if (strcmp(cfg->subscribers[i].msisdn, msisdn) == 0) return (long)i;
  return -1;
}

long smv__sb_config_find_operator(const smv__sb_config *cfg, const char *name) {
  for (size_t i = 0; i < cfg->operator_count; i++)
    if (strcmp(cfg->operators[i].name, name) == 0) return (long)i;
  return -1;
}

/* ---- parsing helpers: each returns 0, or -1 after writing the message ---- */

typedef struct perr {
  char *buf;
  size_t cap;
} perr;

SMV__PRINTF(2, 3)
static int fail(perr *e, const char *fmt, ...) {
  if (e->cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->buf, e->cap, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static int only_keys(perr *e, const cJSON *obj, const char *where, const char *const *keys) {
  if (!cJSON_IsObject(obj)) return fail(e, "%s: must be an object", where);
  for (const cJSON *it = obj->child; it; it = it->next) {
    int known = 0;
    for (size_t i = 0; keys[i]; i++)
      if (it->string && strcmp(it->string, keys[i]) == 0) known = 1;
    if (!known) return fail(e, "%s: unknown key \"%s\"", where, it->string ? it->string : "");
  }
  return 0;
}

static int get_str(perr *e, const cJSON *obj, const char *where, const char *key, char *dst,
                   size_t cap) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!it) return 0;
  if (!cJSON_IsString(it)) return fail(e, "%s.%s: must be a string", where, key);
  if (strlen(it->valuestring) >= cap) return fail(e, "%s.%s: too long", where, key);
  memcpy(dst, it->valuestring, strlen(it->valuestring) + 1); /* fits: checked above */
  return 0;
}

static int get_uint(perr *e, const cJSON *obj, const char *where, const char *key, uint64_t max,
                    uint64_t *dst) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!it) return 0;
  double v = cJSON_IsNumber(it) ? it->valuedouble : -1;
  if (v < 0 || v > (double)max || v != (double)(uint64_t)v)
    return fail(e, "%s.%s: must be an integer from 0 to %llu", where, key, (unsigned long long)max);
  *dst = (uint64_t)v;
  return 0;
}

static int get_bool(perr *e, const cJSON *obj, const char *where, const char *key, int *dst) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!it) return 0;
  if (!cJSON_IsBool(it)) return fail(e, "%s.%s: must be true or false", where, key);
  *dst = cJSON_IsTrue(it);
  return 0;
}

#define GET_U(obj, where, key, max, field)                                                         \
  do {                                                                                             \
    uint64_t v_ = (field);                                                                         \
    if (get_uint(e, obj, where, key, max, &v_)) return -1;                                         \
    (field) = v_;                                                                                  \
  } while (0)

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* A field-name token (RFC 9110 5.6.2). */
static int is_token(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          strchr("!#$%&'*+-.^_`|~", *s)))
      return 0;
  return 1;
}

static int parse_operator(perr *e, const cJSON *o, smv__sb_operator *op) {
  static const char *const keys[] = {"name", "profile", "public_ipv4", "hmac_key", "latency_ms",
                                     "down", "ip_ranges", "trusted_proxies", "msisdn_header", NULL};
  if (only_keys(e, o, "operators[]", keys)) return -1;
  memset(op, 0, sizeof(*op));
  snprintf(op->msisdn_header, sizeof(op->msisdn_header), "%s", SMV__SB_DEFAULT_MSISDN_HEADER);
  if (get_str(e, o, "operators[]", "name", op->name, sizeof(op->name))) return -1;
  if (!op->name[0]) return fail(e, "operators[]: \"name\" is required");
  char buf[128] = "ip_port";
  if (get_str(e, o, "operators[]", "profile", buf, sizeof(buf))) return -1;
  if (strcmp(buf, "ip_port") == 0) op->profile = SMV__SB_PROFILE_IP_PORT;
  else if (strcmp(buf, "header_enrichment") == 0) op->profile = SMV__SB_PROFILE_HEADER_ENRICHMENT;
  else return fail(e, "operators[%s].profile: \"ip_port\" or \"header_enrichment\"", op->name);
  buf[0] = 0;
  if (get_str(e, o, "operators[]", "public_ipv4", buf, sizeof(buf))) return -1;
  if (buf[0] && (smv__sb_addr_parse(&op->public_ipv4, buf) || op->public_ipv4.family != 4))
    return fail(e, "operators[%s].public_ipv4: not an IPv4 address", op->name);
  buf[0] = 0;
  if (get_str(e, o, "operators[]", "hmac_key", buf, sizeof(buf))) return -1;
  size_t n = strlen(buf);
  if (n) {
    if (n % 2 || n / 2 > sizeof(op->hmac_key) || n < 32)
      return fail(e, "operators[%s].hmac_key: 16 to 32 bytes in hex", op->name);
    for (size_t i = 0; i < n; i += 2) {
      int hi = hexval(buf[i]), lo = hexval(buf[i + 1]);
      if (hi < 0 || lo < 0) return fail(e, "operators[%s].hmac_key: not hex", op->name);
      op->hmac_key[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    op->hmac_key_len = n / 2;
  }
  GET_U(o, "operators[]", "latency_ms", 600000, op->latency_ms);
  if (get_bool(e, o, "operators[]", "down", &op->down)) return -1;
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "ip_ranges");
  if (r) {
    if (!cJSON_IsArray(r) || cJSON_GetArraySize(r) > SMV__SB_MAX_RANGES)
      return fail(e, "operators[%s].ip_ranges: a list of at most %d prefixes", op->name,
                  SMV__SB_MAX_RANGES);
    for (const cJSON *it = r->child; it; it = it->next)
      if (!cJSON_IsString(it) || smv__sb_prefix_parse(it->valuestring, &op->ranges[op->range_count++]))
        return fail(e, "operators[%s].ip_ranges: \"100.64.0.0/10\" or \"2001:db8::/32\" form",
                    op->name);
    op->ranges_configured = 1;
  }
  const cJSON *tp = cJSON_GetObjectItemCaseSensitive(o, "trusted_proxies");
  const cJSON *mh = cJSON_GetObjectItemCaseSensitive(o, "msisdn_header");
  if ((tp || mh) && op->profile != SMV__SB_PROFILE_HEADER_ENRICHMENT)
    return fail(e, "operators[%s]: trusted_proxies and msisdn_header need profile header_enrichment",
                op->name);
  if (tp) {
    if (!cJSON_IsArray(tp) || cJSON_GetArraySize(tp) < 1 || cJSON_GetArraySize(tp) > SMV__SB_MAX_PROXIES)
      return fail(e, "operators[%s].trusted_proxies: a list of 1 to %d IP addresses", op->name,
                  SMV__SB_MAX_PROXIES);
    for (const cJSON *it = tp->child; it; it = it->next)
      if (!cJSON_IsString(it) || smv__sb_addr_parse(&op->trusted_proxies[op->trusted_count++], it->valuestring))
        return fail(e, "operators[%s].trusted_proxies: not an IP address", op->name);
  }
  if (get_str(e, o, "operators[]", "msisdn_header", op->msisdn_header, sizeof(op->msisdn_header)))
    return -1;
  if (!is_token(op->msisdn_header))
    return fail(e, "operators[%s].msisdn_header: not a header name", op->name);
  return 0;
}

/* ---- CAMARA clients ---- */

static int parse_client(perr *e, const cJSON *o, smv__sb_client *c) {
  static const char *const keys[] = {"client_id", "client_secret", "redirect_uris", "public_key",
                                     "scopes", "require_pkce", NULL};
  if (only_keys(e, o, "camara.clients[]", keys)) return -1;
  if (get_str(e, o, "camara.clients[]", "client_id", c->client_id, sizeof(c->client_id))) return -1;
  /* Unreserved characters only: the id travels form-encoded, in JSON and in logs. */
  size_t n = strlen(c->client_id);
  if (!n || strspn(c->client_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~") != n)
    return fail(e, "camara.clients[].client_id: 1 to 127 of A-Z a-z 0-9 - . _ ~");
  if (get_str(e, o, "camara.clients[]", "client_secret", c->client_secret, sizeof(c->client_secret)))
    return -1;
  for (const char *p = c->client_secret; *p; p++)
    if (*p < 0x21 || *p > 0x7e)
      return fail(e, "camara.clients[%s].client_secret: printable ASCII without spaces", c->client_id);
  const cJSON *ru = cJSON_GetObjectItemCaseSensitive(o, "redirect_uris");
  if (!cJSON_IsArray(ru) || cJSON_GetArraySize(ru) < 1 || cJSON_GetArraySize(ru) > SMV__SB_MAX_REDIRECT_URIS)
    return fail(e, "camara.clients[%s].redirect_uris: a list of 1 to %d URLs", c->client_id,
                SMV__SB_MAX_REDIRECT_URIS);
  for (const cJSON *it = ru->child; it; it = it->next) {
    if (!cJSON_IsString(it) || !smv__sb_valid_redirect_uri(it->valuestring))
      return fail(e, "camara.clients[%s].redirect_uris: \"%.200s\" is not an absolute URL without "
                  "a fragment that the device can stop at", c->client_id,
                  cJSON_IsString(it) ? it->valuestring : "");
    if (!(c->redirect_uris[c->redirect_count++] = strdup(it->valuestring)))
      return fail(e, "out of memory");
  }
  const cJSON *pk = cJSON_GetObjectItemCaseSensitive(o, "public_key");
  if (pk) {
    if (!cJSON_IsString(pk) || strlen(pk->valuestring) > 16384)
      return fail(e, "camara.clients[%s].public_key: a PEM public key", c->client_id);
    if (!(c->public_key = malloc(sizeof(*c->public_key)))) return fail(e, "out of memory");
    mbedtls_pk_init(c->public_key);
    if (smv__sb_jws_parse_public(c->public_key, pk->valuestring))
      return fail(e, "camara.clients[%s].public_key: not a PEM public key", c->client_id);
    c->key_alg = smv__sb_jws_key_alg(c->public_key);
    if (c->key_alg == SMV__SB_JWS_NONE)
      return fail(e, "camara.clients[%s].public_key: %s", c->client_id,
                  smv__sb_jws_strerror(SMV__SB_JWS_E_KEY));
  }
  if (!c->client_secret[0] && !c->public_key)
    return fail(e, "camara.clients[%s]: needs client_secret or public_key", c->client_id);
  c->scopes = SMV__SB_SCOPE_ALL;
  const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "scopes");
  if (sc && (!cJSON_IsString(sc) || smv__sb_scope_parse(sc->valuestring, &c->scopes)))
    return fail(e, "camara.clients[%s].scopes: a space-separated list of openid, "
                "number-verification:verify, number-verification:device-phone-number:read",
                c->client_id);
  if (get_bool(e, o, "camara.clients[]", "require_pkce", &c->require_pkce)) return -1;
  return 0;
}

static int parse_camara(perr *e, smv__sb_config *cfg, const cJSON *cam) {
  static const char *const k[] = {"clients", "code_ttl_ms", "access_token_ttl_s", "clock_skew_s",
                                  "assertion_max_lifetime_s", "max_jti", "operator", NULL};
  if (only_keys(e, cam, "camara", k)) return -1;
  GET_U(cam, "camara", "code_ttl_ms", 600000, cfg->camara_code_ttl_ms);
  GET_U(cam, "camara", "access_token_ttl_s", 300, cfg->camara_token_ttl_s);
  GET_U(cam, "camara", "clock_skew_s", 300, cfg->camara_skew_s);
  GET_U(cam, "camara", "assertion_max_lifetime_s", 3600, cfg->camara_assertion_max_s);
  GET_U(cam, "camara", "max_jti", 1000000, cfg->camara_max_jti);
  if (!cfg->camara_code_ttl_ms || !cfg->camara_token_ttl_s || !cfg->camara_assertion_max_s ||
      !cfg->camara_max_jti)
    return fail(e, "camara: lifetimes and max_jti must be at least 1");
  const cJSON *op = cJSON_GetObjectItemCaseSensitive(cam, "operator");
  if (op) {
    if (!cJSON_IsString(op) || (cfg->camara_operator = smv__sb_config_find_operator(cfg, op->valuestring)) < 0)
      return fail(e, "camara.operator: unknown operator");
  }
  const cJSON *cl = cJSON_GetObjectItemCaseSensitive(cam, "clients");
  if (!cl) return 0;
  int n = cJSON_GetArraySize(cl);
  if (!cJSON_IsArray(cl) || n < 1 || n > SMV__SB_MAX_CLIENTS)
    return fail(e, "camara.clients: a list of 1 to %d clients", SMV__SB_MAX_CLIENTS);
  smv__sb_client *arr = calloc((size_t)n, sizeof(*arr));
  if (!arr) return fail(e, "out of memory");
  free_clients(cfg->clients, cfg->client_count);
  cfg->clients = arr;
  cfg->client_count = 0;
  for (const cJSON *o = cl->child; o; o = o->next) {
    /* counted first, so that what it holds is freed even when it fails half way */
    smv__sb_client *c = &arr[cfg->client_count++];
    if (parse_client(e, o, c)) return -1;
    cfg->client_count--;
    if (smv__sb_config_find_client(cfg, c->client_id) >= 0)
      return cfg->client_count++, fail(e, "camara.clients: duplicate client_id \"%s\"", c->client_id);
    cfg->client_count++;
  }
  return 0;
}

int smv__sb_prefix_parse(const char *s, smv__sb_prefix *out) {
  char tmp[64];
  memset(out, 0, sizeof(*out));
  const char *slash = strchr(s, '/');
  if (!slash || (size_t)(slash - s) >= sizeof(tmp)) return -1;
  memcpy(tmp, s, (size_t)(slash - s));
  tmp[slash - s] = 0;
  if (smv__sb_addr_parse(&out->addr, tmp)) return -1;
  if (slash[1] < '0' || slash[1] > '9') return -1;
  char *end;
  unsigned long l = strtoul(slash + 1, &end, 10);
  if (*end || l > (out->addr.family == 4 ? 32u : 128u)) return -1;
  out->len = (unsigned)l;
  return 0;
}

static int parse_prefix(const char *s, smv__sb_addr *a, unsigned *len) {
  smv__sb_prefix p;
  if (smv__sb_prefix_parse(s, &p) || p.addr.family != 6) return -1;
  *a = p.addr;
  *len = p.len;
  return 0;
}


static int parse_subscriber(perr *e, const smv__sb_config *cfg, const cJSON *o,
                            smv__sb_subscriber *s) {
  static const char *const keys[] = {"msisdn", "operator", "private_ip", "ipv6_prefix", "ports",
                                     NULL};
  if (only_keys(e, o, "subscribers[]", keys)) return -1;
  memset(s, 0, sizeof(*s));
  if (get_str(e, o, "subscribers[]", "msisdn", s->msisdn, sizeof(s->msisdn))) return -1;
  size_t n = strlen(s->msisdn);
  if (n < 7 || n > 15 || strspn(s->msisdn, "0123456789") != n)
    return fail(e, "subscribers[].msisdn: 7 to 15 digits without '+'");
  char buf[128] = "";
  if (get_str(e, o, "subscribers[]", "operator", buf, sizeof(buf))) return -1;
  long op = buf[0] ? smv__sb_config_find_operator(cfg, buf) : (cfg->operator_count == 1 ? 0 : -1);
  if (op < 0) return fail(e, "subscribers[%s].operator: unknown operator \"%s\"", s->msisdn, buf);
  s->op = (size_t)op;
  buf[0] = 0;
  if (get_str(e, o, "subscribers[]", "private_ip", buf, sizeof(buf))) return -1;
  if (buf[0] && smv__sb_addr_parse(&s->private_addr, buf))
    return fail(e, "subscribers[%s].private_ip: not an IP address", s->msisdn);
  buf[0] = 0;
  if (get_str(e, o, "subscribers[]", "ipv6_prefix", buf, sizeof(buf))) return -1;
  if (buf[0] && parse_prefix(buf, &s->ipv6_prefix, &s->ipv6_prefix_len))
    return fail(e, "subscribers[%s].ipv6_prefix: \"2001:db8:1::/48\" form", s->msisdn);
  const cJSON *ports = cJSON_GetObjectItemCaseSensitive(o, "ports");
  if (ports) {
    const cJSON *lo = cJSON_GetArrayItem(ports, 0), *hi = cJSON_GetArrayItem(ports, 1);
    if (!cJSON_IsArray(ports) || cJSON_GetArraySize(ports) != 2 || !cJSON_IsNumber(lo) ||
        !cJSON_IsNumber(hi) || lo->valuedouble < 1 || hi->valuedouble > 65535 ||
        lo->valuedouble > hi->valuedouble || lo->valuedouble != (double)(int)lo->valuedouble ||
        hi->valuedouble != (double)(int)hi->valuedouble)
      return fail(e, "subscribers[%s].ports: [first, last] within 1..65535", s->msisdn);
    s->port_lo = (uint16_t)lo->valuedouble;
    s->port_hi = (uint16_t)hi->valuedouble;
    if (!cfg->operators[s->op].public_ipv4.family)
      return fail(e, "subscribers[%s].ports: its operator has no public_ipv4", s->msisdn);
  }
  /* An operator whose proxy names the subscriber in a header knows it by number alone. */
  if (!s->private_addr.family && !s->ipv6_prefix.family && !s->port_lo &&
      !cfg->operators[s->op].trusted_count)
    return fail(e, "subscribers[%s]: needs private_ip, ipv6_prefix or ports", s->msisdn);
  return 0;
}

static int parse_root(perr *e, smv__sb_config *cfg, const cJSON *root) {
  static const char *const keys[] = {"listeners", "credentials", "tls", "state_dir", "limits",
                                     "callbacks", "operators", "subscribers", "faults", "camara",
                                     NULL};
  if (only_keys(e, root, "config", keys)) return -1;

  const cJSON *l = cJSON_GetObjectItemCaseSensitive(root, "listeners");
  if (l) {
    static const char *const lk[] = {"ip", "api_port", "operator_port", "api_host",
                                     "operator_host", NULL};
    if (only_keys(e, l, "listeners", lk)) return -1;
    if (get_str(e, l, "listeners", "ip", cfg->listen_ip, sizeof(cfg->listen_ip))) return -1;
    smv__sb_addr a;
    if (smv__sb_addr_parse(&a, cfg->listen_ip)) return fail(e, "listeners.ip: not an IP address");
    GET_U(l, "listeners", "api_port", 65535, cfg->api_port);
    GET_U(l, "listeners", "operator_port", 65535, cfg->operator_port);
    if (get_str(e, l, "listeners", "api_host", cfg->api_host, sizeof(cfg->api_host))) return -1;
    if (get_str(e, l, "listeners", "operator_host", cfg->operator_host,
                sizeof(cfg->operator_host)))
      return -1;
  }
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "credentials");
  if (c) {
    static const char *const ck[] = {"user", "password", NULL};
    if (only_keys(e, c, "credentials", ck)) return -1;
    if (get_str(e, c, "credentials", "user", cfg->user, sizeof(cfg->user))) return -1;
    if (get_str(e, c, "credentials", "password", cfg->password, sizeof(cfg->password))) return -1;
    if (!cfg->user[0] || strchr(cfg->user, ':')) return fail(e, "credentials.user: empty or ':'");
  }
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "tls");
  if (t) {
    static const char *const tk[] = {"cert", "key", "ca", NULL};
    if (only_keys(e, t, "tls", tk)) return -1;
    if (get_str(e, t, "tls", "cert", cfg->cert_file, sizeof(cfg->cert_file))) return -1;
    if (get_str(e, t, "tls", "key", cfg->key_file, sizeof(cfg->key_file))) return -1;
    if (get_str(e, t, "tls", "ca", cfg->ca_file, sizeof(cfg->ca_file))) return -1;
    if (!cfg->cert_file[0] != !cfg->key_file[0]) return fail(e, "tls: cert and key go together");
  }
  if (get_str(e, root, "config", "state_dir", cfg->state_dir, sizeof(cfg->state_dir))) return -1;
  const cJSON *lim = cJSON_GetObjectItemCaseSensitive(root, "limits");
  if (lim) {
    static const char *const k[] = {"max_body_bytes", "max_pending", "max_connections", NULL};
    if (only_keys(e, lim, "limits", k)) return -1;
    GET_U(lim, "limits", "max_body_bytes", 1 << 20, cfg->max_body_bytes);
    GET_U(lim, "limits", "max_pending", 10000000, cfg->max_pending);
    GET_U(lim, "limits", "max_connections", 100000, cfg->max_connections);
  }
  const cJSON *cb = cJSON_GetObjectItemCaseSensitive(root, "callbacks");
  if (cb) {
    static const char *const k[] = {"max_attempts", "backoff_ms", "backoff_max_ms", "timeout_ms",
                                    "cacert", NULL};
    if (only_keys(e, cb, "callbacks", k)) return -1;
    GET_U(cb, "callbacks", "max_attempts", 1000, cfg->callback_max_attempts);
    GET_U(cb, "callbacks", "backoff_ms", 3600000, cfg->callback_backoff_ms);
    GET_U(cb, "callbacks", "backoff_max_ms", 3600000, cfg->callback_backoff_max_ms);
    GET_U(cb, "callbacks", "timeout_ms", 600000, cfg->callback_timeout_ms);
    if (!cfg->callback_max_attempts) return fail(e, "callbacks.max_attempts: at least 1");
    if (get_str(e, cb, "callbacks", "cacert", cfg->callback_cacert, sizeof(cfg->callback_cacert)))
      return -1;
  }

  const cJSON *ops = cJSON_GetObjectItemCaseSensitive(root, "operators");
  if (ops) {
    int n = cJSON_GetArraySize(ops);
    if (!cJSON_IsArray(ops) || n < 1) return fail(e, "operators: a non-empty array");
    smv__sb_operator *arr = calloc((size_t)n, sizeof(*arr));
    if (!arr) return fail(e, "out of memory");
    free(cfg->operators);
    cfg->operators = arr;
    cfg->operator_count = 0;
    for (const cJSON *o = ops->child; o; o = o->next) {
      if (parse_operator(e, o, &arr[cfg->operator_count])) return -1;
      if (smv__sb_config_find_operator(cfg, arr[cfg->operator_count].name) >= 0)
        return fail(e, "operators: duplicate name \"%s\"", arr[cfg->operator_count].name);
      cfg->operator_count++;
    }
    if (!cJSON_GetObjectItemCaseSensitive(root, "subscribers")) {
      /* the default subscriber keeps pointing at the first operator */
      cfg->subscribers[0].op = 0;
    }
  }
  const cJSON *subs = cJSON_GetObjectItemCaseSensitive(root, "subscribers");
  if (subs) {
    int n = cJSON_GetArraySize(subs);
    if (!cJSON_IsArray(subs) || n < 1) return fail(e, "subscribers: a non-empty array");
    smv__sb_subscriber *arr = calloc((size_t)n, sizeof(*arr));
    if (!arr) return fail(e, "out of memory");
    free(cfg->subscribers);
    cfg->subscribers = arr;
    cfg->subscriber_count = 0;
    for (const cJSON *o = subs->child; o; o = o->next) {
      if (parse_subscriber(e, cfg, o, &arr[cfg->subscriber_count])) return -1;
      if (smv__sb_config_find_subscriber(cfg, arr[cfg->subscriber_count].msisdn) >= 0)
        return fail(e, "subscribers: duplicate msisdn %s", arr[cfg->subscriber_count].msisdn);
      cfg->subscriber_count++;
    }
  }

  const cJSON *f = cJSON_GetObjectItemCaseSensitive(root, "faults");
  if (f) {
    static const char *const k[] = {"token_ttl_ms", "always_invalid", "operator_down",
                                    "operator_latency_ms", "camara_consent_page", NULL};
    if (only_keys(e, f, "faults", k)) return -1;
    GET_U(f, "faults", "token_ttl_ms", 86400000, cfg->token_ttl_ms);
    if (get_bool(e, f, "faults", "always_invalid", &cfg->always_invalid)) return -1;
    if (get_bool(e, f, "faults", "camara_consent_page", &cfg->camara_consent_page)) return -1;
    uint64_t lat = 0;
    if (get_uint(e, f, "faults", "operator_latency_ms", 600000, &lat)) return -1;
    if (lat)
      for (size_t i = 0; i < cfg->operator_count; i++) cfg->operators[i].latency_ms = (unsigned)lat;
    const cJSON *down = cJSON_GetObjectItemCaseSensitive(f, "operator_down");
    if (cJSON_IsBool(down)) {
      for (size_t i = 0; i < cfg->operator_count; i++) cfg->operators[i].down = cJSON_IsTrue(down);
    } else if (cJSON_IsArray(down)) {
      for (const cJSON *d = down->child; d; d = d->next) {
        long i = cJSON_IsString(d) ? smv__sb_config_find_operator(cfg, d->valuestring) : -1;
        if (i < 0) return fail(e, "faults.operator_down: unknown operator");
        cfg->operators[i].down = 1;
      }
    } else if (down) {
      return fail(e, "faults.operator_down: true, false or a list of operator names");
    }
  }
  /* after the operators, which camara.operator names */
  const cJSON *cam = cJSON_GetObjectItemCaseSensitive(root, "camara");
  if (cam && parse_camara(e, cfg, cam)) return -1;
  return 0;
}

int smv__sb_config_parse(smv__sb_config *cfg, const char *json, size_t len, char *err,
                         size_t errcap) {
  perr e = {err, errcap};
  if (errcap) err[0] = 0;
  cJSON *root = cJSON_ParseWithLength(json, len);
  if (!root) {
    fail(&e, "not valid JSON");
    return SMV_ERR_INVALID_ARG;
  }
  int rc = parse_root(&e, cfg, root);
  cJSON_Delete(root);
  return rc ? SMV_ERR_INVALID_ARG : 0;
}
