/* Form-encoded query parameters (see query.h). */
#include "core/query.h"

#include <string.h>

static int hex(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

long smv__form_decode(const char *src, size_t len, char *dst, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    int ch = (unsigned char)src[i];
    if (ch == '+') {
      ch = ' ';
    } else if (ch == '%') {
      /* Two hex digits must follow (RFC 3986 section 2.1); anything else is refused, not kept. */
      int hi = i + 2 < len ? hex((unsigned char)src[i + 1]) : -1;
      int lo = i + 2 < len ? hex((unsigned char)src[i + 2]) : -1;
      if (hi < 0 || lo < 0) return -1;
      ch = hi * 16 + lo;
      i += 2;
    }
    if (ch == 0 || o + 1 >= cap) return -1;
    dst[o++] = (char)ch;
  }
  if (cap == 0) return -1;
  dst[o] = '\0';
  return (long)o;
}

/* Does the raw name (nlen bytes) decode to want? Names are short: decode into a bounded buffer. */
static int name_is(const char *raw, size_t nlen, const char *want) {
  char buf[64];
  size_t wlen = strlen(want);
  if (wlen >= sizeof(buf) || nlen > 3 * sizeof(buf)) return 0;
  long n = smv__form_decode(raw, nlen, buf, sizeof(buf));
  return n >= 0 && (size_t)n == wlen && memcmp(buf, want, wlen) == 0;
}

unsigned smv__query_find(const char *query, size_t len, const char *name, const char **value,
                         size_t *value_len) {
  unsigned found = 0;
  *value = NULL;
  *value_len = 0;
  for (size_t i = 0; i <= len;) {
    const char *amp = memchr(query + i, '&', len - i);
    size_t end = amp ? (size_t)(amp - query) : len;
    const char *pair = query + i;
    size_t plen = end - i;
    const char *eq = memchr(pair, '=', plen);
    size_t nlen = eq ? (size_t)(eq - pair) : plen;
    if (plen && name_is(pair, nlen, name)) {
      if (found++ == 0) {
        *value = eq ? eq + 1 : pair + plen;
        *value_len = eq ? plen - nlen - 1 : 0;
      }
    }
    if (!amp) break;
    i = end + 1;
  }
  return found;
}
