/* The sandbox's small shared pieces (see sb_util.h); form fields are read with the core's own
 * form decoding (core/query.h), the same rules the client applies to a redirect_uri. */
#include "sandbox/sb_util.h"

#include <mbedtls/sha256.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/query.h"
#include "sandbox/sb_jwt.h"

void smv__sb_vlog(void (*log)(void *ud, const char *line), void *ud, const char *fmt, va_list ap) {
  if (!log) return;
  char line[1024];
  vsnprintf(line, sizeof(line), fmt, ap);
  log(ud, line);
}

void smv__sb_logf(const smv__sb_effects *fx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  smv__sb_vlog(fx->log, fx->ud, fmt, ap);
  va_end(ap);
}

void smv__sb_body(smv__sb_response *res, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(res->body, sizeof(res->body), fmt, ap);
  va_end(ap);
  res->body_len = n < 0 ? 0 : ((size_t)n >= sizeof(res->body) ? sizeof(res->body) - 1 : (size_t)n);
}

void smv__sb_json_escape(char *dst, size_t cap, const char *s) {
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

int smv__sb_form_get(const char *form, size_t len, const char *key, char *out, size_t cap) {
  const char *v;
  size_t vl;
  unsigned count = smv__query_find(form, len, key, &v, &vl);
  if (count && smv__form_decode(v, vl, out, cap) < 0) return -1;
  return (int)count;
}

long smv__sb_pct_encode(const char *in, char *out, size_t cap) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
    int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                *p == '-' || *p == '.' || *p == '_' || *p == '~';
    if (o + (plain ? 1 : 3) + 1 > cap) return -1;
    if (plain) {
      out[o++] = (char)*p;
    } else {
      out[o++] = '%';
      out[o++] = hex[*p >> 4];
      out[o++] = hex[*p & 15];
    }
  }
  if (o + 1 > cap) return -1;
  out[o] = 0;
  return (long)o;
}

const char *smv__sb_header_get(const smv__sb_request *req, const char *name, size_t *count) {
  const char *first = NULL;
  size_t n = 0;
  for (size_t i = 0; req->headers && i < req->header_count; i++)
    if (strcasecmp(req->headers[i].name, name) == 0) {
      if (!n++) first = req->headers[i].value;
    }
  if (count) *count = n;
  return first;
}

int smv__sb_media_is(const char *ct, const char *type) {
  if (!ct) return 0;
  size_t n = strcspn(ct, "; \t"), tl = strlen(type);
  return n == tl && strncasecmp(ct, type, tl) == 0;
}

int smv__sb_ct_equal(const char *a, const char *b) {
  size_t n = strlen(a);
  if (n != strlen(b)) return 0;
  unsigned char d = 0;
  for (size_t i = 0; i < n; i++) d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

void smv__sb_sha256_hex(const void *data, size_t n, char out[65]) {
  unsigned char h[32];
  static const char hex[] = "0123456789abcdef";
  if (mbedtls_sha256(data, n, h, 0) != 0) memset(h, 0, sizeof(h));
  for (size_t i = 0; i < 32; i++) {
    out[2 * i] = hex[h[i] >> 4];
    out[2 * i + 1] = hex[h[i] & 15];
  }
  out[64] = 0;
}

void smv__sb_random_id(const smv__sb_effects *fx, size_t nbytes, char *out, size_t cap) {
  unsigned char r[64];
  if (nbytes > sizeof(r)) nbytes = sizeof(r);
  fx->random(fx->ud, r, nbytes);
  if (!smv__sb_b64url_encode(r, nbytes, out, cap) && cap) out[0] = 0;
}
